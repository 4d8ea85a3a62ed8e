#pragma once
// One unit of thread-pool work: the callable, its arguments and the state
// of its future (Python's _WorkItem), in a single allocation shared with
// the future.

#include <cofutures/detail/future_state.hpp>
#include <cofutures/future.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cofutures::detail {

class pool_task {
 public:
  /// Runs the work unless the future was cancelled, then completes it.
  /// Decrements `*outstanding` (unless null: the pool no longer counts)
  /// exactly once, before the future completes, so a caller who sees the
  /// result also sees this worker as free.
  virtual void run(std::atomic<std::size_t>* outstanding) noexcept = 0;
  /// The future of work that will never run: cancelled (shutdown with
  /// cancel_futures) or failed (broken pool).
  virtual void cancel() noexcept = 0;
  virtual void fail(std::exception_ptr e) noexcept = 0;
  /// The pool is done with the task: a future not yet done fails as a
  /// broken promise; the memory goes once the future is dropped too.
  virtual void release() noexcept = 0;

  pool_task* m_next = nullptr;  // intrusive queue link, guarded by the pool's lock

 protected:
  ~pool_task() = default;
};

/// The pool's ownership of a task.
struct pool_task_release {
  void operator()(pool_task* t) const noexcept { t->release(); }
};
using pool_task_ptr = std::unique_ptr<pool_task, pool_task_release>;

template <class R, class F, class... A>
class pool_task_impl final : public pool_task {
  struct private_tag {};

 public:
  /// The task and its future, sharing one allocation.
  template <class Fn, class... Args>
  static std::pair<pool_task_ptr, future<R>> make(Fn&& fn, Args&&... args) {
    auto block = std::make_shared<pool_task_impl>(private_tag{}, std::forward<Fn>(fn), std::forward<Args>(args)...);
    auto* task = block.get();
    // Aliasing: points at the state, owns the whole block. Moved from
    // `block`, so the count is touched once (for m_keep), not three times.
    std::shared_ptr<state<R>> st(std::move(block), &task->m_state);
    task->m_keep = st;  // the pool's reference, dropped by release()
    return {pool_task_ptr(task), future<R>(std::move(st))};
  }

  template <class Fn, class... Args>
  explicit pool_task_impl(private_tag, Fn&& fn, Args&&... args)
      : m_work(std::in_place, std::forward<Fn>(fn), std::forward<Args>(args)...) {}

  void run(std::atomic<std::size_t>* outstanding) noexcept override {
    bool may_run = false;
    try {
      may_run = m_state.set_running_or_notify_cancel();
    } catch (...) {  // already running or finished: not ours to run
    }
    if (!may_run) {
      release_slot(outstanding);
      return;
    }
    std::exception_ptr error;
    std::optional<result_holder> value;
    try {
      value.emplace(invoke());
    } catch (...) {
      error = std::current_exception();
    }
    m_work.reset();  // the callable and its arguments die before anyone is told
    release_slot(outstanding);
    if (error) {
      m_state.try_set_exception(m_keep, std::move(error));
    } else if constexpr (std::is_void_v<R>) {
      m_state.try_set_value(m_keep);
    } else {
      m_state.try_set_value(m_keep, std::move(value->m_value));
    }
  }

  void cancel() noexcept override { m_state.cancel(m_keep); }
  void fail(std::exception_ptr e) noexcept override { m_state.try_set_exception(m_keep, std::move(e)); }

  void release() noexcept override {
    m_state.abandon(m_keep);
    // Last: this may free the block, `this` included.
    auto keep = std::move(m_keep);
  }

 private:
  struct work {
    template <class Fn, class... Args>
    explicit work(Fn&& fn, Args&&... args) : m_fn(std::forward<Fn>(fn)), m_args(std::forward<Args>(args)...) {}
    F m_fn;
    std::tuple<A...> m_args;
  };
  struct result_holder {
    std::conditional_t<std::is_void_v<R>, char, R> m_value;
  };

  result_holder invoke() {
    auto& w = *m_work;
    if constexpr (std::is_void_v<R>) {
      std::apply(std::move(w.m_fn), std::move(w.m_args));
      return result_holder{};
    } else {
      return result_holder{std::apply(std::move(w.m_fn), std::move(w.m_args))};
    }
  }

  static void release_slot(std::atomic<std::size_t>* outstanding) noexcept {
    // relaxed: whoever must see this decrement synchronizes with the
    // future's completion (a release) that follows it on this thread.
    if (outstanding) outstanding->fetch_sub(1, std::memory_order_relaxed);
  }

  state<R> m_state;
  std::shared_ptr<state<R>> m_keep;  // the pool's reference to the block, until release()
  std::optional<work> m_work;
};

}  // namespace cofutures::detail

#pragma once
// One unit of thread-pool work: the callable, its arguments and the state
// of its future (Python's _WorkItem), in a single allocation shared with
// the future.

#include <cofutures/detail/block_pool.hpp>
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

/// Where a task's callable and arguments live until it has run. Ones
/// that are trivially destructible need no flag saying whether they still
/// live (ending their life runs no code), so they are stored bare, and an
/// empty one (a lambda without captures, no arguments) takes no bytes.
template <class W, bool = std::is_trivially_destructible_v<W>>
struct work_slot : std::optional<W> {
  using std::optional<W>::optional;
};

template <class W>
struct work_slot<W, true> : W {
  template <class... X>
  explicit work_slot(std::in_place_t, X&&... x) : W(std::forward<X>(x)...) {}
  W& operator*() noexcept { return *this; }
  void reset() noexcept {}
};

template <class R, class F, class... A>
class pool_task_impl final : public pool_task {
  struct private_tag {};

 public:
  /// The task and its future, sharing one allocation.
  template <class Fn, class... Args>
  static std::pair<pool_task_ptr, future<R>> make(Fn&& fn, Args&&... args) {
    // From the block pool: a task and its future are made and freed once
    // per submit (see block_pool.hpp).
    auto block = std::allocate_shared<pool_task_impl>(block_allocator<pool_task_impl>{}, private_tag{},
                                                      std::forward<Fn>(fn), std::forward<Args>(args)...);
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
  using work = std::tuple<F, A...>;  // the callable, then its arguments
  struct result_holder {
    std::conditional_t<std::is_void_v<R>, char, R> m_value;
  };

  result_holder invoke() {
    auto call = [](auto&& fn, auto&&... args) -> decltype(auto) {
      return std::invoke(std::forward<decltype(fn)>(fn), std::forward<decltype(args)>(args)...);
    };
    if constexpr (std::is_void_v<R>) {
      std::apply(call, std::move(*m_work));
      return result_holder{};
    } else {
      return result_holder{std::apply(call, std::move(*m_work))};
    }
  }

  static void release_slot(std::atomic<std::size_t>* outstanding) noexcept {
    // relaxed: whoever must see this decrement synchronizes with the
    // future's completion (a release) that follows it on this thread.
    if (outstanding) outstanding->fetch_sub(1, std::memory_order_relaxed);
  }

  state<R> m_state;
  std::shared_ptr<state<R>> m_keep;  // the pool's reference to the block, until release()
  // A lambda without captures takes no room: the block of such a task
  // returning int is 152 bytes, a 160-byte pool block rather than 176.
  [[no_unique_address]] work_slot<work> m_work;
};

}  // namespace cofutures::detail

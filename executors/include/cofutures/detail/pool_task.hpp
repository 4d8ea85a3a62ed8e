#pragma once
// One unit of thread-pool work: the callable, its arguments and the promise
// of its future (Python's _WorkItem), in a single allocation.

#include <cofutures/promise.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cofutures::detail {

class pool_task {
 public:
  virtual ~pool_task() = default;
  /// Runs the work unless the future was cancelled, then completes it.
  /// Decrements `outstanding` exactly once, before the future completes,
  /// so a caller who sees the result also sees this worker as free.
  virtual void run(std::atomic<std::size_t>& outstanding) noexcept = 0;
  /// The future of work that will never run: cancelled (shutdown with
  /// cancel_futures) or failed (broken pool).
  virtual void cancel() noexcept = 0;
  virtual void fail(std::exception_ptr e) noexcept = 0;

  pool_task* m_next = nullptr;  // intrusive queue link, guarded by the pool's lock
};

template <class R, class F, class... A>
class pool_task_impl final : public pool_task {
 public:
  template <class Fn, class... Args>
  explicit pool_task_impl(promise<R> p, Fn&& fn, Args&&... args)
      : m_promise(std::move(p)), m_work(std::in_place, std::forward<Fn>(fn), std::forward<Args>(args)...) {}

  void run(std::atomic<std::size_t>& outstanding) noexcept override {
    if (!m_promise.set_running_or_notify_cancel()) {
      release(outstanding);
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
    release(outstanding);
    if (error) {
      m_promise.try_set_exception(std::move(error));
    } else if constexpr (std::is_void_v<R>) {
      m_promise.try_set_result();
    } else {
      m_promise.try_set_result(std::move(value->m_value));
    }
  }

  void cancel() noexcept override { m_promise.get_future().cancel(); }
  void fail(std::exception_ptr e) noexcept override { m_promise.try_set_exception(std::move(e)); }

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

  static void release(std::atomic<std::size_t>& outstanding) noexcept {
    // relaxed: whoever must see this decrement synchronizes with the
    // future's completion (a release) that follows it on this thread.
    outstanding.fetch_sub(1, std::memory_order_relaxed);
  }

  promise<R> m_promise;
  std::optional<work> m_work;
};

}  // namespace cofutures::detail

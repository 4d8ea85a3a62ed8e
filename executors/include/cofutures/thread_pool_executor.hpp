#pragma once
/// @file thread_pool_executor.hpp
/// thread_pool_executor: Python's concurrent.futures.ThreadPoolExecutor.

#include <cofutures/detail/interrupt_hooks.hpp>
#include <cofutures/detail/map_args.hpp>
#include <cofutures/detail/map_range.hpp>
#include <cofutures/detail/thread_pool_core.hpp>
#include <cofutures/future.hpp>
#include <cofutures/map_options.hpp>
#include <cofutures/thread_pool_options.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

namespace cofutures {

/// Runs callables on a pool of threads, started lazily up to max_workers
/// and reused when idle. The destructor is shutdown(wait = true): the end of
/// Python's `with` block.
///
/// Thread safety: all members may be called from any thread, concurrently
/// (including from the pool's own tasks, except the destructor).
class thread_pool_executor {
 public:
  /// @throws std::invalid_argument if max_workers is zero or negative.
  explicit thread_pool_executor(thread_pool_options options = {})
      : m_core(detail::make_thread_pool_core(std::move(options))) {}
  /// ThreadPoolExecutor(max_workers).
  explicit thread_pool_executor(long max_workers)
      : thread_pool_executor(thread_pool_options{.max_workers = max_workers}) {}

  ~thread_pool_executor() { shutdown(true); }
  thread_pool_executor(const thread_pool_executor&) = delete;
  thread_pool_executor& operator=(const thread_pool_executor&) = delete;

  /// Schedules fn(args...) (copied or moved in; move-only is fine) and
  /// returns its future, bound to the event_loop running on this thread.
  /// @throws invalid_state_error after shutdown; broken_thread_pool if an
  /// initializer failed.
  template <class F, class... A>
  future<detail::pool_result_t<F, A...>> submit(F&& fn, A&&... args) {
    return detail::submit_to(*m_core, std::forward<F>(fn), std::forward<A>(args)...);
  }

  /// Executor.map: fn over the zipped ranges (the shortest ends it), with
  /// an optional trailing map_options{timeout, chunksize, buffersize}.
  /// Returns a lazy input range of results in input order (see map_range).
  /// @throws std::invalid_argument for chunksize or buffersize < 1.
  template <class F, class... Args>
  auto map(F&& fn, Args&&... ranges_then_options) {
    return detail::split_map_args(
        [&](const map_options& options, auto&&... ranges) {
          std::weak_ptr<detail::thread_pool_core> weak = m_core;
          auto submit = [weak, fn = std::forward<F>(fn)](auto&&... args) {
            using future_t = decltype(detail::submit_to(std::declval<detail::thread_pool_core&>(), fn,
                                                        std::forward<decltype(args)>(args)...));
            auto core = weak.lock();
            // Python stops pulling inputs once its executor is gone.
            if (!core) return std::optional<future_t>();
            return std::optional<future_t>(detail::submit_to(*core, fn, std::forward<decltype(args)>(args)...));
          };
          return detail::make_map_range(std::move(submit), options, std::forward<decltype(ranges)>(ranges)...);
        },
        std::forward<Args>(ranges_then_options)...);
  }

  /// Stops taking work. wait: block until every thread finished its work
  /// and exited. cancel_futures: cancel the futures not yet started.
  void shutdown(bool wait = true, bool cancel_futures = false) {
    detail::shutdown(*m_core, wait, cancel_futures);
  }

  std::size_t max_workers() const noexcept { return detail::max_workers(*m_core); }
  /// Threads started so far (they start lazily).
  std::size_t thread_count() const noexcept { return detail::thread_count(*m_core); }

 private:
  std::shared_ptr<detail::thread_pool_core> m_core;
  // Ctrl-C on a signal-handling loop: cancel what is queued. Weak: the hook
  // may run on the loop thread while this executor is being destroyed.
  detail::interrupt_hook m_on_interrupt{[core = std::weak_ptr(m_core)] {
    if (auto c = core.lock()) detail::shutdown(*c, false, true);
  }};
};

}  // namespace cofutures

#pragma once
/// @file process_pool_executor.hpp
/// process_pool_executor: Python's concurrent.futures.ProcessPoolExecutor,
/// running C++ functions in worker processes.

#include <cofutures/detail/interrupt_hooks.hpp>
#include <cofutures/detail/chunked_map.hpp>
#include <cofutures/detail/map_args.hpp>
#include <cofutures/detail/process_pool_core.hpp>
#include <cofutures/detail/process_work.hpp>
#include <cofutures/detail/serialization.hpp>
#include <cofutures/detail/task_registry.hpp>
#include <cofutures/future.hpp>
#include <cofutures/map_options.hpp>
#include <cofutures/process_pool_options.hpp>
#include <cofutures/process_worker_main.hpp>
#include <cofutures/promise.hpp>

#include <csignal>
#include <cstddef>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace cofutures {

namespace detail {

template <class R>
using chunk_result_t = std::vector<map_value_t<R>>;

/// The task a map chunk runs in the worker: Fn over each argument tuple.
template <auto Fn>
chunk_result_t<task_result_t<Fn>> run_chunk(std::vector<task_args_t<Fn>> chunk) {
  chunk_result_t<task_result_t<Fn>> results;
  results.reserve(chunk.size());
  for (auto& args : chunk) {
    if constexpr (std::is_void_v<task_result_t<Fn>>) {
      std::apply(Fn, std::move(args));
      results.emplace_back();
    } else {
      results.push_back(std::apply(Fn, std::move(args)));
    }
  }
  return results;
}

template <class... T>
constexpr void check_all_serializable(std::tuple<T...>*) {
  (check_serializable<T>(), ...);
}

template <class... T>
constexpr bool all_serializable(std::tuple<T...>*) {
  return (is_serializable_v<T> && ...);
}

template <auto Fn>
constexpr void check_task_types() {
  static_assert(std::is_pointer_v<decltype(Fn)> && std::is_function_v<std::remove_pointer_t<decltype(Fn)>>,
                "process pools run plain functions: pass &function (no lambdas, no member functions)");
  check_all_serializable(static_cast<task_args_t<Fn>*>(nullptr));
  if constexpr (!std::is_void_v<task_result_t<Fn>>) check_serializable<task_result_t<Fn>>();
}

/// Whether Fn's parameters and result can cross the process boundary (when
/// not, submit compiles no serialization code: the static_assert above is
/// then the only error the user sees).
template <auto Fn>
inline constexpr bool task_types_serializable =
    all_serializable(static_cast<task_args_t<Fn>*>(nullptr)) &&
    (std::is_void_v<task_result_t<Fn>> || is_serializable_v<task_result_t<Fn>>);

}  // namespace detail

/// Runs registered functions in a pool of worker processes: the same
/// executable, started again (spawn) or forked. Arguments and results
/// travel with cereal. A worker that dies breaks the pool, as in Python:
/// its running and queued futures fail with broken_process_pool and later
/// submits throw it. The destructor is shutdown(wait = true).
///
/// Scheduling: a task goes to an idle worker, or starts a new one while
/// fewer than max_workers run. In a backlog of many tasks, as with Python's
/// call queue, a busy worker is also sent up to 3 tasks ahead, which count
/// as running (shutdown's cancel_futures spares them); a few tasks behind
/// busy workers still wait here for the first worker to become free.
///
/// Needs process_worker_main(argc, argv) first in main() (spawn method).
///
/// Thread safety: all members may be called from any thread, concurrently.
class process_pool_executor {
 public:
  /// @throws std::invalid_argument for max_workers or max_tasks_per_child
  /// below 1, or max_tasks_per_child with the fork method.
  explicit process_pool_executor(process_pool_options options = {})
      : m_core(detail::make_process_pool_core(std::move(options))) {}
  /// ProcessPoolExecutor(max_workers).
  explicit process_pool_executor(long max_workers)
      : process_pool_executor(process_pool_options{.max_workers = max_workers}) {}

  ~process_pool_executor() { shutdown(true); }
  process_pool_executor(const process_pool_executor&) = delete;
  process_pool_executor& operator=(const process_pool_executor&) = delete;

  /// Schedules Fn(args...) in a worker: `pool.submit<&my_pi>(1, n / 2)`.
  /// The arguments are converted to Fn's parameter types and serialized
  /// here; if that throws, only the returned future fails.
  /// @throws invalid_state_error after shutdown; broken_process_pool when
  /// the pool is broken.
  template <auto Fn, class... A>
  future<detail::task_result_t<Fn>> submit(A&&... args) {
    detail::check_task_types<Fn>();
    static_assert(std::is_constructible_v<detail::task_args_t<Fn>, A&&...>,
                  "submit's arguments do not match the task function's parameters");
    if constexpr (detail::task_types_serializable<Fn>) {
      (void)detail::task_registration<Fn>::registered;  // instantiated: registered in every process
      detail::check_accepting(*m_core);
      return submit_encoded<detail::task_result_t<Fn>>(detail::task_name_of<Fn>(), [&] {
        detail::task_args_t<Fn> converted(std::forward<A>(args)...);
        std::string bytes;
        std::apply([&](const auto&... a) { detail::serialize_into(bytes, a...); }, converted);
        return bytes;
      });
    } else {
      return {};  // not reached: check_task_types failed to compile
    }
  }

  /// Executor.map: Fn over the zipped ranges in chunks of chunksize per
  /// message, with an optional trailing map_options{timeout, chunksize,
  /// buffersize}. A lazy input range of results in input order.
  /// @throws std::invalid_argument for chunksize or buffersize below 1.
  template <auto Fn, class... Args>
  auto map(Args&&... ranges_then_options) {
    detail::check_task_types<Fn>();
    constexpr auto chunk_fn = &detail::run_chunk<Fn>;
    (void)detail::task_registration<chunk_fn>::registered;
    using args_t = detail::task_args_t<Fn>;
    using chunk_result = detail::chunk_result_t<detail::task_result_t<Fn>>;
    return detail::split_map_args(
        [&](const map_options& options, auto&&... ranges) {
          std::weak_ptr<detail::process_pool_core> weak = m_core;
          auto submit = [weak](std::vector<args_t>&& chunk) {
            auto core = weak.lock();
            if (!core) return std::optional<future<chunk_result>>();  // Python: the executor is gone
            process_pool_executor::check(*core);
            return std::optional(submit_encoded_to<chunk_result>(*core, detail::task_name_of<chunk_fn>(),
                                                                  [&] { return detail::serialize(chunk); }));
          };
          return detail::make_chunked_map_range<args_t>(std::move(submit), options,
                                                        std::forward<decltype(ranges)>(ranges)...);
        },
        std::forward<Args>(ranges_then_options)...);
  }

  /// Stops taking work. cancel_futures: cancel what no worker was sent. wait:
  /// block until every worker has finished its work and exited.
  void shutdown(bool wait = true, bool cancel_futures = false) { detail::shutdown(*m_core, wait, cancel_futures); }

  /// Python 3.14: shutdown(wait=false, cancel_futures=true), then SIGTERM
  /// (SIGKILL) to every live worker. Their running futures fail with
  /// broken_process_pool; the pool is unusable afterwards.
  void terminate_workers() { detail::force_shutdown(*m_core, SIGTERM); }
  void kill_workers() { detail::force_shutdown(*m_core, SIGKILL); }

  std::size_t max_workers() const noexcept { return detail::max_workers(*m_core); }

  /// For tests and tools: submits the encoded arguments to the task of
  /// that name (no compile-time checks).
  template <class R>
  future<R> submit_by_name(std::string_view task_name, std::string encoded_arguments) {
    detail::check_accepting(*m_core);
    return submit_encoded<R>(task_name, [&] { return std::move(encoded_arguments); });
  }

 private:
  static void check(detail::process_pool_core& core) { detail::check_accepting(core); }

  template <class R, class Encode>
  future<R> submit_encoded(std::string_view name, Encode&& encode) {
    return submit_encoded_to<R>(*m_core, name, std::forward<Encode>(encode));
  }

  template <class R, class Encode>
  static future<R> submit_encoded_to(detail::process_pool_core& core, std::string_view name, Encode&& encode) {
    promise<R> p;
    auto f = p.get_future();
    auto work = std::make_unique<detail::process_work_impl<R>>(std::move(p));
    work->m_task_name = std::string(name);
    try {
      work->m_arguments = std::make_shared<const std::string>(encode());
    } catch (...) {
      work->fail(std::current_exception());  // only this future fails
      return f;
    }
    detail::enqueue(core, std::move(work));
    return f;
  }

  std::shared_ptr<detail::process_pool_core> m_core;
  // Ctrl-C on a signal-handling loop: cancel what is queued and stop the
  // workers (Python's workers get the terminal's SIGINT too). Weak: the hook
  // may run on the loop thread while this executor is being destroyed.
  detail::interrupt_hook m_on_interrupt{[core = std::weak_ptr(m_core)] {
    if (auto c = core.lock()) detail::force_shutdown(*c, SIGTERM);
  }};
};

}  // namespace cofutures

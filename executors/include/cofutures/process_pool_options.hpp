#pragma once
/// @file process_pool_options.hpp
/// process_pool_options: ProcessPoolExecutor's constructor arguments, and
/// the initializer a worker process runs first.

#include <cofutures/detail/serialization.hpp>
#include <cofutures/detail/task_registry.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cofutures {

/// How worker processes start.
enum class start_method {
  /// posix_spawn of this executable, which must call process_worker_main
  /// first in main (Python's "spawn"). Safe with threads running.
  spawn,
  /// fork() of this process, serving tasks in the copy (Python's "fork"):
  /// no guard needed, but only the forking thread survives in the child —
  /// a task must not need a lock another thread held at the fork. Not
  /// allowed with max_tasks_per_child.
  fork,
};

/// A registered function and its (serialized) arguments, run once in every
/// worker process before its first task. Make one with initializer<&fn>().
struct process_initializer {
  std::string task_name;
  std::string arguments;
};

/// The initializer fn(args...) (fn must be a function; it is registered as
/// a task). @throws what serializing the arguments throws.
template <auto Fn, class... A>
process_initializer initializer(A&&... args) {
  (void)detail::task_registration<Fn>::registered;  // instantiated: registered in every process
  detail::task_args_t<Fn> converted(std::forward<A>(args)...);
  std::string bytes;
  std::apply([&](const auto&... a) { detail::serialize_into(bytes, a...); }, converted);
  return {std::string(detail::task_name_of<Fn>()), std::move(bytes)};
}

struct process_pool_options {
  /// Worker processes, started as work arrives. None: the CPUs this process
  /// may run on. Zero or negative: std::invalid_argument.
  std::optional<long> max_workers{};
  /// A worker exits after this many tasks and a fresh one replaces it.
  /// None: workers live as long as the pool. Below 1: std::invalid_argument.
  std::optional<long> max_tasks_per_child{};
  start_method method = start_method::spawn;
  /// Runs first in every worker; if it throws, the pool is broken.
  std::optional<process_initializer> initializer{};
};

}  // namespace cofutures

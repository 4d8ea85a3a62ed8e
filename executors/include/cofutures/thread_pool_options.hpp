#pragma once
/// @file thread_pool_options.hpp
/// thread_pool_options: ThreadPoolExecutor's constructor arguments.

#include <functional>
#include <optional>
#include <string>

namespace cofutures {

struct thread_pool_options {
  /// Most threads the pool starts (lazily, as work arrives). None:
  /// min(32, cores + 4), like Python. Zero or negative: std::invalid_argument.
  std::optional<long> max_workers{};
  /// Threads are named "<prefix>_<n>" (default "ThreadPoolExecutor-<pool>");
  /// the OS sees the first 15 characters.
  std::string thread_name_prefix{};
  /// Runs once at the start of every worker thread. If it throws, the pool
  /// is broken: queued futures and later submits get broken_thread_pool.
  std::function<void()> initializer{};
};

}  // namespace cofutures

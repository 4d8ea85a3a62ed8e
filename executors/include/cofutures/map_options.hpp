#pragma once
/// @file map_options.hpp
/// map_options: the keyword arguments of Python's Executor.map (timeout,
/// chunksize, buffersize), passed as a trailing argument to map().

#include <cofutures/timeout.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>

namespace cofutures {

/// Options for thread_pool_executor::map and process_pool_executor::map.
struct map_options {
  /// Overall limit, counted from the map() call; past it the range throws
  /// timeout_error when advanced.
  optional_timeout timeout{};
  /// Inputs per task message (process pools); must be >= 1.
  std::ptrdiff_t chunksize = 1;
  /// Submit only this many inputs ahead of the consumer (Python 3.14); none:
  /// every input is submitted at once. Must be >= 1.
  std::optional<std::ptrdiff_t> buffersize{};

  /// @throws std::invalid_argument naming the bad field.
  void validate() const {
    if (chunksize < 1) throw std::invalid_argument("chunksize must be >= 1");
    if (buffersize && *buffersize < 1) throw std::invalid_argument("buffersize must be none or >= 1");
  }
};

}  // namespace cofutures

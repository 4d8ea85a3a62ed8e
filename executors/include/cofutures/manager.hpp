#pragma once
/// @file manager.hpp
/// manager: makes state shared by processes (multiprocessing.Manager's
/// Value and Lock) — in shared memory, not behind a server process.

#include <cofutures/detail/shared_segment.hpp>
#include <cofutures/process_lock.hpp>
#include <cofutures/shared_value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace cofutures {

/// Owns shared memory segments and makes shared_value<T> and process_lock
/// objects in them. Handles it made stay valid in this process while they
/// live; worker processes can attach to them while the manager exists
/// (use it like Python's `with Manager() as man:` around the pool).
///
/// Thread safety: value() and lock() may be called from any thread.
class manager {
 public:
  manager() = default;
  /// Removes the segments' names: workers can no longer attach to them;
  /// handles in this process keep their memory mapped while they live.
  ~manager();
  manager(const manager&) = delete;
  manager& operator=(const manager&) = delete;

  /// A shared T, initially `initial`. @throws std::system_error.
  template <class T>
  shared_value<T> value(T initial) {
    using slot = detail::shared_value_slot<T>;
    auto [segment, offset] = allocate(sizeof(slot), alignof(slot));
    new (segment->at(offset, sizeof(slot))) slot{initial, {}};
    return shared_value<T>(std::move(segment), offset, true);
  }

  /// A new unlocked process_lock. @throws std::system_error.
  process_lock lock();

 private:
  std::pair<std::shared_ptr<detail::shared_segment>, std::uint32_t> allocate(std::size_t size, std::size_t align);

  std::mutex m_mutex;  // value()/lock() from several threads share the segments
  std::vector<std::shared_ptr<detail::shared_segment>> m_segments;
};

}  // namespace cofutures

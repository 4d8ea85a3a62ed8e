#pragma once
/// @file process_lock.hpp
/// process_lock: a mutex shared by processes (multiprocessing's Lock), made
/// by a manager and passed to tasks as an argument.

#include <cofutures/detail/shared_segment.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include <pthread.h>

namespace cofutures {

class manager;

/// A robust, process-shared mutex in a manager's shared memory. Lockable:
/// std::lock_guard and std::unique_lock work. If a process dies holding
/// it, the next lock() takes it over instead of hanging, and owner_died()
/// says so. Copies (and deserialized copies in workers) name the same lock.
///
/// Thread safety: lock/try_lock/unlock from any thread of any process;
/// owner_died() is meaningful to the holder only.
class process_lock {
 public:
  /// An empty handle (what a task's argument starts as before decoding).
  process_lock() = default;

  /// @throws std::system_error on a lock failure other than a dead owner.
  void lock();
  bool try_lock();
  void unlock();

  /// After lock()/try_lock(): the previous holder died while holding it.
  bool owner_died() const noexcept { return m_owner_died; }
  bool valid() const noexcept { return m_mutex != nullptr; }

  template <class Archive>
  void save(Archive& archive) const {
    archive(m_segment ? m_segment->name() : std::string(), m_offset);
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string name;
    std::uint32_t offset = 0;
    archive(name, offset);
    *this = attach(name, offset);
  }

  /// Implementation detail: the lock at `offset` of a segment (initializes
  /// it when `create`).
  process_lock(std::shared_ptr<detail::shared_segment> segment, std::uint32_t offset, bool create);
  static process_lock attach(const std::string& segment_name, std::uint32_t offset);

 private:
  bool acquired(int rc);

  std::shared_ptr<detail::shared_segment> m_segment;
  std::uint32_t m_offset = 0;
  pthread_mutex_t* m_mutex = nullptr;
  bool m_owner_died = false;
};

}  // namespace cofutures

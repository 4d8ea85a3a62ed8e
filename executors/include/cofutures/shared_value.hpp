#pragma once
/// @file shared_value.hpp
/// shared_value<T>: a value in shared memory, visible to every worker
/// process it is passed to (multiprocessing's Value), with its lock.

#include <cofutures/detail/shared_segment.hpp>
#include <cofutures/process_lock.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>

namespace cofutures {

namespace detail {
// The shared layout: the value, then its lock.
template <class T>
struct shared_value_slot {
  alignas(std::max(alignof(T), alignof(std::max_align_t))) T value;
  pthread_mutex_t lock;
};
}  // namespace detail

/// A trivially copyable T in a manager's shared memory. load/store (and
/// fetch_add for arithmetic T) are atomic — lock-free where the hardware
/// allows, else under the value's own lock; a read-modify-write of several
/// steps needs the lock (get_lock(), Python's Value.get_lock()).
///
/// Thread safety: any thread of any process holding a copy.
template <class T>
class shared_value {
  static_assert(std::is_trivially_copyable_v<T>, "shared_value<T> needs a trivially copyable T");
  using slot = detail::shared_value_slot<T>;
  static constexpr bool lock_free = std::atomic_ref<T>::is_always_lock_free;

 public:
  shared_value() = default;

  T load() const {
    if constexpr (lock_free) {
      // seq_cst: a shared value is a synchronization point between
      // processes; no weaker order is worth the surprise.
      return std::atomic_ref<T>(m_slot->value).load();
    } else {
      std::lock_guard guard(m_lock);  // no lock-free atomics for this T
      return m_slot->value;
    }
  }

  void store(T v) {
    if constexpr (lock_free) {
      std::atomic_ref<T>(m_slot->value).store(v);  // seq_cst: see load()
    } else {
      std::lock_guard guard(m_lock);  // no lock-free atomics for this T
      m_slot->value = v;
    }
  }

  /// Adds and returns the previous value, in one atomic step.
  T fetch_add(T delta)
    requires std::is_arithmetic_v<T>
  {
    if constexpr (lock_free && std::is_integral_v<T>) {
      return std::atomic_ref<T>(m_slot->value).fetch_add(delta);  // seq_cst: see load()
    } else {
      std::lock_guard guard(m_lock);  // floating point (or wide) T: no atomic add
      T old = m_slot->value;
      m_slot->value = old + delta;
      return old;
    }
  }

  /// The value's lock, for read-modify-writes of several steps.
  process_lock& get_lock() noexcept { return m_lock; }
  bool valid() const noexcept { return m_slot != nullptr; }

  template <class Archive>
  void save(Archive& archive) const {
    archive(m_segment ? m_segment->name() : std::string(), m_offset);
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string name;
    std::uint32_t offset = 0;
    archive(name, offset);
    if (name.empty()) {
      *this = shared_value();
      return;
    }
    *this = shared_value(detail::shared_segment::attach(name), offset, false);
  }

  /// Implementation detail: the value at `offset` of a segment.
  shared_value(std::shared_ptr<detail::shared_segment> segment, std::uint32_t offset, bool create)
      : m_segment(std::move(segment)),
        m_offset(offset),
        m_slot(static_cast<slot*>(m_segment->at(offset, sizeof(slot)))),
        m_lock(m_segment, static_cast<std::uint32_t>(offset + offsetof(slot, lock)), create) {}

 private:
  std::shared_ptr<detail::shared_segment> m_segment;
  std::uint32_t m_offset = 0;
  slot* m_slot = nullptr;
  mutable process_lock m_lock;
};

}  // namespace cofutures

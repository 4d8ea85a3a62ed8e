#pragma once
// A worker's tasks in shared memory: a ring of records, written by the
// pool's manager thread and read by the worker process (one writer, one
// reader). A record is a whole frame, or, for a frame too large for the
// ring, a note that the frame's bytes follow in the worker's task pipe. A
// worker busy with tasks then takes the next one with no system call at
// all, and the manager hands it over with none either (a pipe costs a
// write and a read, about 1-2 us each on a VM).
//
// Positions count bytes from the start and only grow; records are padded
// to 8 bytes, so a record's 8-byte header never wraps around the end.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

namespace cofutures::detail {

/// The ring's two positions, each on its own cache line (one is written by
/// each side).
struct task_ring_positions {
  alignas(64) std::atomic<std::uint64_t> tail;  // bytes written: the manager's
  alignas(64) std::atomic<std::uint64_t> head;  // bytes read: the worker's
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared between processes: must be lock-free");

class task_ring {
 public:
  enum class kind : std::uint32_t {
    frame = 1,    ///< the record holds the frame
    in_pipe = 2,  ///< the frame, `size` bytes, comes next in the pipe
    lane = 3,     ///< as frame, a task to answer in the lane's reply (lane_reply.hpp)
  };
  struct record {
    kind what;
    std::uint32_t size;
  };
  static constexpr std::size_t header_size = 8;

  /// `capacity`: a power of two, a multiple of 8.
  task_ring(task_ring_positions& positions, char* data, std::size_t capacity) noexcept
      : m_pos(positions), m_data(data), m_capacity(capacity) {}

  // ---- the manager's side

  /// Appends a record of `what` holding `parts` one after another, and
  /// announces it with `size` (for in_pipe: the bytes in the pipe; parts
  /// empty). False, with nothing written, if the ring has no room now.
  bool put(kind what, std::uint32_t size, std::initializer_list<std::string_view> parts) noexcept {
    std::size_t body = 0;
    for (auto p : parts) body += p.size();
    const std::size_t need = header_size + padded(body);
    // acquire: the worker's copies out of the bytes before head are done
    // before this overwrites them.
    const auto head = m_pos.head.load(std::memory_order_acquire);
    const auto tail = m_pos.tail.load(std::memory_order_relaxed);  // relaxed: only this side writes it
    if (m_capacity - (tail - head) < need) return false;
    std::uint32_t header[2] = {static_cast<std::uint32_t>(what), size};
    auto at = tail;
    copy_in(at, header, header_size);
    at += header_size;
    for (auto p : parts) {
      copy_in(at, p.data(), p.size());
      at += p.size();
    }
    // release: the record's bytes are visible to whoever sees the new tail.
    m_pos.tail.store(tail + need, std::memory_order_release);
    return true;
  }

  /// The ring's size in bytes (the writer decides which frames are small
  /// enough to go in it; the pool's manager: a quarter of this).
  std::size_t capacity() const noexcept { return m_capacity; }

  // ---- the worker's side

  /// The oldest record not yet popped, if any.
  std::optional<record> front() const noexcept {
    const auto head = m_pos.head.load(std::memory_order_relaxed);  // relaxed: only this side writes it
    // acquire: pairs with put's release; the record's bytes are visible.
    if (m_pos.tail.load(std::memory_order_acquire) == head) return std::nullopt;
    std::uint32_t header[2];
    copy_out(head, header, header_size);
    return record{static_cast<kind>(header[0]), header[1]};
  }
  /// Copies the front record's body (a frame record's `size` bytes) out.
  void read_front(std::span<char> into) const noexcept {
    copy_out(m_pos.head.load(std::memory_order_relaxed) + header_size, into.data(), into.size());
  }
  /// Drops the front record (a frame record's bytes must be copied out first).
  void pop(const record& r) noexcept {
    const std::size_t body = r.what == kind::in_pipe ? 0 : r.size;
    const auto head = m_pos.head.load(std::memory_order_relaxed);
    // release: the copies out are done before the manager may reuse the bytes.
    m_pos.head.store(head + header_size + padded(body), std::memory_order_release);
  }

 private:
  static std::size_t padded(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }

  void copy_in(std::uint64_t at, const void* from, std::size_t n) noexcept {
    if (n == 0) return;  // an empty part's data() may be null
    const std::size_t offset = at & (m_capacity - 1);
    const std::size_t first = n < m_capacity - offset ? n : m_capacity - offset;
    std::memcpy(m_data + offset, from, first);
    std::memcpy(m_data, static_cast<const char*>(from) + first, n - first);
  }
  void copy_out(std::uint64_t at, void* to, std::size_t n) const noexcept {
    const std::size_t offset = at & (m_capacity - 1);
    const std::size_t first = n < m_capacity - offset ? n : m_capacity - offset;
    std::memcpy(to, m_data + offset, first);
    std::memcpy(static_cast<char*>(to) + first, m_data, n - first);
  }

  task_ring_positions& m_pos;
  char* m_data;
  std::size_t m_capacity;
};

}  // namespace cofutures::detail

#pragma once
// Where a worker answers a task sent to it through the process pool's lane
// (process_pool_core: a task put straight into an idle worker's ring by
// the submitting thread): a slot of the pool's shared memory, next to the
// worker's task ring (worker_bells.hpp). The worker writes the whole reply
// frame here and publishes it with the task's tag (its id + 1); a thread of
// the parent waiting on that future takes it from here, with no system
// call and no wake-up of the manager thread. A reply too large for the
// slot goes down the reply pipe as any other.
//
// One lane task is in flight at a time: the worker writes a slot only for
// the task the parent is waiting for, and the next lane task is sent only
// after the parent took the reply.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace cofutures::detail {

struct lane_reply {
  static constexpr std::size_t capacity = 4096 - 64;

  alignas(64) std::atomic<std::uint64_t> tag;  // the task answered here: its id + 1 (0: none yet)
  std::atomic<std::uint32_t> size;
  char bytes[capacity];

  static std::uint64_t tag_of(std::uint64_t id) noexcept { return id + 1; }

  // ---- the worker's side

  /// Writes the reply frame (`frame`, then `payload`) for task `id`. False,
  /// with nothing published, if it does not fit.
  bool publish(std::uint64_t id, std::string_view frame, std::string_view payload) noexcept {
    const std::size_t n = frame.size() + payload.size();
    if (n > capacity) return false;
    std::memcpy(bytes, frame.data(), frame.size());
    if (!payload.empty()) std::memcpy(bytes + frame.size(), payload.data(), payload.size());
    size.store(static_cast<std::uint32_t>(n), std::memory_order_relaxed);  // relaxed: published by the tag
    // seq_cst: a release of the bytes and the size to whoever sees the tag,
    // and ordered before the worker's look at the pool's watching count
    // (process_worker: the Dekker pair with a waiter's unwatch and poll).
    tag.store(tag_of(id), std::memory_order_seq_cst);
    return true;
  }

  /// Whether the reply for task `id` is here (a cheap look).
  bool has(std::uint64_t id) const noexcept {
    // seq_cst: pairs with publish's store (acquire of the bytes), and
    // ordered after a waiter's unwatch (see publish).
    return tag.load(std::memory_order_seq_cst) == tag_of(id);
  }
  /// Whether the parent has taken the reply for task `id` (a cheap look).
  bool taken(std::uint64_t id) const noexcept {
    return tag.load(std::memory_order_relaxed) != tag_of(id);  // relaxed: a hint (see process_worker)
  }

  // ---- the parent's side

  /// The reply frame for task `id`, once has(id). A size beyond the slot (a
  /// worker writing garbage) gives nullopt.
  std::optional<std::string> copy_out() const {
    const auto n = size.load(std::memory_order_relaxed);  // relaxed: after has()'s acquire
    if (n > capacity) return std::nullopt;
    return std::string(bytes, n);
  }
  /// The reply was taken (copied out): tells the worker, which then need
  /// not tell the manager.
  void clear() noexcept {
    tag.store(0, std::memory_order_relaxed);  // relaxed: a hint; the next task is sent under the pool's lock
  }
};

}  // namespace cofutures::detail

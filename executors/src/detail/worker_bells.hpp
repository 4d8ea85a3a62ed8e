#pragma once
// Where an idle worker process finds its tasks and sleeps: memory shared
// by a pool's manager and its workers (a memfd, descriptor 5 in a worker),
// with a slot per worker, each holding the worker's task ring
// (task_ring.hpp) and its bell word, and one futex word they all sleep on.
// A worker that finds its ring empty sleeps on the futex; the manager,
// after putting tasks in the rings of some sleeping workers, wakes all of
// them with one FUTEX_WAKE_BITSET, and skips the call for a worker that is
// not asleep (a busy worker finds its next task in its ring as it is).
//
// Why not sleep in read() on a pipe: a pipe write wakes its reader as a
// "sync" wake-up (the writer is taken to be about to sleep), and on a VM
// whose CPUs share no cache level, any wake-up puts the woken worker on
// its last CPU or the waker's. A worker whose last CPU was the manager's
// ran there at once, and the manager, with the second worker's task still
// to write, waited behind it until the load balancer moved one of them:
// about 4 ms (a scheduler tick), the other CPU idle all along (perf sched
// timehist, pi on 2 vCPUs: in one rep of ten the second half started that
// late). One system call that wakes them all returns to the manager before
// either runs.
//
// A slot's bell word: rung (records were put in the ring since the worker
// last looked), sleeping (the worker is in, or about to enter, its futex
// wait), closed (the manager is done with this worker: it should exit once
// its ring is empty).

#include "lane_reply.hpp"
#include "task_ring.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cofutures::detail {

struct bell_page;

/// The manager's side: the memory, and which slots are in use. Manager
/// thread only.
class worker_bells {
 public:
  /// Room for `slots` workers. @throws std::system_error.
  explicit worker_bells(std::size_t slots);
  ~worker_bells();
  worker_bells(const worker_bells&) = delete;
  worker_bells& operator=(const worker_bells&) = delete;

  /// The memfd, for a new worker's descriptor 5 (close-on-exec here).
  int fd() const noexcept { return m_fd; }
  /// A free slot for a new worker, its ring empty. @throws
  /// std::runtime_error if none is.
  int acquire();
  /// The slot of a worker that has exited and been reaped: nothing else
  /// writes its words any more.
  void release(int slot) noexcept;

  /// The worker's task ring (its writing side).
  task_ring ring_of(int slot) noexcept;
  /// The worker in `slot` has new records in its ring. True if it sleeps
  /// and nobody has yet been asked to wake it: the caller then arranges one
  /// wake_sleepers() after the rest of the writes at hand.
  bool ring(int slot) noexcept;
  /// Tells the worker to exit once its ring is empty, and wakes it now.
  void close(int slot) noexcept;
  /// Wakes every worker rung while asleep since the last call.
  void wake_sleepers() noexcept;
  /// Whether the worker in `slot` is in (or entering) its sleep: a snapshot.
  bool asleep(int slot) const noexcept;

  // ---- the lane (process_pool_core): any thread holding the pool's lock
  /// Where the worker in `slot` answers lane tasks.
  lane_reply& lane_reply_of(int slot) noexcept;
  /// How many of the parent's threads spin waiting for a lane reply (a
  /// worker that answers while none does sends word down its pipe).
  std::atomic<std::uint32_t>& watching() noexcept;
  /// ring(), and if the worker sleeps, the wake at once: for a thread
  /// other than the manager, which owns the batched wake-ups.
  void ring_now(int slot) noexcept;

 private:
  int m_fd = -1;
  bell_page* m_page = nullptr;
  std::size_t m_bytes = 0;
  std::vector<int> m_free;
  std::uint32_t m_to_wake = 0;  // futex bitset of the rung sleepers
};

/// The worker's side: its own slot. Its one thread only.
class worker_bell {
 public:
  /// Maps the memory behind `fd`. @throws std::system_error, or
  /// std::runtime_error for a slot that is not there.
  worker_bell(int fd, int slot);
  ~worker_bell();
  worker_bell(const worker_bell&) = delete;
  worker_bell& operator=(const worker_bell&) = delete;

  /// The worker's task ring (its reading side).
  task_ring ring() noexcept;
  /// Returns once the manager has rung or closed since the last call (at
  /// once if it already has): the ring may then have records.
  void wait();
  /// The manager closed the channel (seen by a wait()).
  bool closed() const noexcept { return m_closed; }
  /// Where this worker answers lane tasks.
  lane_reply& lane() noexcept;
  /// Whether a thread of the parent is spinning for a lane reply now.
  bool parent_watching() const noexcept;

 private:
  bell_page* m_page = nullptr;
  std::size_t m_bytes = 0;
  int m_slot;
  bool m_closed = false;
};

}  // namespace cofutures::detail

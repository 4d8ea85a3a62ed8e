#pragma once
// What wakes an idle worker process: a page of memory shared by a pool's
// manager and its workers (a memfd, descriptor 5 in a worker), with one
// slot per worker and a futex word they all sleep on. The task itself
// still travels in the worker's pipe; a worker that finds its pipe empty
// sleeps on the futex (not in read() on the pipe), and the manager, after
// writing to the pipes of some sleeping workers, wakes all of them with
// one FUTEX_WAKE_BITSET.
//
// Why: a pipe write wakes its reader as a "sync" wake-up (the writer is
// taken to be about to sleep), and on a VM whose CPUs share no cache
// level, any wake-up puts the woken worker on its last CPU or the
// waker's. A worker whose last CPU was the manager's ran there at once,
// and the manager, with the second worker's task still to write, waited
// behind it until the load balancer moved one of them: about 4 ms (a
// scheduler tick), the other CPU idle all along (perf sched timehist,
// pi on 2 vCPUs: in one rep of ten the second half started that late).
// One system call that wakes them all returns to the manager before
// either runs. The manager also skips the call for a worker that is not
// asleep: a busy worker finds its next task in the pipe as it is.
//
// A slot's word: rung (the pipe got bytes since the worker last looked)
// and sleeping (the worker is in, or about to enter, its futex wait).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cofutures::detail {

struct bell_page;

/// The manager's side: the page, and which slots are in use. Manager
/// thread only.
class worker_bells {
 public:
  /// A page with room for `slots` workers. @throws std::system_error.
  explicit worker_bells(std::size_t slots);
  ~worker_bells();
  worker_bells(const worker_bells&) = delete;
  worker_bells& operator=(const worker_bells&) = delete;

  /// The memfd, for a new worker's descriptor 5 (close-on-exec here).
  int fd() const noexcept { return m_fd; }
  /// A free slot for a new worker. @throws std::runtime_error if none is.
  int acquire();
  /// The slot of a worker that has exited (or is never to run).
  void release(int slot) noexcept;

  /// The worker in `slot` has bytes in its pipe. True if it sleeps and
  /// nobody has yet been asked to wake it: the caller then arranges one
  /// wake_sleepers() after the writes at hand.
  bool ring(int slot) noexcept;
  /// Wakes every worker rung while asleep since the last call.
  void wake_sleepers() noexcept;
  /// Whether the worker in `slot` is in (or entering) its sleep: a snapshot.
  bool asleep(int slot) const noexcept;

 private:
  int m_fd = -1;
  bell_page* m_page = nullptr;
  std::size_t m_bytes = 0;
  std::vector<int> m_free;
  std::uint32_t m_to_wake = 0;  // futex bitset of the rung sleepers
};

/// The worker's side: its own slot in the page. Its one thread only.
class worker_bell {
 public:
  /// Maps the page behind `fd`. @throws std::system_error.
  worker_bell(int fd, int slot);
  ~worker_bell();
  worker_bell(const worker_bell&) = delete;
  worker_bell& operator=(const worker_bell&) = delete;

  /// Returns once the manager has rung since the last call (at once if it
  /// has already): the pipe may then have bytes for this worker.
  void wait();

 private:
  bell_page* m_page = nullptr;
  std::size_t m_bytes = 0;
  int m_slot;
};

}  // namespace cofutures::detail

#pragma once
// The process pool's lane: while nothing is queued, the manager lends one
// idle worker to the submitters. A submit puts its task straight into that
// worker's ring, the worker answers in shared memory (lane_reply.hpp), and
// the thread waiting in result() takes the answer there and completes the
// future (wait_assist.hpp). A round trip then involves two threads, the
// waiter and the worker, both spinning for the few microseconds between
// tasks, and no wake-up at all: with the manager between them, three
// threads on two cores cost two context switches per round trip. With no
// thread watching, the worker sends a word down its pipe and the manager
// takes the answer. One lane task is in flight at a time.
//
// This is the lane's state; when to lend and give back is the pool's
// (process_pool_core.cpp). Every member is used under the pool's lock but
// the lock-free looks of a spinning waiter (watch, unwatch, answer_ready).

#include "lane_reply.hpp"
#include "worker_bells.hpp"

#include <cofutures/detail/process_work.hpp>
#include <cofutures/detail/wait_assist.hpp>

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace cofutures::detail {

class process_lane {
 public:
  bool lent() const noexcept { return m_slot >= 0; }
  bool busy() const noexcept { return m_work != nullptr; }
  int slot() const noexcept { return m_slot; }
  pid_t pid() const noexcept { return m_pid; }
  /// Whether task `id` is the lane's task in flight.
  bool holds(std::uint64_t id) const noexcept { return m_work && m_work->m_id == id; }

  /// The worker in `slot` is the lane's now.
  void lend(worker_bells& bells, int slot, pid_t pid) noexcept;
  /// The worker goes back to the manager (the lane's task, if any, taken first).
  void release() noexcept;

  /// Whether a submit may send on the lane, not busy: if its worker is
  /// awake (looking at its ring for a while after a lane task), nobody need
  /// wake it; if it sleeps, only when it is the pool's one worker. Of a
  /// batch of tasks, the first would go to the lane and the others through
  /// the manager; a worker woken from here and one woken by the manager may
  /// then land on one CPU until the scheduler moves one, a tick later (pi:
  /// one rep in two took 7.6-8.2 ms instead of 6.2-6.5). The manager wakes
  /// all the workers it gave tasks with one call (worker_bells.hpp).
  bool open(const worker_bells& bells, std::size_t live_workers) const noexcept;
  /// Puts the task into the worker's ring and wakes it if it sleeps; the
  /// future gets `assist`. False, with nothing sent, if the task's frame
  /// is too large for the ring.
  bool send(worker_bells& bells, std::unique_ptr<process_work>& work, std::shared_ptr<wait_assist> assist);

  /// The lane's task, answered elsewhere or lost.
  std::unique_ptr<process_work> take() noexcept;
  /// The lane's task and its reply frame, if the worker has published it
  /// (a copy: a size past the slot gives nullopt). @throws std::bad_alloc.
  struct answered {
    std::unique_ptr<process_work> work;
    std::optional<std::string> reply;
  };
  std::optional<answered> take_answered(worker_bells& bells);

  // ---- a spinning waiter's, lock-free
  void watch() noexcept;
  void unwatch() noexcept;
  /// Whether the lane's task may have its answer published (a hint:
  /// take_answered decides, under the lock).
  bool answer_ready() const noexcept;

 private:
  int m_slot = -1;  // the lent worker's slot; -1: none lent
  pid_t m_pid = 0;
  // The task in flight: put here by the submitter, taken out under the
  // pool's lock by whichever thread first sees its answer (a waiter, or
  // the manager), or by the manager when the worker dies or the pool breaks.
  std::unique_ptr<process_work> m_work;
  // The lock-free looks: the tag of the task in flight (0: none), the lent
  // worker's reply, and the count of watching threads (in the shared memory;
  // set at the first lending, which the assist's holders see through the
  // pool's lock).
  std::atomic<std::uint64_t> m_tag{0};
  std::atomic<const lane_reply*> m_reply{nullptr};
  std::atomic<std::uint32_t>* m_watching = nullptr;
};

/// Completes `work` from a lane reply frame, which is untrusted as any
/// frame from a worker. False, with `work` failed with broken_process_pool
/// naming `pid`, for a malformed one.
bool deliver_lane_reply(process_work& work, const std::optional<std::string>& reply, pid_t pid) noexcept;

}  // namespace cofutures::detail

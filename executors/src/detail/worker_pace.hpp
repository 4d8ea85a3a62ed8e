#pragma once
// How many tasks the process pool may send a busy worker ahead of time in a
// backlog, from how fast the worker runs them. Three ahead (Python's call
// queue keeps max_workers + 1) is all a worker with tasks of any length
// gets: tasks sent ahead are marked running, so shutdown(cancel_futures)
// cannot cancel them and waits for them. A worker whose tasks take
// microseconds gets fifteen: then each read, each write and each wake-up
// carries several tasks (1e5 trivial submits on two workers: 1.35 -> 0.69 s),
// and the fifteen are done within a fraction of a millisecond.

#include <chrono>
#include <cstddef>

namespace cofutures::detail {

class worker_pace {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t depth = 4;         ///< tasks sent at once: one runs, three wait
  static constexpr std::size_t short_depth = 16;  ///< for a worker whose tasks are short
  static constexpr auto short_task = std::chrono::microseconds(30);

  /// A reply came at `now`; `more_queued`: the worker has another task in
  /// its channel, which it goes on to at once.
  void replied(clock::time_point now, bool more_queued) noexcept {
    // The gap since the last reply is one task's time only if the worker
    // had that task waiting then; otherwise it includes idle time.
    if (m_more_queued) m_task_time = (3 * m_task_time + (now - m_last_reply)) / 4;
    m_last_reply = now;
    m_more_queued = more_queued;
  }
  /// Tasks the worker may hold at once, running and waiting.
  std::size_t max_in_channel() const noexcept { return m_task_time < short_task ? short_depth : depth; }
  clock::duration task_time() const noexcept { return m_task_time; }

 private:
  clock::duration m_task_time = std::chrono::milliseconds(1);  // until measured: not short
  clock::time_point m_last_reply{};
  bool m_more_queued = false;  // at the last reply
};

}  // namespace cofutures::detail

#include <cofutures/detail/adaptive_spin.hpp>

#include <cofutures/detail/cpu_relax.hpp>
#include <cofutures/detail/future_state.hpp>

#include <algorithm>
#include <memory>

namespace cofutures::detail {

adaptive_spin& this_thread_wait_spin() noexcept {
  thread_local adaptive_spin spin;  // per thread: one thread's long waits must not stop another's spin
  return spin;
}

namespace {

// A spinning waiter's watch on the future's assist (wait_assist.hpp), on
// for as long as the spin: when it ends, the assist is polled once more
// after the watch is off, so an answer that came while it was on is not
// left to nobody.
class assist_watch {
 public:
  explicit assist_watch(std::shared_ptr<wait_assist> a) noexcept : m_assist(std::move(a)) {
    if (m_assist) m_assist->watch();
  }
  ~assist_watch() {
    if (!m_assist) return;
    m_assist->unwatch();
    m_assist->poll();
  }
  assist_watch(const assist_watch&) = delete;
  assist_watch& operator=(const assist_watch&) = delete;
  void poll() const noexcept {
    if (m_assist) m_assist->poll();
  }

 private:
  std::shared_ptr<wait_assist> m_assist;
};

}  // namespace

wait_spin spin_until_done(const state_base& s, std::chrono::steady_clock::time_point deadline) noexcept {
  using clock = std::chrono::steady_clock;
  if (!several_cpus()) return {};
  const auto start = clock::now();
  if (deadline <= start) return {};  // a poll (result(0s)): no spin, and no verdict on the budget
  auto& policy = this_thread_wait_spin();
  const auto budget = policy.next();
  const auto until = std::min(start + budget, deadline);
  // Cut short by the caller's deadline: the wait says nothing about the task.
  const bool counts = until == start + budget;
  if (budget.count() == 0) return {false, counts, start, budget};
  bool caught = false;
  {
    assist_watch assist(s.wait_assist_if_pending());
    for (;;) {
      for (int i = 0; i < 64 && !caught; ++i) {  // about 3 us of pauses between clock reads
        caught = s.done();
        if (!caught) {
          assist.poll();
          cpu_relax();
        }
      }
      if (caught || clock::now() >= until) break;
    }
  }  // the assist's last poll may have finished it
  if (caught || s.done()) {
    policy.caught();
    return {true, true, start, budget};
  }
  return {false, counts, start, budget};
}

void wait_ended(const wait_spin& spin, bool result_came) noexcept {
  if (spin.done || !spin.counts) return;
  auto waited = std::chrono::duration_cast<adaptive_spin::duration>(std::chrono::steady_clock::now() - spin.start);
  this_thread_wait_spin().waited(waited, spin.budget, result_came);
}

}  // namespace cofutures::detail

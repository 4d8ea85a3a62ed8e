#include <cofutures/detail/adaptive_spin.hpp>

#include <cofutures/detail/cpu_relax.hpp>
#include <cofutures/detail/future_state.hpp>

#include <algorithm>

namespace cofutures::detail {

adaptive_spin& this_thread_wait_spin() noexcept {
  thread_local adaptive_spin spin;  // per thread: one thread's long waits must not stop another's spin
  return spin;
}

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
  for (;;) {
    for (int i = 0; i < 64; ++i) {  // about 3 us of pauses between clock reads
      if (s.done()) {
        policy.caught();
        return {true, true, start, budget};
      }
      cpu_relax();
    }
    if (clock::now() >= until) break;
  }
  return {false, counts, start, budget};
}

void wait_ended(const wait_spin& spin, bool result_came) noexcept {
  if (spin.done || !spin.counts) return;
  auto waited = std::chrono::duration_cast<adaptive_spin::duration>(std::chrono::steady_clock::now() - spin.start);
  this_thread_wait_spin().waited(waited, spin.budget, result_came);
}

}  // namespace cofutures::detail

#include <cofutures/detail/adaptive_spin.hpp>

#include <cofutures/detail/cpu_relax.hpp>
#include <cofutures/detail/future_state.hpp>

#include <algorithm>
#include <thread>

namespace cofutures::detail {

adaptive_spin& this_thread_wait_spin() noexcept {
  thread_local adaptive_spin spin;  // per thread: one thread's long waits must not stop another's spin
  return spin;
}

bool spin_until_done(const state_base& s, std::chrono::steady_clock::time_point deadline) noexcept {
  using clock = std::chrono::steady_clock;
  static const bool several_cpus = std::thread::hardware_concurrency() > 1;
  if (!several_cpus) return false;
  const auto start = clock::now();
  if (deadline <= start) return false;  // a poll (result(0s)): no spin, and no verdict on the budget
  auto& policy = this_thread_wait_spin();
  const auto budget = policy.next();
  if (budget.count() == 0) return false;
  const auto until = std::min(start + budget, deadline);
  for (;;) {
    for (int i = 0; i < 64; ++i) {  // about 3 us of pauses between clock reads
      if (s.done()) {
        policy.caught(std::chrono::duration_cast<adaptive_spin::duration>(clock::now() - start), budget);
        return true;
      }
      cpu_relax();
    }
    if (clock::now() >= until) break;
  }
  // Cut short by the caller's deadline: that says nothing about the task.
  if (until == start + budget) policy.missed();
  return false;
}

}  // namespace cofutures::detail

#pragma once
// How long a thread about to block in result() first polls the future. A
// result due within microseconds (a round trip to a process worker, a short
// thread-pool task) is then taken without a futex sleep and wake-up, which
// cost about 20 us each on a VM. The budget adapts per thread, as glibc's
// adaptive mutex does, to how long the thread's waits take, spin and sleep
// together:
// - a wait that ends within max_budget (caught by the spin, or after it)
//   sets the full budget: a spin that long would have paid;
// - a wait that ends long after the spin ran out halves the budget, down to
//   none: a thread that waits on long tasks stops spinning;
// - a wait that ends soon after the spin ran out (within wake_allowance)
//   leaves it as it is. On a machine with few cores the spinning thread may
//   be what keeps the worker that would answer off its core, until the
//   scheduler moves one of them; counting those waits as misses would stop
//   the spin before it does (measured on 2 vCPUs: a process round trip then
//   settled at 40-55 us, its waiter parking every time, instead of 23 us).

#include <chrono>

namespace cofutures::detail {

class state_base;

class adaptive_spin {
 public:
  using duration = std::chrono::microseconds;
  /// Longer than a process round trip on a loaded 2-core VM (40-70 us).
  static constexpr duration max_budget{200};
  /// Below this the spin is dropped: a shorter one catches too little.
  static constexpr duration min_budget{10};
  /// A parked thread's sleep and wake-up on a VM, with room to spare: a
  /// result this soon after the spin may have waited for the spinner's core.
  static constexpr duration wake_allowance{100};

  /// The budget for the next wait.
  duration next() const noexcept { return m_budget; }
  /// The spin saw the result.
  void caught() noexcept { m_budget = max_budget; }
  /// A wait whose spin of `budget` (zero: none) did not see the result
  /// ended `took` after it began: with the result if `result_came`, else
  /// at the caller's deadline.
  void waited(duration took, duration budget, bool result_came) noexcept {
    if (result_came && took <= max_budget) return caught();
    if (took > budget + wake_allowance) missed();
  }
  /// Halves the budget, down to none.
  void missed() noexcept {
    auto half = m_budget / 2;
    m_budget = half < min_budget ? duration::zero() : half;
  }
  duration budget() const noexcept { return m_budget; }

 private:
  duration m_budget = max_budget;
};

/// The calling thread's spin policy for blocking waits.
adaptive_spin& this_thread_wait_spin() noexcept;

/// A blocking wait's spin, as spin_until_done left it.
struct wait_spin {
  bool done = false;     ///< the spin saw the result: no sleep follows
  bool counts = false;   ///< the wait is to be judged (not a poll, not cut short)
  std::chrono::steady_clock::time_point start{};
  adaptive_spin::duration budget{};  ///< zero: no spin
};

/// Polls `s` for up to the thread's budget, or until `deadline` if sooner.
/// Does nothing on a single-CPU machine, where the completing thread cannot
/// run while this one spins.
wait_spin spin_until_done(const state_base& s, std::chrono::steady_clock::time_point deadline) noexcept;

/// The sleep after a spin that did not see the result has ended, with the
/// result or not: tells the thread's policy how long the whole wait took.
void wait_ended(const wait_spin& spin, bool result_came) noexcept;

}  // namespace cofutures::detail

#pragma once
// How long a thread about to block in result() first polls the future. A
// result due within microseconds (a round trip to a process worker, a short
// thread-pool task) is then taken without a futex sleep and wake-up, which
// cost about 20 us each on a VM. The budget adapts per thread, as glibc's
// adaptive mutex does, so a thread that waits on long tasks stops spinning:
// a wait that outlasts the spin halves the budget, down to none; a wait the
// spin catches early restores it; with none, every reprobe_every-th wait
// spins the full budget once, to notice that results turned quick again.
// A catch late in the spin counts as a miss: on a machine with few cores
// the spinning thread may be what keeps the worker that would answer off a
// core, and then every spin "succeeds" just as the budget runs out.

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
  static constexpr unsigned reprobe_every = 32;

  /// The budget for the next wait: the current one, or while backed off to
  /// none, nothing except the full budget on every reprobe_every-th wait.
  duration next() noexcept {
    if (m_budget.count() > 0) return m_budget;
    if (++m_skipped < reprobe_every) return duration::zero();
    m_skipped = 0;
    return max_budget;
  }
  /// The spin saw the result after `waited` of a spin of `budget`.
  void caught(duration waited, duration budget) noexcept {
    if (waited * 2 > budget) return missed();
    m_budget = max_budget;
    m_skipped = 0;
  }
  /// The wait outlasted a full spin (a failed reprobe keeps none).
  void missed() noexcept {
    auto half = m_budget / 2;
    m_budget = half < min_budget ? duration::zero() : half;
  }
  duration budget() const noexcept { return m_budget; }

 private:
  duration m_budget = max_budget;
  unsigned m_skipped = 0;  // waits without a spin since the budget went to none
};

/// The calling thread's spin policy for blocking waits.
adaptive_spin& this_thread_wait_spin() noexcept;

/// Polls `s` for up to the thread's budget, or until `deadline` if sooner;
/// true if it finished meanwhile. Does nothing on a single-CPU machine,
/// where the completing thread cannot run while this one spins.
bool spin_until_done(const state_base& s, std::chrono::steady_clock::time_point deadline) noexcept;

}  // namespace cofutures::detail

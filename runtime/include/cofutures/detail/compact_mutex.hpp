#pragma once
// compact_mutex: a four-byte mutex for the lock of every future's state.
// std::mutex is 40 bytes; with a million futures pending that is 40 MB of
// memory to fault in for locks almost never contended. A lock word of
// 0 (free), 1 (held) or 2 (held, someone may sleep on it), slept on through
// std::atomic::wait (a futex on Linux): Drepper's "Futexes Are Tricky",
// mutex 2, with a spin of `Spins` pauses before sleeping (none on one CPU,
// where the holder cannot run while we spin).

#include <cofutures/detail/cpu_relax.hpp>

#include <atomic>
#include <cstdint>

namespace cofutures::detail {

template <int Spins>
class basic_compact_mutex {
 public:
  basic_compact_mutex() noexcept = default;
  basic_compact_mutex(const basic_compact_mutex&) = delete;
  basic_compact_mutex& operator=(const basic_compact_mutex&) = delete;

  void lock() noexcept {
    std::uint32_t expected = free;
    // acquire: the critical section sees what the last holder wrote before
    // its release in unlock().
    if (m_word.compare_exchange_strong(expected, held, std::memory_order_acquire, std::memory_order_relaxed)) return;
    lock_contended();
  }

  bool try_lock() noexcept {
    std::uint32_t expected = free;
    // acquire: as in lock().
    return m_word.compare_exchange_strong(expected, held, std::memory_order_acquire, std::memory_order_relaxed);
  }

  void unlock() noexcept {
    // release: publishes the critical section to the next holder.
    if (m_word.exchange(free, std::memory_order_release) == held_with_sleepers) {
      // Wakes one sleeper. The word may already belong to a state another
      // thread freed after taking the lock: the wake then only touches the
      // address (a futex wake, no read), and a woken stranger re-checks.
      m_word.notify_one();
    }
  }

 private:
  static constexpr std::uint32_t free = 0;
  static constexpr std::uint32_t held = 1;
  static constexpr std::uint32_t held_with_sleepers = 2;

  void lock_contended() noexcept {
    // Critical sections are a few dozen instructions: the holder is
    // usually done within a short spin, which costs less than a sleep and
    // a wake-up.
    const int spins = several_cpus() ? Spins : 0;
    for (int i = 0; i < spins; ++i) {
      cpu_relax();
      // relaxed: a hint; the CAS in try_lock() is what acquires.
      if (m_word.load(std::memory_order_relaxed) == free && try_lock()) return;
    }
    // From here on the word says 2, so the unlock that lets us in wakes us.
    // acquire: as in lock(), when the exchange finds the lock free.
    while (m_word.exchange(held_with_sleepers, std::memory_order_acquire) != free) {
      m_word.wait(held_with_sleepers, std::memory_order_relaxed);  // relaxed: the exchange re-checks
    }
  }

  std::atomic<std::uint32_t> m_word{free};
};

using compact_mutex = basic_compact_mutex<100>;

}  // namespace cofutures::detail

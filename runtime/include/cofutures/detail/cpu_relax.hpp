#pragma once
// The processor's spin-wait hint, for loops that poll a flag another thread
// sets: it saves power and frees the core's other hyperthread. And whether
// such a loop can pay at all: on one CPU the thread that would set the flag
// cannot run while this one polls.

#include <thread>

namespace cofutures::detail {

inline bool several_cpus() noexcept {
  static const bool several = std::thread::hardware_concurrency() > 1;
  return several;
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace cofutures::detail

#pragma once
// The processor's spin-wait hint, for loops that poll a flag another thread
// sets: it saves power and frees the core's other hyperthread.

namespace cofutures::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace cofutures::detail

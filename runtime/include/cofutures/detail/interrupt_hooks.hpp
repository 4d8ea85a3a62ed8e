#pragma once
// What a signal-handling event_loop does to the process's executors when it
// is interrupted: every live executor registers a hook (shut down with
// cancel_futures; a process pool also terminates its workers).

#include <cstdint>
#include <functional>

namespace cofutures::detail {

/// Registered for its lifetime. The hook must be safe to call from the loop
/// thread at any time until the destructor returns, and must not throw.
class interrupt_hook {
 public:
  explicit interrupt_hook(std::function<void()> hook);
  ~interrupt_hook();
  interrupt_hook(const interrupt_hook&) = delete;
  interrupt_hook& operator=(const interrupt_hook&) = delete;

 private:
  std::uint64_t m_id;
};

/// Calls every registered hook (on the interrupted loop's thread).
void run_interrupt_hooks() noexcept;

}  // namespace cofutures::detail

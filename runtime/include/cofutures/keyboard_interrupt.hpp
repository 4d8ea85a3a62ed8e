#pragma once
/// @file keyboard_interrupt.hpp
/// keyboard_interrupt: what a signal-handling event_loop's run() throws
/// after SIGINT or SIGTERM (Python's KeyboardInterrupt out of asyncio.run).
///
/// Like Python's KeyboardInterrupt, which is not an Exception, it does not
/// derive from cofutures::error, so `catch (const cofutures::error&)` in the
/// program does not swallow a Ctrl-C.
///
/// Thread safety: immutable after construction.

#include <cstring>
#include <exception>
#include <string>

namespace cofutures {

class keyboard_interrupt : public std::exception {
 public:
  /// @param signal_number the signal that interrupted the loop (SIGINT, SIGTERM)
  explicit keyboard_interrupt(int signal_number)
      : m_signal(signal_number), m_what(std::string("interrupted by signal ") + std::to_string(signal_number) + " (" +
                                        ::strsignal(signal_number) + ")") {}

  const char* what() const noexcept override { return m_what.c_str(); }
  int signal_number() const noexcept { return m_signal; }
  /// The shell's convention for "ended by this signal": 128 + the signal
  /// (130 for Ctrl-C); `return e.exit_status();` from main.
  int exit_status() const noexcept { return 128 + m_signal; }

 private:
  int m_signal;
  std::string m_what;
};

}  // namespace cofutures

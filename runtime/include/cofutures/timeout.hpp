#pragma once
/// @file timeout.hpp
/// optional_timeout: the `timeout=None` parameter of Python's API, taking any
/// std::chrono duration (integral or floating) or std::nullopt.

#include <chrono>
#include <optional>
#include <stdexcept>

namespace cofutures {

/// An optional, non-negative timeout, turned into a deadline at the call.
///
/// Thread safety: a value type.
class optional_timeout {
 public:
  using clock = std::chrono::steady_clock;

  /// No timeout: wait for ever.
  constexpr optional_timeout() noexcept = default;
  constexpr optional_timeout(std::nullopt_t) noexcept {}  // NOLINT: implicit like Python's None

  /// @throws std::invalid_argument if the duration is negative.
  template <class Rep, class Period>
  optional_timeout(std::chrono::duration<Rep, Period> d)  // NOLINT: implicit by design
      : m_value(to_clock_duration(d)) {}

  template <class Rep, class Period>
  optional_timeout(std::optional<std::chrono::duration<Rep, Period>> d)  // NOLINT
      : m_value(d ? std::optional(to_clock_duration(*d)) : std::nullopt) {}

  bool has_value() const noexcept { return m_value.has_value(); }
  clock::duration value() const { return m_value.value(); }

  /// The deadline counted from now, or nullopt.
  std::optional<clock::time_point> deadline() const {
    if (!m_value) return std::nullopt;
    return clock::now() + *m_value;
  }

 private:
  template <class Rep, class Period>
  static clock::duration to_clock_duration(std::chrono::duration<Rep, Period> d) {
    if (d < std::chrono::duration<Rep, Period>::zero()) {
      throw std::invalid_argument("timeout must not be negative");
    }
    // Anything beyond ~30 years is "for ever" and must not overflow the clock.
    constexpr std::chrono::duration<double> longest{1e9};
    if (std::chrono::duration<double>(d) >= longest) {
      return std::chrono::duration_cast<clock::duration>(longest);
    }
    // Round up so that a tiny positive timeout is not silently zero.
    return std::chrono::ceil<clock::duration>(d);
  }

  std::optional<clock::duration> m_value;
};

}  // namespace cofutures

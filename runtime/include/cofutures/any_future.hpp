#pragma once
/// @file any_future.hpp
/// any_future: a type-erased future<T> for collections of mixed futures
/// (wait, as_completed over mixed sources).

#include <cofutures/detail/future_state.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/timeout.hpp>

#include <compare>
#include <concepts>
#include <exception>
#include <functional>
#include <iosfwd>
#include <memory>
#include <typeinfo>

namespace cofutures {

/// Any future<T>, its value type erased: the same state queries, cancel,
/// exception() and callbacks. Recover the typed future with as<T>().
///
/// Thread safety: as future<T>.
class any_future {
 public:
  any_future() noexcept = default;
  template <class T>
  any_future(const future<T>& f) noexcept : m_state(f.state_ptr()) {}  // NOLINT: implicit by design

  bool valid() const noexcept { return m_state != nullptr; }
  bool cancel() const { return checked().cancel(m_state); }
  bool cancelled() const { return checked().cancelled(); }
  bool running() const { return checked().running(); }
  bool done() const { return checked().done(); }

  /// Waits until done; nullptr on success. @throws cancelled_error.
  std::exception_ptr exception() const {
    checked().wait();
    return m_state->exception_when_done();
  }
  /// @throws timeout_error if not done within `timeout`; cancelled_error.
  std::exception_ptr exception(optional_timeout timeout) const;

  /// Waits until done; rethrows its exception (cancelled_error if cancelled).
  void wait() const {
    checked().wait();
    m_state->rethrow_if_failed();
  }

  void add_done_callback(std::function<void(any_future)> fn) const { add_done_callback<>(std::move(fn)); }
  /// The same for any callable (move-only ones too), kept without a
  /// std::function around it: small ones cost no allocation.
  template <class F>
    requires std::invocable<std::decay_t<F>&, any_future>
  void add_done_callback(F&& fn) const {
    auto call = [fn = std::forward<F>(fn)](const std::shared_ptr<detail::state_base>& s) mutable {
      fn(any_future(s));
    };
    checked().add_done_callback(m_state, std::move(call));
  }

  /// The typed future. @throws std::bad_cast if it is not a future<T>.
  template <class T>
  future<T> as() const {
    auto typed = std::dynamic_pointer_cast<detail::state<T>>(checked_ptr());
    if (!typed) throw std::bad_cast();
    return future<T>(std::move(typed));
  }

  friend bool operator==(const any_future& a, const any_future& b) noexcept { return a.m_state == b.m_state; }
  friend std::strong_ordering operator<=>(const any_future& a, const any_future& b) noexcept {
    return std::compare_three_way{}(a.m_state.get(), b.m_state.get());
  }

  const std::shared_ptr<detail::state_base>& state_ptr() const noexcept { return m_state; }
  explicit any_future(std::shared_ptr<detail::state_base> s) noexcept : m_state(std::move(s)) {}

 private:
  detail::state_base& checked() const { return *checked_ptr(); }
  const std::shared_ptr<detail::state_base>& checked_ptr() const {
    if (!m_state) throw invalid_state_error("any_future has no state (default-constructed)");
    return m_state;
  }

  std::shared_ptr<detail::state_base> m_state;
};

std::ostream& operator<<(std::ostream& os, const any_future& f);

}  // namespace cofutures

template <>
struct std::hash<cofutures::any_future> {
  std::size_t operator()(const cofutures::any_future& f) const noexcept {
    return std::hash<const void*>{}(f.state_ptr().get());
  }
};

#pragma once
/// @file future.hpp
/// future<T>: Python's concurrent.futures.Future as a shared, copyable
/// handle, which a coroutine can also co_await through async_result().

#include <cofutures/detail/async_result_op.hpp>
#include <cofutures/detail/future_state.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/timeout.hpp>

#include <asio/async_result.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <compare>
#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <iosfwd>
#include <memory>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace cofutures {

template <class T>
class promise;
class any_future;

namespace detail {
template <class T>
struct result_type_of {
  using type = std::conditional_t<std::is_copy_constructible_v<T>, T, const T&>;
};
template <>
struct result_type_of<void> {
  using type = void;
};
}  // namespace detail

/// The result of an asynchronous computation: pending, running, cancelled or
/// finished with a value or an exception.
///
/// A future is a shared handle: copies refer to the same state, compare
/// equal and hash alike (futures can key a map, like Python's).
///
/// Thread safety: every member may be called from any thread, concurrently.
template <class T = void>
class future {
 public:
  using value_type = T;
  /// result() returns a copy (a const reference for move-only T).
  using result_type = typename detail::result_type_of<T>::type;

  /// An empty handle; valid() is false and every other call throws.
  future() noexcept = default;

  bool valid() const noexcept { return m_state != nullptr; }

  /// Waits until done; returns the value. The thread polls the future for
  /// up to 200 us before it sleeps, less the more its waits outlast that
  /// (detail/adaptive_spin.hpp): quick results then cost no wake-up. A
  /// process task's answer waiting in shared memory is taken by the polling
  /// thread itself, which then completes the future (and runs an unbound
  /// future's done-callbacks; detail/wait_assist.hpp).
  /// @throws the task's exception; cancelled_error if cancelled.
  result_type result() const {
    auto& s = checked();
    s.wait();
    return value_of(s);
  }

  /// As result(), waiting at most `timeout`.
  /// @throws timeout_error if not done in time (timeout 0 polls).
  result_type result(optional_timeout timeout) const {
    auto& s = checked();
    wait_for(s, timeout);
    return value_of(s);
  }

  /// Waits until done; the exception it finished with, nullptr on success.
  /// @throws cancelled_error if cancelled.
  std::exception_ptr exception() const {
    auto& s = checked();
    s.wait();
    return s.exception_when_done();
  }

  /// As exception(), waiting at most `timeout`. @throws timeout_error.
  std::exception_ptr exception(optional_timeout timeout) const {
    auto& s = checked();
    wait_for(s, timeout);
    return s.exception_when_done();
  }

  /// Cancels a pending future. False once running or finished; true if it
  /// is (now) cancelled. Callbacks and waiters are told at once.
  bool cancel() const { return checked().cancel(m_state); }
  bool cancelled() const { return checked().cancelled(); }
  bool running() const { return checked().running(); }
  bool done() const { return checked().done(); }

  /// Calls fn(future) when done, or soon if already done. A future bound to
  /// an event_loop runs callbacks on the loop thread in registration order;
  /// an unbound one on the completing thread (or here, if already done). A
  /// callback that throws is reported and the others still run.
  void add_done_callback(std::function<void(future)> fn) const { add_done_callback<>(std::move(fn)); }
  /// The same for any callable (move-only ones too), kept without a
  /// std::function around it: small ones cost no allocation.
  template <class F>
    requires std::invocable<std::decay_t<F>&, future>
  void add_done_callback(F&& fn) const {
    auto call = [fn = std::forward<F>(fn)](const std::shared_ptr<detail::state_base>& s) mutable {
      fn(future(std::static_pointer_cast<detail::state<T>>(s)));
    };
    checked().add_done_callback(m_state, std::move(call));
  }

  /// Waits asynchronously: an Asio operation with signature
  /// void(std::exception_ptr, T) (void(std::exception_ptr) for T = void).
  /// `co_await f.async_result()` suspends the coroutine, not the thread, and
  /// resumes it on its executor. The handler runs on its associated executor
  /// (default: the running event_loop). Cancelling the operation through its
  /// cancellation slot stops the wait (operation_aborted); the future is
  /// left intact.
  template <class Token = asio::use_awaitable_t<>>
  auto async_result(Token&& token = {}) const {
    static_assert(std::is_void_v<T> || (std::is_default_constructible_v<T> && std::is_copy_constructible_v<T>),
                  "future<T>::async_result needs a default-constructible, copyable T");
    checked();
    return asio::async_initiate<Token, detail::async_result_signature<T>>(
        detail::initiate_async_result<T>{m_state}, token);
  }

  friend bool operator==(const future& a, const future& b) noexcept { return a.m_state == b.m_state; }
  friend std::strong_ordering operator<=>(const future& a, const future& b) noexcept {
    return std::compare_three_way{}(a.m_state.get(), b.m_state.get());
  }

  /// The state's identity (for hashing, wait and as_completed).
  const std::shared_ptr<detail::state<T>>& state_ptr() const noexcept { return m_state; }

  explicit future(std::shared_ptr<detail::state<T>> s) noexcept : m_state(std::move(s)) {}

 private:
  detail::state<T>& checked() const {
    if (!m_state) throw invalid_state_error("future has no state (default-constructed or moved-from)");
    return *m_state;
  }

  static void wait_for(const detail::state<T>& s, const optional_timeout& timeout) {
    auto deadline = timeout.deadline();
    if (!deadline) {
      s.wait();
    } else if (!s.wait_until(*deadline)) {
      throw timeout_error();
    }
  }

  static result_type value_of(detail::state<T>& s) {
    s.rethrow_if_failed();
    if constexpr (!std::is_void_v<T>) return s.value();
  }

  std::shared_ptr<detail::state<T>> m_state;
};

namespace detail {
/// Python's Future repr; value_type names what a finished future returned.
void print_future(std::ostream& os, const state_base* s, const std::type_info* value_type = nullptr);
}

/// Prints `<future at 0x... state=finished returned double>` like Python's
/// repr (`state=pending`, `running`, `cancelled`, `raised <type>`).
template <class T>
std::ostream& operator<<(std::ostream& os, const future<T>& f) {
  detail::print_future(os, f.state_ptr().get(), &typeid(T));
  return os;
}

}  // namespace cofutures

template <class T>
struct std::hash<cofutures::future<T>> {
  std::size_t operator()(const cofutures::future<T>& f) const noexcept {
    return std::hash<const void*>{}(f.state_ptr().get());
  }
};

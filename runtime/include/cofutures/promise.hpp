#pragma once
/// @file promise.hpp
/// promise<T>: the producer side of a future (the low-level API Python's
/// executors use on their Future: set_running_or_notify_cancel, set_result,
/// set_exception).

#include <cofutures/detail/future_state.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

namespace cofutures {

/// Creates and completes one future. Move-only. A promise created while an
/// event_loop runs on this thread binds its future to that loop (callbacks
/// then run on the loop thread).
///
/// Destroying a promise whose future is not done finishes the future with
/// invalid_state_error ("broken promise"), so no waiter hangs for ever.
///
/// Thread safety: one producer; its calls may race with any future calls.
template <class T = void>
class promise {
 public:
  promise() : m_state(std::make_shared<detail::state<T>>()) {}
  /// Binds the future to a given loop (nullptr: unbound).
  explicit promise(std::shared_ptr<detail::loop_core> loop)
      : m_state(std::make_shared<detail::state<T>>(std::move(loop))) {}

  promise(promise&&) noexcept = default;
  promise& operator=(promise&& other) noexcept {
    if (this != &other) {
      abandon();
      m_state = std::move(other.m_state);
    }
    return *this;
  }
  ~promise() { abandon(); }

  /// A future sharing this promise's state (any number may be taken).
  future<T> get_future() const { return future<T>(checked_ptr()); }

  /// Python's Future.set_running_or_notify_cancel(): true if the work may
  /// start (the future is now running); false if it was cancelled.
  /// @throws invalid_state_error if already running or finished.
  bool set_running_or_notify_cancel() { return checked().set_running_or_notify_cancel(); }

  /// @throws invalid_state_error if the future is already done.
  template <class U = T>
    requires(!std::is_void_v<U>)
  void set_result(U&& value) {
    if (!checked().try_set_value(m_state, std::forward<U>(value))) throw already_done();
  }
  void set_result()
    requires std::is_void_v<T>
  {
    if (!checked().try_set_value(m_state)) throw already_done();
  }

  /// @throws invalid_state_error if the future is already done.
  void set_exception(std::exception_ptr e) {
    if (!e) throw std::invalid_argument("set_exception needs a non-null exception_ptr");
    if (!checked().try_set_exception(m_state, std::move(e))) throw already_done();
  }

  /// Non-throwing forms for producers racing a cancel(): false if done.
  template <class... U>
  bool try_set_result(U&&... value) {
    return checked().try_set_value(m_state, std::forward<U>(value)...);
  }
  bool try_set_exception(std::exception_ptr e) { return checked().try_set_exception(m_state, std::move(e)); }

  /// Runs `hook` when cancel() succeeds on the future (to stop the work).
  void set_cancel_hook(std::function<void()> hook) { checked().set_cancel_hook(std::move(hook)); }

  bool valid() const noexcept { return m_state != nullptr; }

 private:
  invalid_state_error already_done() const {
    return invalid_state_error(std::string("future is already done (") +
                               detail::to_string(m_state->status()) + ")");
  }
  detail::state<T>& checked() const { return *checked_ptr(); }
  const std::shared_ptr<detail::state<T>>& checked_ptr() const {
    if (!m_state) throw invalid_state_error("promise has no state (moved-from)");
    return m_state;
  }
  void abandon() noexcept {
    if (m_state) m_state->abandon(m_state);
  }

  std::shared_ptr<detail::state<T>> m_state;
};

}  // namespace cofutures

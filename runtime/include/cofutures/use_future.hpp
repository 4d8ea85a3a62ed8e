#pragma once
/// @file use_future.hpp
/// cofutures::use_future: an Asio completion token. Any Asio asynchronous
/// operation initiated with it returns a cofutures::future<T> — a timer's
/// async_wait(cofutures::use_future) gives a future<void> you can wait on,
/// pass to as_completed, or co_await.
///
/// Completion signature -> future:
///   void() / void(error_code) / void(exception_ptr)       -> future<void>
///   void([error_code|exception_ptr,] T)                   -> future<T>
///   void([error_code|exception_ptr,] T1, T2, ...)         -> future<std::tuple<T1, T2, ...>>
/// A non-zero error_code becomes asio::system_error. cancel() on the future
/// cancels the operation (through its cancellation slot) and the future.

#include <cofutures/detail/loop_core.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/error_code.hpp>
#include <asio/post.hpp>
#include <asio/system_error.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cofutures {

/// The completion token type; use the `use_future` object.
struct use_future_t {
  constexpr use_future_t() noexcept = default;
};

/// Makes an Asio operation return a cofutures::future.
inline constexpr use_future_t use_future{};

namespace detail {

// The value part of a completion signature, after a leading error argument.
template <class... Values>
struct use_future_value {
  using type = std::tuple<std::decay_t<Values>...>;
};
template <>
struct use_future_value<> {
  using type = void;
};
template <class V>
struct use_future_value<V> {
  using type = std::decay_t<V>;
};

template <class... Args>
struct use_future_traits {
  static constexpr bool has_error = false;
  using value_type = typename use_future_value<Args...>::type;
};
template <class... Rest>
struct use_future_traits<asio::error_code, Rest...> {
  static constexpr bool has_error = true;
  using value_type = typename use_future_value<Rest...>::type;
};
template <class... Rest>
struct use_future_traits<const asio::error_code&, Rest...> : use_future_traits<asio::error_code, Rest...> {};
template <class... Rest>
struct use_future_traits<std::exception_ptr, Rest...> {
  static constexpr bool has_error = true;
  using value_type = typename use_future_value<Rest...>::type;
};

inline std::exception_ptr to_exception(const asio::error_code& ec) {
  return ec ? std::make_exception_ptr(asio::system_error(ec)) : nullptr;
}
inline std::exception_ptr to_exception(std::exception_ptr e) { return e; }

// The cancellation signal of one use_future operation, shared by the
// handler (whose slot it feeds) and the future's cancel hook.
struct use_future_control {
  asio::cancellation_signal m_signal;
};

template <class Value, class... Args>
class use_future_handler {
 public:
  using cancellation_slot_type = asio::cancellation_slot;

  use_future_handler(promise<Value> p, std::shared_ptr<use_future_control> control)
      : m_promise(std::move(p)), m_control(std::move(control)) {}

  cancellation_slot_type get_cancellation_slot() const noexcept { return m_control->m_signal.slot(); }

  template <class... A>
  void operator()(A&&... args) {
    complete(std::forward<A>(args)...);
  }

 private:
  // try_: the future may have been cancelled while the operation ran.
  template <class E, class... Rest>
    requires use_future_traits<std::decay_t<E>, Rest...>::has_error
  void complete(E&& e, Rest&&... rest) {
    if (auto ex = to_exception(e)) {
      m_promise.try_set_exception(ex);
    } else {
      set_values(std::forward<Rest>(rest)...);
    }
  }
  template <class... V>
  void complete(V&&... values) {
    set_values(std::forward<V>(values)...);
  }

  template <class... V>
  void set_values(V&&... values) {
    if constexpr (sizeof...(V) == 0) {
      m_promise.try_set_result();
    } else if constexpr (sizeof...(V) == 1) {
      m_promise.try_set_result(std::forward<V>(values)...);
    } else {
      m_promise.try_set_result(Value(std::forward<V>(values)...));
    }
  }

  promise<Value> m_promise;
  std::shared_ptr<use_future_control> m_control;
};

template <class Initiation>
concept has_executor = requires(const Initiation& i) { i.get_executor(); };

// The executor on which to emit the operation's cancellation: the I/O
// object's (Asio initiations expose it), else the running loop's.
template <class Initiation>
std::optional<asio::any_io_executor> cancellation_executor(const Initiation& init) {
  if constexpr (has_executor<Initiation>) {
    return asio::any_io_executor(init.get_executor());
  } else if (auto* loop = event_loop::current()) {
    return asio::any_io_executor(loop->get_executor());
  } else {
    return std::nullopt;
  }
}

}  // namespace detail
}  // namespace cofutures

template <class... Args>
class asio::async_result<cofutures::use_future_t, void(Args...)> {
  using traits = cofutures::detail::use_future_traits<std::decay_t<Args>...>;

 public:
  using value_type = typename traits::value_type;
  using return_type = cofutures::future<value_type>;

  template <class Initiation, class... InitArgs>
  static return_type initiate(Initiation&& initiation, cofutures::use_future_t, InitArgs&&... args) {
    cofutures::promise<value_type> p;  // bound to the running loop, if any
    auto f = p.get_future();
    auto control = std::make_shared<cofutures::detail::use_future_control>();
    auto executor = cofutures::detail::cancellation_executor(initiation);
    auto core = executor ? cofutures::detail::loop_core_of(*executor) : nullptr;
    p.set_cancel_hook([control, executor, core] {
      // Cancellation signals are not thread-safe: emit on the I/O thread.
      auto emit = [control] { control->m_signal.emit(asio::cancellation_type::all); };
      if (executor) cofutures::detail::guarded_post(core, *executor, emit);
      else emit();
    });
    std::move(initiation)(cofutures::detail::use_future_handler<value_type, Args...>(std::move(p), control),
                          std::forward<InitArgs>(args)...);
    return f;
  }
};

#pragma once
/// @file gather.hpp
/// gather: asyncio.gather for futures. `auto [a, b] = co_await gather(fa, fb);`
/// waits for all, returns their values in argument order, and rethrows the
/// first exception (in completion order) as soon as it happens.

#include <cofutures/any_future.hpp>
#include <cofutures/as_completed.hpp>
#include <cofutures/future.hpp>

#include <asio/awaitable.hpp>

#include <exception>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

namespace cofutures {

/// The value gather yields for a future<T>: T, or std::monostate for void.
template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

namespace detail {

// Waits (on the loop) until every future is done; rethrows the first
// exception or cancellation as it arrives.
asio::awaitable<void> gather_wait(std::vector<any_future> futures);

template <class T>
gather_value_t<T> gather_value(const future<T>& f) {
  if constexpr (std::is_void_v<T>) {
    f.result();
    return {};
  } else {
    return f.result();  // done: does not block
  }
}

}  // namespace detail

namespace detail {
template <class... T>
asio::awaitable<std::tuple<gather_value_t<T>...>> gather_tuple(std::vector<any_future> all, future<T>... futures) {
  co_await gather_wait(std::move(all));
  co_return std::tuple<gather_value_t<T>...>(gather_value(futures)...);
}
}  // namespace detail

/// All the futures' values as a tuple, in argument order.
/// @throws the first exception a future finished with; cancelled_error.
template <class... T>
asio::awaitable<std::tuple<gather_value_t<T>...>> gather(future<T>... futures) {
  // Not a coroutine itself: GCC 12 rejects braced lists in coroutine bodies.
  return detail::gather_tuple(std::vector<any_future>{any_future(futures)...}, futures...);
}

/// All the futures' values as a vector, in input order.
template <class T>
asio::awaitable<std::vector<gather_value_t<T>>> gather(std::vector<future<T>> futures) {
  co_await detail::gather_wait(std::vector<any_future>(futures.begin(), futures.end()));
  std::vector<gather_value_t<T>> values;
  values.reserve(futures.size());
  for (const auto& f : futures) values.push_back(detail::gather_value(f));
  co_return values;
}

}  // namespace cofutures

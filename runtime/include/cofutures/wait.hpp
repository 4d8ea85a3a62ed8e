#pragma once
/// @file wait.hpp
/// wait / async_wait: Python's concurrent.futures.wait over any range of
/// futures, blocking or as an Asio asynchronous operation.

#include <cofutures/any_future.hpp>
#include <cofutures/detail/async_set_wait_op.hpp>
#include <cofutures/detail/default_executor.hpp>
#include <cofutures/detail/future_range.hpp>
#include <cofutures/detail/future_set_waiter.hpp>
#include <cofutures/future.hpp>
#include <cofutures/timeout.hpp>

#include <asio/async_result.hpp>
#include <asio/compose.hpp>
#include <asio/use_awaitable.hpp>

#include <exception>
#include <initializer_list>
#include <utility>
#include <vector>

namespace cofutures {

/// When wait() returns (FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED).
/// A cancelled future counts as completed, at once.
enum class return_when { first_completed, first_exception, all_completed };

/// Python's DoneAndNotDoneFutures, each list in input order, duplicates
/// collapsed. Converts to wait_result (any_future lists).
template <class F>
struct basic_wait_result {
  std::vector<F> done;
  std::vector<F> not_done;

  operator basic_wait_result<any_future>() const  // NOLINT: implicit by design
    requires(!std::is_same_v<F, any_future>)
  {
    return {{done.begin(), done.end()}, {not_done.begin(), not_done.end()}};
  }
};

using wait_result = basic_wait_result<any_future>;

namespace detail {

inline future_set_waiter::mode to_mode(return_when rw) {
  switch (rw) {
    case return_when::first_completed: return future_set_waiter::mode::first_completed;
    case return_when::first_exception: return future_set_waiter::mode::first_exception;
    case return_when::all_completed: return future_set_waiter::mode::all_completed;
  }
  throw std::invalid_argument("invalid return_when value");
}

/// Moves the futures of `fs` into done / not_done, as the waiter saw them
/// up to now. Unlinks the waiter first: it records nothing after the
/// snapshot, and once moved out, the futures may be dropped.
template <class F>
basic_wait_result<F> split_done(std::vector<F>& fs, future_set_waiter& w) {
  w.unlink_all();
  basic_wait_result<F> out;
  if (w.finished_count() == fs.size()) {
    // All done (how all_completed ends): the done list is fs itself, in
    // input order, and a million futures need no second vector.
    out.done = std::move(fs);
    return out;
  }
  auto finished = w.finished();
  std::vector<bool> is_done(fs.size());
  for (auto i : finished) is_done[i] = true;
  out.done.reserve(finished.size());
  out.not_done.reserve(fs.size() - finished.size());
  for (std::size_t i = 0; i < fs.size(); ++i) (is_done[i] ? out.done : out.not_done).push_back(std::move(fs[i]));
  return out;
}

}  // namespace detail

/// Blocks until `return_when` holds for the futures or the timeout passes
/// (then the unfinished ones are in not_done; no exception).
/// @throws std::invalid_argument for a negative timeout.
template <detail::future_range R>
basic_wait_result<detail::range_future_t<R>> wait(R&& futures, return_when when = return_when::all_completed,
                                                  optional_timeout timeout = {}) {
  using F = detail::range_future_t<R>;
  auto mode = detail::to_mode(when);
  auto deadline = timeout.deadline();
  auto fs = detail::unique_futures<F>(std::forward<R>(futures));
  detail::future_set_waiter waiter(detail::states_of(fs), mode);
  waiter.wait_until(deadline);
  return detail::split_done(fs, waiter);
}

template <detail::future_handle F>
basic_wait_result<F> wait(std::initializer_list<F> futures, return_when when = return_when::all_completed,
                          optional_timeout timeout = {}) {
  return wait(std::vector<F>(futures), when, timeout);
}

/// Python's argument order: wait(fs, timeout, return_when).
template <detail::future_range R>
auto wait(R&& futures, optional_timeout timeout, return_when when = return_when::all_completed) {
  return wait(std::forward<R>(futures), when, timeout);
}

/// wait() as an Asio asynchronous operation with signature
/// void(std::exception_ptr, basic_wait_result<F>): `co_await
/// async_wait(fs, return_when::first_completed)` suspends the coroutine, not
/// the loop. Cancellation through the slot completes it with
/// operation_aborted and leaves the futures alone.
template <detail::future_range R, class Token = asio::use_awaitable_t<>>
auto async_wait(R&& futures, return_when when = return_when::all_completed, optional_timeout timeout = {},
                Token&& token = {}) {
  using F = detail::range_future_t<R>;
  using result_t = basic_wait_result<F>;
  auto fs = std::make_shared<std::vector<F>>(detail::unique_futures<F>(std::forward<R>(futures)));
  auto state = std::make_shared<detail::async_set_wait_state>(fs, detail::states_of(*fs), detail::to_mode(when),
                                                              timeout.deadline());
  auto ready = [](detail::async_set_wait_state& s) { return s.m_waiter.satisfied(); };
  auto finish = [fs](auto& self, detail::async_set_wait_state& s, bool aborted, bool) {
    if (aborted) return self.complete(detail::operation_aborted(), result_t{});
    self.complete(std::exception_ptr(), detail::split_done(*fs, s.m_waiter));
  };
  return asio::async_compose<Token, void(std::exception_ptr, result_t)>(
      detail::async_set_wait_op<decltype(ready), decltype(finish)>{state, ready, finish}, token,
      detail::default_completion_executor());
}

}  // namespace cofutures

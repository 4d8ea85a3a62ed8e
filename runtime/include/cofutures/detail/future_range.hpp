#pragma once
// What wait/as_completed/gather accept: ranges of future<T> or any_future,
// collapsed to unique futures in first-seen order.

#include <cofutures/any_future.hpp>
#include <cofutures/detail/default_executor.hpp>
#include <cofutures/detail/future_state.hpp>
#include <cofutures/detail/pointer_set.hpp>
#include <cofutures/future.hpp>

#include <memory>
#include <ranges>
#include <type_traits>
#include <vector>

namespace cofutures::detail {

template <class F>
struct is_future_handle : std::false_type {};
template <class T>
struct is_future_handle<future<T>> : std::true_type {};
template <>
struct is_future_handle<any_future> : std::true_type {};

template <class F>
concept future_handle = is_future_handle<std::remove_cvref_t<F>>::value;

template <class R>
concept future_range = std::ranges::input_range<R> && future_handle<std::ranges::range_value_t<R>>;

template <class R>
using range_future_t = std::remove_cvref_t<std::ranges::range_value_t<R>>;

template <class F, class R>
std::vector<F> unique_futures(R&& range) {
  std::vector<F> out;
  std::size_t expected = 0;
  if constexpr (std::ranges::sized_range<R>) expected = static_cast<std::size_t>(std::ranges::size(range));
  out.reserve(expected);
  pointer_set seen(expected);
  auto add = [&](const auto& f) {
    if (!f.valid()) throw invalid_state_error("a future in the set has no state");
    if (seen.insert(f.state_ptr().get())) out.push_back(f);
  };
  if constexpr (std::ranges::random_access_range<R> && std::ranges::sized_range<R>) {
    // Over many futures each one's table slot and reference count are cache
    // misses; asking for them a few futures ahead lets them overlap.
    constexpr std::size_t ahead = 8;
    auto first = std::ranges::begin(range);
    for (std::size_t i = 0; i < expected; ++i) {
      if (i + ahead < expected) {
        if (const auto* next = first[static_cast<std::ptrdiff_t>(i + ahead)].state_ptr().get()) {
          seen.prefetch(next);
          __builtin_prefetch(next, 1);
        }
      }
      add(first[static_cast<std::ptrdiff_t>(i)]);
    }
  } else {
    for (auto&& f : range) add(f);
  }
  return out;
}

/// The futures' states, owned by `fs` (see future_set_waiter).
template <class F>
std::vector<state_base*> states_of(const std::vector<F>& fs) {
  std::vector<state_base*> out;
  out.reserve(fs.size());
  for (const auto& f : fs) out.push_back(f.state_ptr().get());
  return out;
}

}  // namespace cofutures::detail

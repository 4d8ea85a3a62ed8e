#pragma once
// map(fn, ranges..., map_options{}) takes its options as an optional
// trailing argument; this splits them off the ranges.

#include <cofutures/map_options.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cofutures::detail {

template <class... Args>
constexpr bool ends_with_map_options() {
  if constexpr (sizeof...(Args) == 0) {
    return false;
  } else {
    using last = std::tuple_element_t<sizeof...(Args) - 1, std::tuple<Args...>>;
    return std::is_same_v<std::remove_cvref_t<last>, map_options>;
  }
}

/// Calls call(options, ranges...) with the trailing map_options (or the
/// defaults) split off.
template <class Call, class... Args>
decltype(auto) split_map_args(Call&& call, Args&&... args) {
  if constexpr (ends_with_map_options<Args...>()) {
    auto all = std::forward_as_tuple(std::forward<Args>(args)...);
    constexpr std::size_t n = sizeof...(Args) - 1;
    return [&]<std::size_t... I>(std::index_sequence<I...>) -> decltype(auto) {
      return std::forward<Call>(call)(map_options(std::get<n>(all)), std::get<I>(std::move(all))...);
    }(std::make_index_sequence<n>{});
  } else {
    return std::forward<Call>(call)(map_options{}, std::forward<Args>(args)...);
  }
}

}  // namespace cofutures::detail

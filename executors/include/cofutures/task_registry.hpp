#pragma once
/// @file task_registry.hpp
/// Naming the functions worker processes run. submit<&fn> registers fn by
/// itself; COFUTURES_REGISTER_TASK gives a function an explicit name that
/// stays the same across builds (for tools that record task names).

#include <cofutures/detail/task_registry.hpp>

#include <string_view>

/// Gives `fn` (a function, named as from the global namespace) the task
/// name `name` (a string literal), stable across builds. Use at global
/// namespace scope, before any submit<&fn>, e.g. in the header declaring fn.
#define COFUTURES_REGISTER_TASK(fn, name)                    \
  template <>                                                \
  struct cofutures::detail::task_name_override<&fn> {        \
    static constexpr std::string_view value = name;          \
  }

namespace cofutures {

/// The name process pools use for Fn.
template <auto Fn>
std::string_view task_name() {
  return detail::task_name_of<Fn>();
}

}  // namespace cofutures

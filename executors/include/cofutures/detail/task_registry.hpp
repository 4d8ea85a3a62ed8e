#pragma once
// The table of functions a worker process can run, by name. submit<&fn>
// registers fn in every process of the program at static-initialization
// time (before main), so a spawned worker — the same executable — knows
// it by the time process_worker_main serves.

#include <cofutures/detail/serialization.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace cofutures::detail {

/// Decodes the arguments, calls the function, encodes the result.
using task_invoker = std::string (*)(std::string_view args);

/// Adds a task; a second registration under the same name must be the same
/// function. Returns true (for static initializers).
bool register_task(std::string_view name, task_invoker invoker);
/// nullptr when no task has that name in this process.
task_invoker find_task(std::string_view name) noexcept;

template <class T>
struct function_traits;
template <class R, class... A>
struct function_traits<R (*)(A...)> {
  using result = R;
  using args = std::tuple<std::decay_t<A>...>;
};
template <class R, class... A>
struct function_traits<R (*)(A...) noexcept> : function_traits<R (*)(A...)> {};

template <auto Fn>
using task_result_t = typename function_traits<decltype(Fn)>::result;
template <auto Fn>
using task_args_t = typename function_traits<decltype(Fn)>::args;

/// COFUTURES_REGISTER_TASK specializes this with an explicit name.
template <auto Fn>
struct task_name_override {};

template <auto Fn>
concept has_task_name_override = requires { task_name_override<Fn>::value; };

/// Carries a function as a type: its (Itanium-mangled, demangled) type
/// name spells the function with its template arguments in every compiler.
template <auto Fn>
struct task_tag {};

/// The function named by a task_tag's type_info ("ns::fn", "ns::f<3>").
std::string task_name_from_tag(const std::type_info& tag);

/// Fn's task name: the explicit one, else its qualified name (parent and
/// workers are the same executable, so they agree).
template <auto Fn>
std::string_view task_name_of() {
  if constexpr (has_task_name_override<Fn>) {
    return task_name_override<Fn>::value;
  } else {
    static const std::string name = task_name_from_tag(typeid(task_tag<Fn>));
    return name;
  }
}

template <auto Fn>
std::string invoke_serialized(std::string_view bytes) {
  task_args_t<Fn> args;
  std::apply([&](auto&... a) { deserialize_into(bytes, a...); }, args);
  using R = task_result_t<Fn>;
  if constexpr (std::is_void_v<R>) {
    std::apply(Fn, std::move(args));
    return {};
  } else {
    return serialize(std::apply(Fn, std::move(args)));
  }
}

/// Registers Fn under `name` (a user-chosen stable name) or its own name.
template <auto Fn>
struct task_registration {
  static inline const bool registered = register_task(task_name_of<Fn>(), &invoke_serialized<Fn>);
};

}  // namespace cofutures::detail

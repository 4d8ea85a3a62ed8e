#include <cofutures/detail/task_registry.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace cofutures::detail {
namespace {

struct registry {
  std::mutex mutex;  // static initializers of several libraries may race
  std::map<std::string, task_invoker, std::less<>> tasks;
};

registry& the_registry() {
  static registry r;  // constructed on first use: registrations run during static init
  return r;
}

}  // namespace

bool register_task(std::string_view name, task_invoker invoker) {
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);  // see registry
  auto [it, inserted] = r.tasks.emplace(std::string(name), invoker);
  if (!inserted && it->second != invoker) {
    throw std::logic_error("two different functions registered as process-pool task '" + std::string(name) + "'");
  }
  return true;
}

std::string task_name_from_tag(const std::type_info& tag) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(tag.name(), nullptr, nullptr, &status), std::free);
  std::string name = status == 0 && out ? out.get() : tag.name();
  // "cofutures::detail::task_tag<&ns::fn>" -> "ns::fn"
  auto open = name.find('<');
  if (open == std::string::npos || name.back() != '>') return name;
  name = name.substr(open + 1, name.size() - open - 2);
  if (!name.empty() && name.front() == '&') name.erase(0, 1);
  return name;
}

task_invoker find_task(std::string_view name) noexcept {
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);  // see registry
  auto it = r.tasks.find(name);
  return it == r.tasks.end() ? nullptr : it->second;
}

}  // namespace cofutures::detail

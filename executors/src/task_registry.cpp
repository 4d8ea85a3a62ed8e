#include <cofutures/detail/task_registry.hpp>

#include <map>
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

task_invoker find_task(std::string_view name) noexcept {
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);  // see registry
  auto it = r.tasks.find(name);
  return it == r.tasks.end() ? nullptr : it->second;
}

}  // namespace cofutures::detail

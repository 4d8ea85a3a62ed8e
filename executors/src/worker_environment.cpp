#include <cofutures/detail/worker_environment.hpp>

#include <cstdio>

namespace cofutures::detail {

std::string format_worker_env(const worker_settings& s) {
  return "parent=" + std::to_string(s.parent) + ",max_tasks=" + std::to_string(s.max_tasks) +
         ",slot=" + std::to_string(s.slot);
}

std::optional<worker_settings> parse_worker_env(const char* value) {
  worker_settings s;
  long parent = 0;
  long max_tasks = 0;
  int slot = 0;
  int used = 0;
  if (std::sscanf(value, "parent=%ld,max_tasks=%ld,slot=%d%n", &parent, &max_tasks, &slot, &used) != 3 ||
      value[used] != '\0' || parent <= 0 || max_tasks < 0 || slot < 0) {
    return std::nullopt;
  }
  s.parent = static_cast<pid_t>(parent);
  s.max_tasks = max_tasks;
  s.slot = slot;
  return s;
}

}  // namespace cofutures::detail

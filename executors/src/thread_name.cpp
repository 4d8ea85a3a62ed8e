#include <cofutures/thread_name.hpp>

#include <pthread.h>

namespace cofutures {
namespace {
thread_local std::string t_name;  // each thread's own full name
}

std::string current_thread_name() {
  if (!t_name.empty()) return t_name;
  char buffer[16] = {};
  if (pthread_getname_np(pthread_self(), buffer, sizeof buffer) != 0) return {};
  return buffer;
}

namespace detail {
void set_current_thread_name(const std::string& name) {
  t_name = name;
  // Linux limits names to 15 characters plus the terminator.
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}
}  // namespace detail

}  // namespace cofutures

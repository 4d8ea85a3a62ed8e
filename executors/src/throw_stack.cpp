// Records where a task's exception was thrown, for remote_error's stack
// text: a worker turns this on around each task, and every throw on that
// thread saves its backtrace before unwinding destroys it.
//
// It works by defining __cxa_throw, which the dynamic linker prefers to
// libstdc++'s, and forwarding to the real one. (No <cxxabi.h> here: it
// declares __cxa_throw with attributes this definition must not repeat.)

#include <dlfcn.h>
#include <execinfo.h>

#include <cstdlib>
#include <string>
#include <typeinfo>
#include <utility>

namespace cofutures::detail {
namespace {
thread_local bool t_capture = false;  // per thread: only worker task threads record
thread_local std::string t_stack;

void record_stack() noexcept {
  t_capture = false;  // no recursion if anything below throws
  void* frames[64];
  int n = backtrace(frames, 64);
  char** symbols = backtrace_symbols(frames, n);
  std::string text;
  // Frame 0 is this function and frame 1 __cxa_throw: start at the thrower.
  for (int i = 2; symbols && i < n; ++i) {
    text += "  ";
    text += symbols[i];
    text += '\n';
  }
  std::free(symbols);
  t_stack = std::move(text);
  t_capture = true;
}
}  // namespace

void capture_throw_stacks(bool enabled) noexcept {
  t_capture = enabled;
  if (enabled) t_stack.clear();  // a fresh task; disabling keeps the last stack for take_throw_stack
}

std::string take_throw_stack() { return std::exchange(t_stack, std::string()); }

}  // namespace cofutures::detail

extern "C" {
using cxa_throw_fn = void (*)(void*, std::type_info*, void (*)(void*));

[[noreturn]] void __cxa_throw(void* object, std::type_info* type, void (*destroy)(void*)) {
  static const auto real = reinterpret_cast<cxa_throw_fn>(dlsym(RTLD_NEXT, "__cxa_throw"));
  if (real == nullptr) std::abort();  // no C++ runtime below us: nothing sane to do
  if (cofutures::detail::t_capture) cofutures::detail::record_stack();
  real(object, type, destroy);
  __builtin_unreachable();
}
}

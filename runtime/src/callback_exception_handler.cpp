#include <cofutures/callback_exception_handler.hpp>
#include <cofutures/detail/future_state.hpp>
#include <cofutures/future.hpp>

#include <cstdio>
#include <memory>
#include <mutex>
#include <sstream>

namespace cofutures {
namespace {

std::mutex g_handler_mutex;  // guards g_handler against a concurrent set
std::shared_ptr<const callback_exception_handler> g_handler;

std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

callback_exception_handler set_callback_exception_handler(callback_exception_handler handler) {
  auto next = handler ? std::make_shared<const callback_exception_handler>(std::move(handler)) : nullptr;
  std::lock_guard lock(g_handler_mutex);  // reporters copy g_handler under it
  auto previous = std::exchange(g_handler, std::move(next));
  return previous ? *previous : callback_exception_handler{};
}

namespace detail {

std::string callback_context(const state_base& state) {
  std::ostringstream context;
  context << "exception calling callback for ";
  print_future(context, &state);
  return context.str();
}

void report_callback_exception(std::exception_ptr e, const std::string& context) noexcept {
  try {
    std::shared_ptr<const callback_exception_handler> handler;
    {
      std::lock_guard lock(g_handler_mutex);  // copy out; call unlocked
      handler = g_handler;
    }
    if (handler) {
      (*handler)(e, context);
    } else {
      std::fprintf(stderr, "cofutures: %s: %s\n", context.c_str(), describe(e).c_str());
    }
  } catch (...) {
    std::fputs("cofutures: exception calling callback (and reporting it failed)\n", stderr);
  }
}

}  // namespace detail
}  // namespace cofutures

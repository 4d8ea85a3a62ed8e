#include <cofutures/any_future.hpp>
#include <cofutures/detail/future_state.hpp>
#include <cofutures/future.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <ostream>
#include <typeinfo>

namespace cofutures {
namespace detail {
namespace {

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

std::string exception_type_name(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return demangle(typeid(ex).name());
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

void print_future(std::ostream& os, const state_base* s, const std::type_info* value_type) {
  os << "<future at " << static_cast<const void*>(s);
  if (s == nullptr) {
    os << " empty>";
    return;
  }
  auto status = s->status();
  os << " state=" << to_string(status);
  if (status == future_status::finished) {
    if (auto e = s->exception_when_done()) {
      os << " raised " << exception_type_name(e);
    } else {
      os << " returned";
      if (value_type) os << ' ' << demangle(value_type->name());
    }
  }
  os << '>';
}

}  // namespace detail

std::ostream& operator<<(std::ostream& os, const any_future& f) {
  detail::print_future(os, f.state_ptr().get());
  return os;
}

std::exception_ptr any_future::exception(optional_timeout timeout) const {
  auto& s = checked();
  auto deadline = timeout.deadline();
  if (!deadline) s.wait();
  else if (!s.wait_until(*deadline)) throw timeout_error();
  return s.exception_when_done();
}

}  // namespace cofutures

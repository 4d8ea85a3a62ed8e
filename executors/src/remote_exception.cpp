#include <cofutures/detail/remote_exception.hpp>
#include <cofutures/errors.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <typeinfo>

namespace cofutures::detail {
namespace {

enum kind : std::uint8_t {
  unmapped = 0,
  runtime_error_kind,
  logic_error_kind,
  invalid_argument_kind,
  out_of_range_kind,
  domain_error_kind,
  length_error_kind,
  range_error_kind,
  overflow_error_kind,
  underflow_error_kind,
  bad_alloc_kind,
  error_kind,
  cancelled_error_kind,
  timeout_error_kind,
  invalid_state_error_kind,
  broken_executor_kind,
  broken_thread_pool_kind,
  broken_process_pool_kind,
  remote_error_kind,
};

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

// Only the exact standard types map back; a user type derived from one
// comes back as remote_error, keeping its own name.
std::uint8_t kind_of(const std::type_info& t) {
  static const std::pair<const std::type_info*, kind> table[] = {
      {&typeid(std::runtime_error), runtime_error_kind},
      {&typeid(std::logic_error), logic_error_kind},
      {&typeid(std::invalid_argument), invalid_argument_kind},
      {&typeid(std::out_of_range), out_of_range_kind},
      {&typeid(std::domain_error), domain_error_kind},
      {&typeid(std::length_error), length_error_kind},
      {&typeid(std::range_error), range_error_kind},
      {&typeid(std::overflow_error), overflow_error_kind},
      {&typeid(std::underflow_error), underflow_error_kind},
      {&typeid(std::bad_alloc), bad_alloc_kind},
      {&typeid(error), error_kind},
      {&typeid(cancelled_error), cancelled_error_kind},
      {&typeid(timeout_error), timeout_error_kind},
      {&typeid(invalid_state_error), invalid_state_error_kind},
      {&typeid(broken_executor), broken_executor_kind},
      {&typeid(broken_thread_pool), broken_thread_pool_kind},
      {&typeid(broken_process_pool), broken_process_pool_kind},
      {&typeid(remote_error), remote_error_kind},
  };
  for (auto& [type, k] : table) {
    if (*type == t) return k;
  }
  return unmapped;
}

}  // namespace

exception_info describe_exception(std::exception_ptr e, std::string stack) {
  exception_info info;
  info.stack = std::move(stack);
  try {
    std::rethrow_exception(e);
  } catch (const remote_error& ex) {
    // Raised by a nested pool inside the task: pass the original through.
    info.kind = remote_error_kind;
    info.type_name = ex.type_name();
    info.what = ex.message();
    if (info.stack.empty()) info.stack = ex.remote_stack();
  } catch (const std::exception& ex) {
    info.kind = kind_of(typeid(ex));
    info.type_name = demangle(typeid(ex).name());
    info.what = ex.what();
  } catch (...) {
    auto* type = abi::__cxa_current_exception_type();
    info.type_name = type ? demangle(type->name()) : "unknown exception";
  }
  return info;
}

std::exception_ptr rebuild_exception(const exception_info& i) {
  const std::string& w = i.what;
  switch (i.kind) {
    case runtime_error_kind: return std::make_exception_ptr(std::runtime_error(w));
    case logic_error_kind: return std::make_exception_ptr(std::logic_error(w));
    case invalid_argument_kind: return std::make_exception_ptr(std::invalid_argument(w));
    case out_of_range_kind: return std::make_exception_ptr(std::out_of_range(w));
    case domain_error_kind: return std::make_exception_ptr(std::domain_error(w));
    case length_error_kind: return std::make_exception_ptr(std::length_error(w));
    case range_error_kind: return std::make_exception_ptr(std::range_error(w));
    case overflow_error_kind: return std::make_exception_ptr(std::overflow_error(w));
    case underflow_error_kind: return std::make_exception_ptr(std::underflow_error(w));
    case bad_alloc_kind: return std::make_exception_ptr(std::bad_alloc());
    case error_kind: return std::make_exception_ptr(error(w));
    case cancelled_error_kind: return std::make_exception_ptr(cancelled_error(w));
    case timeout_error_kind: return std::make_exception_ptr(timeout_error(w));
    case invalid_state_error_kind: return std::make_exception_ptr(invalid_state_error(w));
    case broken_executor_kind: return std::make_exception_ptr(broken_executor(w));
    case broken_thread_pool_kind: return std::make_exception_ptr(broken_thread_pool(w));
    case broken_process_pool_kind: return std::make_exception_ptr(broken_process_pool(w));
    default: return std::make_exception_ptr(remote_error(i.type_name, w, i.stack));
  }
}

void write_exception(frame_writer& w, const exception_info& info) {
  w.u8(info.kind).str(info.type_name).str(info.what).str(info.stack);
}

exception_info read_exception(frame_reader& r) {
  exception_info info;
  info.kind = r.u8();
  info.type_name = r.str();
  info.what = r.str();
  info.stack = r.str();
  return info;
}

}  // namespace cofutures::detail

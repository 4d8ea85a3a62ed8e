#pragma once
/// @file errors.hpp
/// The cofutures exception hierarchy (Python's concurrent.futures errors).
///
/// Thread safety: exception objects are immutable after construction.

#include <stdexcept>
#include <string>

namespace cofutures {

/// Base of every error cofutures raises itself.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The future was cancelled (concurrent.futures.CancelledError).
class cancelled_error : public error {
 public:
  cancelled_error() : error("the future was cancelled") {}
  using error::error;
};

/// A wait ran out of time (concurrent.futures.TimeoutError).
class timeout_error : public error {
 public:
  timeout_error() : error("timed out waiting for the future") {}
  using error::error;
};

/// An operation is not allowed in the future's current state
/// (concurrent.futures.InvalidStateError), e.g. a second set_result.
class invalid_state_error : public error {
 public:
  using error::error;
};

/// The executor can no longer run work (concurrent.futures.BrokenExecutor).
class broken_executor : public error {
 public:
  using error::error;
};

/// A thread initializer failed (concurrent.futures.thread.BrokenThreadPool).
class broken_thread_pool : public broken_executor {
 public:
  using broken_executor::broken_executor;
};

/// A worker process died or failed to start
/// (concurrent.futures.process.BrokenProcessPool).
class broken_process_pool : public broken_executor {
 public:
  using broken_executor::broken_executor;
};

/// An exception raised in a worker process whose type is not mapped back to
/// a local type: keeps the remote type name, message and stack text.
class remote_error : public error {
 public:
  /// @param type_name the remote exception's (demangled) type name
  /// @param message   the remote what()
  /// @param stack     the remote stack text, possibly empty
  remote_error(std::string type_name, std::string message, std::string stack = {})
      : error(type_name + ": " + message),
        m_type_name(std::move(type_name)),
        m_message(std::move(message)),
        m_stack(std::move(stack)) {}

  const std::string& type_name() const noexcept { return m_type_name; }
  const std::string& message() const noexcept { return m_message; }
  const std::string& remote_stack() const noexcept { return m_stack; }

 private:
  std::string m_type_name;
  std::string m_message;
  std::string m_stack;
};

}  // namespace cofutures

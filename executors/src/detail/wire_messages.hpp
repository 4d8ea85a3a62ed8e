#pragma once
// The messages of the worker protocol (wire.hpp), decoded from frames with
// every field bounds-checked: what each end of a channel accepts.

#include <cofutures/detail/remote_exception.hpp>
#include <cofutures/detail/wire.hpp>

#include <cstdint>
#include <string_view>
#include <variant>

namespace cofutures::detail {

// Parent -> worker. Views point into the frame.
struct init_message {
  std::string_view name, arguments;
};
struct task_message {
  std::uint64_t id;
  std::string_view name, arguments;
};
struct shutdown_message {};
using parent_message = std::variant<init_message, task_message, shutdown_message>;

// Worker -> parent.
struct hello_message {
  std::int32_t pid;
};
struct result_message {
  std::uint64_t id;
  std::string_view result;
};
struct error_message {
  std::uint64_t id;
  exception_info error;
};
struct init_failed_message {
  exception_info error;
};
struct lane_reply_message {};
using worker_message =
    std::variant<hello_message, result_message, error_message, init_failed_message, lane_reply_message>;

/// What a worker accepts. @throws protocol_error for a truncated frame,
/// trailing bytes, or a type only a worker sends.
parent_message parse_parent_message(frame_type type, std::string_view body);
/// What the parent accepts. @throws protocol_error likewise.
worker_message parse_worker_message(frame_type type, std::string_view body);

}  // namespace cofutures::detail

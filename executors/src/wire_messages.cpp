#include "detail/wire_messages.hpp"

#include <string>

namespace cofutures::detail {
namespace {

[[noreturn]] void wrong_direction(frame_type type, const char* receiver) {
  throw protocol_error("unexpected frame type " + std::to_string(static_cast<int>(type)) + " for the " + receiver);
}

}  // namespace

parent_message parse_parent_message(frame_type type, std::string_view body) {
  frame_reader r(body);
  switch (type) {
    case frame_type::init: {
      init_message m;
      m.name = r.str();
      m.arguments = r.rest();
      return m;
    }
    case frame_type::task: {
      task_message m;
      m.id = r.u64();
      m.name = r.str();
      m.arguments = r.rest();
      return m;
    }
    case frame_type::shutdown: r.expect_end(); return shutdown_message{};
    default: wrong_direction(type, "worker");
  }
}

worker_message parse_worker_message(frame_type type, std::string_view body) {
  frame_reader r(body);
  switch (type) {
    case frame_type::hello: {
      hello_message m{r.i32()};
      r.expect_end();
      return m;
    }
    case frame_type::result: {
      result_message m;
      m.id = r.u64();
      m.result = r.rest();
      return m;
    }
    case frame_type::error: {
      error_message m;
      m.id = r.u64();
      m.error = read_exception(r);
      r.expect_end();
      return m;
    }
    case frame_type::init_failed: {
      init_failed_message m{read_exception(r)};
      r.expect_end();
      return m;
    }
    case frame_type::lane_reply: r.expect_end(); return lane_reply_message{};
    default: wrong_direction(type, "parent");
  }
}

}  // namespace cofutures::detail

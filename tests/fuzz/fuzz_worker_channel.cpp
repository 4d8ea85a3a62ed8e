// libFuzzer: what a worker does with bytes from the parent. They go
// through the frame decoder in pieces, each frame through the worker's
// message parser, and tasks are looked up and run with the fuzzed argument
// bytes (cereal decodes them): a bad frame must end in protocol_error, bad
// arguments in the task's own error, never a crash or unbounded allocation.
#include "detail/frame_decoder.hpp"
#include "detail/wire_messages.hpp"

#include <cofutures/detail/task_registry.hpp>
#include <cofutures/task_registry.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <variant>
#include <vector>

#include "fuzz_input.hpp"

namespace cf = cofutures::detail;

long mix(long a, long b) { return a ^ b; }
std::size_t measure(std::string s, std::vector<int> v) { return s.size() + v.size(); }
COFUTURES_REGISTER_TASK(mix, "mix");
COFUTURES_REGISTER_TASK(measure, "measure");
// What submit<&fn> would do in a program: register them in this process.
[[maybe_unused]] const bool registered =
    cf::task_registration<&mix>::registered && cf::task_registration<&measure>::registered;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cf::frame_decoder decoder;
  try {
    cofutures_fuzz::feed(data, size, decoder, [](const cf::frame& f) {
      auto message = cf::parse_parent_message(f.type, f.body);
      if (auto* task = std::get_if<cf::task_message>(&message)) {
        if (auto invoke = cf::find_task(task->name)) {
          try {
            invoke(task->arguments);
          } catch (const std::exception&) {
            // the task's error, sent back to the parent
          }
        }
      }
    });
  } catch (const cf::protocol_error&) {
    // the worker exits: the expected outcome for malformed input
  }
  return 0;
}

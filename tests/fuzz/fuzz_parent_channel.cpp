// libFuzzer: what the parent does with bytes from a worker's channel. They
// go through the frame decoder in pieces (as reads would deliver them), each
// frame through the parent's message parser, and error replies are rebuilt
// into exceptions. Anything malformed must end in protocol_error (the
// channel is dropped), never a crash, a hang or an unbounded allocation.
#include "detail/frame_decoder.hpp"
#include "detail/wire_messages.hpp"

#include <cofutures/detail/remote_exception.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <variant>

#include "fuzz_input.hpp"

namespace cf = cofutures::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cf::frame_decoder decoder;
  try {
    cofutures_fuzz::feed(data, size, decoder, [](const cf::frame& f) {
      auto message = cf::parse_worker_message(f.type, f.body);
      if (auto* e = std::get_if<cf::error_message>(&message)) {
        try {
          std::rethrow_exception(cf::rebuild_exception(e->error));
        } catch (const std::exception&) {
          // what the future would hold
        }
      }
    });
  } catch (const cf::protocol_error&) {
    // the channel is dropped: the expected outcome for malformed input
  }
  return 0;
}

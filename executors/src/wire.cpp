#include <cofutures/detail/wire.hpp>

namespace cofutures::detail {

frame_header parse_frame_header(const char (&header)[frame_header_size]) {
  std::uint32_t length = 0;
  std::memcpy(&length, header, sizeof length);
  auto type = static_cast<std::uint8_t>(header[4]);
  if (length == 0) throw protocol_error("frame without a type byte");
  if (length > max_frame_body) {
    throw protocol_error("frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                         std::to_string(max_frame_body));
  }
  if (type < static_cast<std::uint8_t>(frame_type::hello) || type > static_cast<std::uint8_t>(frame_type::lane_reply)) {
    throw protocol_error("unknown frame type " + std::to_string(type));
  }
  return {length - 1, static_cast<frame_type>(type)};
}

}  // namespace cofutures::detail

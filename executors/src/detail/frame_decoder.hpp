#pragma once
// Splits a byte stream from a channel into frames. Bytes are read straight
// into its buffer, which grows only as they arrive: a header announcing a
// huge frame costs nothing until the bytes are really sent (and frames over
// max_frame_body are refused at the header). Used by both ends of a channel.

#include <cofutures/detail/wire.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cofutures::detail {

struct frame {
  frame_type type{};
  std::string_view body;  ///< valid until the next prepare()
};

class frame_decoder {
 public:
  /// Room for up to `max` more bytes; read into it, then commit() what came.
  std::span<char> prepare(std::size_t max);
  void commit(std::size_t n) noexcept { m_size += n; }
  /// The next complete frame, if one is buffered. @throws protocol_error on a
  /// malformed header (the channel is unusable from then on).
  std::optional<frame> next();
  /// Bytes received that are not part of a returned frame yet.
  std::size_t buffered() const noexcept { return m_size - m_start; }

 private:
  std::string m_buffer;
  std::size_t m_start = 0;  // first byte not yet returned in a frame
  std::size_t m_size = 0;   // bytes of m_buffer holding data
};

}  // namespace cofutures::detail

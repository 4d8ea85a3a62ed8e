#include "detail/frame_decoder.hpp"

#include <algorithm>
#include <cstring>

namespace cofutures::detail {

std::span<char> frame_decoder::prepare(std::size_t max) {
  // Drop the frames already returned; what is left is the start of the next.
  if (m_start > 0) {
    std::memmove(m_buffer.data(), m_buffer.data() + m_start, m_size - m_start);
    m_size -= m_start;
    m_start = 0;
  }
  if (m_buffer.size() < m_size + max) m_buffer.resize(std::max(m_size + max, m_buffer.size() * 2));
  return {m_buffer.data() + m_size, max};
}

std::optional<frame> frame_decoder::next() {
  if (buffered() < frame_header_size) return std::nullopt;
  char header[frame_header_size];
  std::memcpy(header, m_buffer.data() + m_start, frame_header_size);
  auto h = parse_frame_header(header);
  if (buffered() - frame_header_size < h.body_length) return std::nullopt;
  frame f{h.type, std::string_view(m_buffer).substr(m_start + frame_header_size, h.body_length)};
  m_start += frame_header_size + h.body_length;
  return f;
}

}  // namespace cofutures::detail

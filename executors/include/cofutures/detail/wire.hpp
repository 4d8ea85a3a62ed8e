#pragma once
// The parent <-> worker protocol: length-prefixed frames, tasks one way and
// replies the other. Replies travel in a pipe (a lane task's in shared
// memory: executors/src/detail/lane_reply.hpp); tasks in the worker's ring in
// shared memory (a frame too large for it in a pipe of its own, announced in
// the ring: executors/src/detail/task_ring.hpp).
//   header: u32 body length (type byte included), u8 type
//   HELLO        worker -> parent   i32 pid
//   INIT         parent -> worker   str name, bytes args       (the initializer)
//   INIT_FAILED  worker -> parent   error
//   TASK         parent -> worker   u64 id, str name, bytes args
//   RESULT       worker -> parent   u64 id, bytes result
//   ERROR        worker -> parent   u64 id, error
//   SHUTDOWN     parent -> worker   (empty)
//   LANE_REPLY   worker -> parent   (empty) a lane task's reply is in shared
//                                   memory, and no thread was watching for it
// where str is u32 length + bytes, bytes runs to the end of the frame, and
// error is u8 kind, str type name, str what, str stack. Both ends are the
// same executable on the same machine: native byte order.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cofutures::detail {

enum class frame_type : std::uint8_t { hello = 1, init, init_failed, task, result, error, shutdown, lane_reply };

inline constexpr std::size_t frame_header_size = 5;
/// Larger frames are refused (a corrupt or hostile length must not make
/// the reader allocate without bound).
inline constexpr std::uint32_t max_frame_body = 1u << 30;

/// A malformed frame: the channel it came from is unusable.
class protocol_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Builds a frame: header first (length patched by finish()).
class frame_writer {
 public:
  explicit frame_writer(frame_type type) : m_bytes(frame_header_size, '\0') {
    m_bytes[4] = static_cast<char>(type);
  }
  frame_writer& u8(std::uint8_t v) { return raw(&v, 1); }
  frame_writer& i32(std::int32_t v) { return raw(&v, sizeof v); }
  frame_writer& u64(std::uint64_t v) { return raw(&v, sizeof v); }
  frame_writer& str(std::string_view s) {
    auto n = static_cast<std::uint32_t>(s.size());
    raw(&n, sizeof n);
    m_bytes.append(s);
    return *this;
  }
  /// Appends the rest of the frame (the last field).
  frame_writer& bytes(std::string_view s) {
    m_bytes.append(s);
    return *this;
  }
  /// The frame so far; `trailing` more bytes will follow it on the wire
  /// (a payload written separately, without copying it in).
  std::string finish(std::size_t trailing = 0) {
    auto body = m_bytes.size() - 4 + trailing;
    if (body > max_frame_body) throw protocol_error("frame too large: " + std::to_string(body) + " bytes");
    auto n = static_cast<std::uint32_t>(body);
    std::memcpy(m_bytes.data(), &n, sizeof n);
    return std::move(m_bytes);
  }

 private:
  frame_writer& raw(const void* p, std::size_t n) {
    m_bytes.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string m_bytes;
};

/// The body length and type of a header. @throws protocol_error.
struct frame_header {
  std::uint32_t body_length = 0;  // after the type byte
  frame_type type{};
};
frame_header parse_frame_header(const char (&header)[frame_header_size]);

/// Reads the fields of a frame body, bounds-checked. @throws protocol_error.
class frame_reader {
 public:
  explicit frame_reader(std::string_view body) : m_rest(body) {}
  std::uint8_t u8() { return fixed<std::uint8_t>(); }
  std::int32_t i32() { return fixed<std::int32_t>(); }
  std::uint64_t u64() { return fixed<std::uint64_t>(); }
  std::string_view str() {
    auto n = fixed<std::uint32_t>();
    return take(n);
  }
  std::string_view rest() { return take(m_rest.size()); }
  void expect_end() const {
    if (!m_rest.empty()) throw protocol_error("frame has " + std::to_string(m_rest.size()) + " unexpected bytes");
  }

 private:
  template <class T>
  T fixed() {
    T v;
    auto s = take(sizeof v);
    std::memcpy(&v, s.data(), sizeof v);
    return v;
  }
  std::string_view take(std::size_t n) {
    if (n > m_rest.size()) throw protocol_error("truncated frame");
    auto s = m_rest.substr(0, n);
    m_rest.remove_prefix(n);
    return s;
  }
  std::string_view m_rest;
};

}  // namespace cofutures::detail

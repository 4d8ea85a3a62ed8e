// A process worker's task ring (executors/src/detail/task_ring.hpp): the
// manager puts records, the worker takes them, in order and whole, across
// the end of the ring and while both sides run at once.
#include "detail/task_ring.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::detail::task_ring;
using cofutures::detail::task_ring_positions;

namespace {

// A ring over ordinary memory (the pool's is shared with the worker).
struct ring_memory {
  explicit ring_memory(std::size_t capacity) : bytes(capacity), ring(positions, bytes.data(), capacity) {}
  task_ring_positions positions{};
  std::vector<char> bytes;
  task_ring ring;
};

// The front record's body, popped.
std::string take(task_ring& ring) {
  auto r = ring.front();
  REQUIRE(r.has_value());
  REQUIRE(r->what == task_ring::kind::frame);
  std::string body(r->size, '\0');
  ring.read_front(body);
  ring.pop(*r);
  return body;
}

}  // namespace

TEST_CASE("records come out in order, frames and notes of pipe frames alike", "[task_ring]") {
  ring_memory m(256);
  auto& ring = m.ring;
  CHECK_FALSE(ring.front().has_value());
  REQUIRE(ring.put(task_ring::kind::frame, 11, {"hello", " world"}));
  REQUIRE(ring.put(task_ring::kind::in_pipe, 1 << 20, {}));
  REQUIRE(ring.put(task_ring::kind::frame, 0, {}));
  CHECK(take(ring) == "hello world");
  auto note = ring.front();
  REQUIRE(note.has_value());
  CHECK(note->what == task_ring::kind::in_pipe);
  CHECK(note->size == 1u << 20);  // the bytes are in the pipe, not here
  ring.pop(*note);
  CHECK(take(ring).empty());
  CHECK_FALSE(ring.front().has_value());
}

TEST_CASE("a record across the end of the ring comes out whole", "[task_ring]") {
  ring_memory m(64);
  auto& ring = m.ring;
  // Bodies of 1 to 40 bytes, round and round a 64-byte ring.
  for (int i = 0; i < 200; ++i) {
    std::string body(static_cast<std::size_t>(1 + i % 40), static_cast<char>('a' + i % 26));
    body.front() = static_cast<char>(i);
    REQUIRE(ring.put(task_ring::kind::frame, static_cast<std::uint32_t>(body.size()), {body}));
    CHECK(take(ring) == body);
  }
}

TEST_CASE("a full ring refuses a record whole, and takes it once the worker has read", "[task_ring]") {
  ring_memory m(64);
  auto& ring = m.ring;
  std::string body(20, 'x');  // 8 + 24 bytes a record: two fill the ring
  REQUIRE(ring.put(task_ring::kind::frame, 20, {body}));
  REQUIRE(ring.put(task_ring::kind::frame, 20, {body}));
  CHECK_FALSE(ring.put(task_ring::kind::frame, 1, {"y"}));
  CHECK_FALSE(ring.put(task_ring::kind::in_pipe, 100, {}));  // not even a note
  CHECK(take(ring) == body);
  REQUIRE(ring.put(task_ring::kind::frame, 1, {"y"}));
  CHECK(take(ring) == body);
  CHECK(take(ring) == "y");
  CHECK_FALSE(ring.front().has_value());
}

TEST_CASE("a writer and a reader on two threads: every record, in order, intact", "[task_ring]") {
  ring_memory m(512);
  constexpr std::uint32_t count = 20000;
  std::thread writer([&] {
    for (std::uint32_t i = 0; i < count; ++i) {
      std::string body(1 + i % 50, static_cast<char>(i));
      std::memcpy(body.data(), &i, std::min(sizeof i, body.size()));
      while (!m.ring.put(task_ring::kind::frame, static_cast<std::uint32_t>(body.size()), {body})) {
        std::this_thread::yield();  // full: the reader makes room
      }
    }
  });
  std::uint32_t wrong = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::optional<task_ring::record> r;
    while (!(r = m.ring.front())) std::this_thread::yield();  // empty: the writer puts more
    std::string body(r->size, '\0');
    m.ring.read_front(body);
    m.ring.pop(*r);
    std::string expected(1 + i % 50, static_cast<char>(i));
    std::memcpy(expected.data(), &i, std::min(sizeof i, expected.size()));
    if (body != expected) ++wrong;
  }
  writer.join();
  CHECK(wrong == 0);
  CHECK_FALSE(m.ring.front().has_value());
}

#include "detail/frame_decoder.hpp"
#include "detail/wire_messages.hpp"

#include <cofutures/detail/serialization.hpp>
#include <cofutures/detail/wire.hpp>

#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

namespace cf = cofutures::detail;

namespace {

void put(cf::frame_decoder& d, std::string_view bytes) {
  auto room = d.prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  d.commit(bytes.size());
}

std::string task_frame(std::uint64_t id, std::string_view name, std::string_view args) {
  return cf::frame_writer(cf::frame_type::task).u64(id).str(name).bytes(args).finish();
}

}  // namespace

TEST_CASE("the frame decoder returns frames whole, however the bytes arrive", "[wire]") {
  auto stream = task_frame(1, "f", "abc") + task_frame(2, "g", "") + cf::frame_writer(cf::frame_type::shutdown).finish();
  for (std::size_t piece : {1u, 3u, 7u, 1000u}) {
    cf::frame_decoder d;
    std::vector<std::string> got;  // copied out: a frame's views last until the next prepare()
    for (std::size_t i = 0; i < stream.size(); i += piece) {
      put(d, std::string_view(stream).substr(i, piece));
      while (auto f = d.next()) {
        auto m = cf::parse_parent_message(f->type, f->body);
        if (auto* t = std::get_if<cf::task_message>(&m)) {
          got.push_back(std::to_string(t->id) + ":" + std::string(t->name) + ":" + std::string(t->arguments));
        } else {
          got.push_back(std::holds_alternative<cf::shutdown_message>(m) ? "shutdown" : "other");
        }
      }
    }
    CHECK(got == std::vector<std::string>{"1:f:abc", "2:g:", "shutdown"});
    CHECK(d.buffered() == 0);
  }
}

TEST_CASE("an oversized or typeless header is refused before any body is buffered", "[wire]") {
  cf::frame_decoder d;
  std::uint32_t huge = cf::max_frame_body + 1;
  std::string header(reinterpret_cast<const char*>(&huge), 4);
  put(d, header + '\x05');
  CHECK_THROWS_WITH(d.next(), Catch::Contains("exceeds the limit"));

  cf::frame_decoder typeless;
  std::uint32_t zero = 0;
  put(typeless, std::string(reinterpret_cast<const char*>(&zero), 4) + '\x05');
  CHECK_THROWS_AS(typeless.next(), cf::protocol_error);
}

TEST_CASE("a frame announced as large waits for its bytes without reserving them", "[wire]") {
  cf::frame_decoder d;
  std::uint32_t big = 512u << 20;  // 512 MiB announced, 10 bytes sent
  put(d, std::string(reinterpret_cast<const char*>(&big), 4) + '\x05' + std::string(10, 'x'));
  CHECK_FALSE(d.next());
  CHECK(d.buffered() == 15);
}

TEST_CASE("messages in the wrong direction, truncated or with trailing bytes are protocol errors", "[wire]") {
  auto hello = cf::frame_writer(cf::frame_type::hello).i32(7).finish();
  std::string_view body = std::string_view(hello).substr(cf::frame_header_size);
  CHECK(std::get<cf::hello_message>(cf::parse_worker_message(cf::frame_type::hello, body)).pid == 7);
  CHECK_THROWS_AS(cf::parse_parent_message(cf::frame_type::hello, body), cf::protocol_error);
  CHECK_THROWS_WITH(cf::parse_worker_message(cf::frame_type::hello, body.substr(0, 2)), "truncated frame");
  CHECK_THROWS_WITH(cf::parse_worker_message(cf::frame_type::hello, std::string(body) + "x"),
                    Catch::Contains("unexpected bytes"));
  CHECK_THROWS_AS(cf::parse_parent_message(cf::frame_type::task, "abc"), cf::protocol_error);
}

TEST_CASE("a corrupt container size fails decoding instead of allocating what it says", "[wire]") {
  auto bytes = cf::serialize(std::string("hello"));
  std::uint64_t absurd = std::uint64_t(1) << 40;  // a TiB of string
  std::memcpy(bytes.data(), &absurd, sizeof absurd);
  std::string out;
  CHECK_THROWS_WITH(cf::deserialize_into(bytes, out), Catch::Contains("corrupt data"));
  // Genuine data still decodes, nested containers included.
  auto nested = cf::serialize(std::vector<std::string>{"a", "", "bc"});
  CHECK(cf::deserialize<std::vector<std::string>>(nested) == std::vector<std::string>{"a", "", "bc"});
}

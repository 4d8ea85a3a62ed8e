#include <cofutures/detail/serialization.hpp>

// What crosses the process boundary: values encoded and decoded with the
// calling thread's cached streams, including a type whose own save/load
// encodes on the side (the nested call makes its own stream), after a
// throw halfway, and on several threads at once.

#include <cereal/cereal.hpp>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace cf = cofutures::detail;

namespace {

// Keeps its contents as an encoded string of their own, made (and read
// back) while the outer encode (decode) is in progress.
struct sealed {
  std::vector<std::string> words;
  int number = 0;

  template <class Archive>
  void save(Archive& archive) const {
    archive(cf::serialize(words, number));
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string inner;
    archive(inner);
    cf::deserialize_into(inner, words, number);
  }
};

// Its save throws once `count` values are written.
struct faulty {
  int count = 0;
  template <class Archive>
  void save(Archive& archive) const {
    for (int i = 0; i < count; ++i) archive(i);
    throw std::runtime_error("faulty save");
  }
  template <class Archive>
  void load(Archive&) {}
};

}  // namespace

TEST_CASE("values round trip, a type encoding its own parts on the side included", "[serialization]") {
  sealed in{{"alpha", "", "gamma"}, 7};
  auto bytes = cf::serialize(std::string("before"), in, 42);
  std::string before;
  sealed out;
  int after = 0;
  cf::deserialize_into(bytes, before, out, after);
  CHECK(before == "before");
  CHECK(out.words == in.words);
  CHECK(out.number == 7);
  CHECK(after == 42);
}

TEST_CASE("a save or a decode that throws leaves the next call unharmed", "[serialization]") {
  std::string partial = "kept";
  CHECK_THROWS_WITH(cf::serialize_into(partial, faulty{3}), "faulty save");
  CHECK(cf::deserialize<int>(cf::serialize(5)) == 5);

  auto truncated = cf::serialize(std::string("a longer string"));
  truncated.resize(truncated.size() - 4);
  CHECK_THROWS_AS(cf::deserialize<std::string>(truncated), cereal::Exception);
  CHECK(cf::deserialize<std::string>(cf::serialize(std::string("whole"))) == "whole");
  // The encode appends to what the string held: nothing of the failed one goes elsewhere.
  std::string appended = "x";
  cf::serialize_into(appended, 1);
  CHECK(appended.size() == 1 + sizeof(int));
}

TEST_CASE("threads encoding and decoding at once each get their own values", "[serialization]") {
  constexpr int threads = 4;
  constexpr int rounds = 2000;
  std::vector<int> wrong(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([t, &wrong] {
      for (int i = 0; i < rounds; ++i) {
        std::vector<std::string> value(static_cast<std::size_t>(i % 5), std::to_string(t));
        auto decoded = cf::deserialize<std::vector<std::string>>(cf::serialize(value));
        if (decoded != value) ++wrong[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(wrong == std::vector<int>(threads, 0));
}

#include <cofutures/process_pool_executor.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/map_options.hpp>

#include <chrono>
#include <cstddef>
#include <iterator>
#include <list>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::map_options;
using cofutures::process_pool_executor;
using Catch::Matchers::Message;

namespace map_tasks {

// Later inputs finish sooner, so input order is not completion order.
int square_unevenly(int x) {
  std::this_thread::sleep_for(std::chrono::milliseconds((5 - x % 5) * 4));
  return x * x;
}
int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }
int fail_at_five(int x) {
  if (x == 5) throw std::invalid_argument("five is not allowed");
  return x;
}
int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

}  // namespace map_tasks

using namespace map_tasks;

namespace {

std::vector<int> iota(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

std::vector<int> squares(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i * i);
  return v;
}

template <class Range>
std::vector<int> collect(Range&& r) {
  std::vector<int> out;
  for (int v : r) out.push_back(v);
  return out;
}

// The inputs 0..n-1, counting how many map() has read (no std::views:
// clang 14 cannot compile libstdc++ 12's).
class counted_inputs {
 public:
  class iterator {
   public:
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() = default;
    iterator(int* pulls, int i) : m_pulls(pulls), m_i(i) {}
    int operator*() const {
      ++*m_pulls;
      return m_i;
    }
    iterator& operator++() {
      ++m_i;
      return *this;
    }
    void operator++(int) { ++m_i; }
    bool operator==(const iterator& other) const { return m_i == other.m_i; }

   private:
    int* m_pulls = nullptr;
    int m_i = 0;
  };

  explicit counted_inputs(int n) : m_n(n) {}
  iterator begin() { return iterator(&m_pulls, 0); }
  iterator end() { return iterator(&m_pulls, m_n); }
  int pulls() const { return m_pulls; }

 private:
  int m_n;
  int m_pulls = 0;
};
static_assert(std::input_iterator<counted_inputs::iterator>);

}  // namespace

TEST_CASE("map yields the results in input order", "[process_map]") {
  process_pool_executor pool(2);
  auto inputs = iota(20);
  CHECK(collect(pool.map<&square_unevenly>(inputs)) == squares(20));
}

TEST_CASE("map over several ranges stops at the shortest", "[process_map]") {
  process_pool_executor pool(2);
  std::vector<int> a{1, 2, 3, 4, 5};
  std::list<int> b{10, 20, 30};
  CHECK(collect(pool.map<&add>(a, b)) == std::vector<int>{11, 22, 33});
}

TEST_CASE("chunksize does not change the results", "[process_map]") {
  process_pool_executor pool(2);
  auto chunksize = GENERATE(1, 3, 100);
  auto inputs = iota(50);
  CHECK(collect(pool.map<&square_unevenly>(inputs, map_options{.chunksize = chunksize})) == squares(50));
}

TEST_CASE("chunksize and buffersize below 1 are rejected", "[process_map]") {
  process_pool_executor pool(1);
  auto inputs = iota(3);
  REQUIRE_THROWS_MATCHES(pool.map<&square>(inputs, map_options{.chunksize = 0}), std::invalid_argument,
                         Message("chunksize must be >= 1"));
  REQUIRE_THROWS_MATCHES(pool.map<&square>(inputs, map_options{.buffersize = 0}), std::invalid_argument,
                         Message("buffersize must be none or >= 1"));
}

TEST_CASE("an exception surfaces at its chunk's position, after the earlier results", "[process_map]") {
  process_pool_executor pool(2);
  auto inputs = iota(10);
  // A failing input fails its whole chunk, as in Python.
  auto [chunksize, delivered] = GENERATE(table<std::ptrdiff_t, std::vector<int>>({
      {1, {0, 1, 2, 3, 4}},
      {3, {0, 1, 2}},
  }));
  CAPTURE(chunksize);
  auto results = pool.map<&fail_at_five>(inputs, map_options{.chunksize = chunksize});
  std::vector<int> got;
  try {
    for (int v : results) got.push_back(v);
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(typeid(e).name()) == typeid(std::invalid_argument).name());
    CHECK(std::string(e.what()) == "five is not allowed");
  }
  CHECK(got == delivered);
}

TEST_CASE("buffersize limits how far map reads ahead of the consumer", "[process_map]") {
  process_pool_executor pool(2);
  SECTION("one input per chunk") {
    counted_inputs inputs(10);
    auto results = pool.map<&square>(inputs, map_options{.buffersize = 2});
    CHECK(inputs.pulls() == 2);  // submitted at the call
    auto it = results.begin();
    CHECK(*it == 0);
    CHECK(inputs.pulls() == 3);  // refilled before waiting for the first result
    ++it;
    CHECK(*it == 1);
    CHECK(inputs.pulls() == 4);
    std::vector<int> rest;
    for (++it; it != results.end(); ++it) rest.push_back(*it);
    CHECK(rest == std::vector<int>{4, 9, 16, 25, 36, 49, 64, 81});
    CHECK(inputs.pulls() == 10);
  }
  SECTION("two inputs per chunk") {
    counted_inputs inputs(10);
    auto results = pool.map<&square>(inputs, map_options{.chunksize = 2, .buffersize = 2});
    CHECK(inputs.pulls() == 4);
    CHECK(collect(results) == squares(10));
    CHECK(inputs.pulls() == 10);
  }
  SECTION("without buffersize everything is read at the call") {
    counted_inputs inputs(10);
    auto results = pool.map<&square>(inputs);
    CHECK(inputs.pulls() == 10);
    CHECK(collect(results) == squares(10));
  }
}

TEST_CASE("map over an empty range yields nothing", "[process_map]") {
  process_pool_executor pool(1);
  std::vector<int> none;
  auto results = pool.map<&square>(none);
  CHECK(results.begin() == results.end());
  CHECK(collect(pool.map<&square>(none, map_options{.chunksize = 4})).empty());
}

TEST_CASE("map with a timeout throws timeout_error when a result is late", "[process_map]") {
  process_pool_executor pool(1);
  std::vector<int> inputs{2000};
  auto start = std::chrono::steady_clock::now();
  auto results = pool.map<&sleep_ms>(inputs, map_options{.timeout = 200ms});
  REQUIRE_THROWS_AS(results.begin(), cofutures::timeout_error);
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 200ms);
  CHECK(waited < 1500ms);
}

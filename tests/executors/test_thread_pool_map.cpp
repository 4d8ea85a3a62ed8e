#include <cofutures/thread_pool_executor.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/map_options.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <latch>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::map_options;
using cofutures::thread_pool_executor;

namespace {

// Holds pool tasks until the test opens it. Tasks capture waiter(), which
// shares the state, so the owner may be destroyed first; the owner opens on
// destruction so a failed REQUIRE unwinds instead of hanging in the pool's
// destructor. Declare it after the pool.
class gate {
 public:
  gate() = default;
  gate(const gate&) = delete;
  gate& operator=(const gate&) = delete;
  ~gate() { open(); }

  void open() const {
    std::lock_guard lock(m_state->mutex);
    m_state->open = true;
    m_state->cv.notify_all();
  }
  auto waiter() const {
    return [s = m_state] {
      std::unique_lock lock(s->mutex);
      s->cv.wait(lock, [&] { return s->open; });
    };
  }

 private:
  struct state {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false;
  };
  std::shared_ptr<state> m_state = std::make_shared<state>();
};

// Which inputs a pool task was called with, recorded on the pool threads.
class call_log {
 public:
  void add(int i) {
    std::lock_guard lock(m_mutex);
    m_calls.push_back(i);
  }
  std::vector<int> calls() const {
    std::lock_guard lock(m_mutex);
    return m_calls;
  }

 private:
  mutable std::mutex m_mutex;
  std::vector<int> m_calls;
};

// The ints [first, last), or from first on without end, counting in
// *pulled the elements map() took (dereferenced). Hand-written rather than
// std::views::iota | transform: clang 14 cannot compile libstdc++ 12's views.
struct ints {
  struct sentinel {
    std::optional<int> last;
  };
  struct iterator {
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    int value = 0;
    int* pulled = nullptr;
    int operator*() const {
      if (pulled) ++*pulled;
      return value;
    }
    iterator& operator++() {
      ++value;
      return *this;
    }
    void operator++(int) { ++value; }
    friend bool operator==(const iterator& it, const sentinel& s) { return s.last && it.value >= *s.last; }
  };

  static ints from(int first) { return {first, std::nullopt}; }
  iterator begin() const { return {first, pulled}; }
  sentinel end() const { return {last}; }

  int first = 0;
  std::optional<int> last;
  int* pulled = nullptr;
};

template <class Range>
auto collect(Range& r) {
  std::vector<std::remove_cvref_t<std::ranges::range_reference_t<Range>>> out;
  for (const auto& v : r) out.push_back(v);
  return out;
}

// A worker runs its queue in order: once this returns, every earlier task
// either ran or was skipped as cancelled.
void drain(thread_pool_executor& single_worker_pool) { single_worker_pool.submit([] {}).result(); }

}  // namespace

TEST_CASE("map yields results in input order, whatever the completion order", "[map]") {
  std::promise<void> last_done;
  std::shared_future<void> last_finished = last_done.get_future().share();
  call_log finished;
  thread_pool_executor pool(4);
  auto r = pool.map(
      [&](int i) {
        if (i == 0) last_finished.wait();  // the first input completes after the last
        finished.add(i);
        if (i == 3) last_done.set_value();
        return i * i;
      },
      std::vector{0, 1, 2, 3});
  STATIC_REQUIRE(std::ranges::input_range<decltype(r)>);
  REQUIRE(collect(r) == std::vector{0, 1, 4, 9});
  auto order = finished.calls();
  REQUIRE(std::find(order.begin(), order.end(), 3) < std::find(order.begin(), order.end(), 0));
}

TEST_CASE("map takes any input range and any result type, and chunksize changes nothing", "[map]") {
  thread_pool_executor pool(3);
  std::list<int> bases{1, 2, 3, 4};
  const std::vector<int> exponents{3, 2, 1, 0};
  auto pow = [](int b, int e) {
    int out = 1;
    while (e-- > 0) out *= b;
    return out;
  };
  auto plain = pool.map(pow, bases, exponents);
  REQUIRE(collect(plain) == std::vector{1, 4, 3, 1});
  auto chunked = pool.map(pow, bases, exponents, map_options{.chunksize = 3});
  REQUIRE(collect(chunked) == std::vector{1, 4, 3, 1});
  std::atomic<int> calls{0};
  auto void_results = pool.map([&calls](int) { ++calls; }, bases);  // one empty value per input
  REQUIRE(collect(void_results).size() == 4);
  REQUIRE(calls == 4);
}

TEST_CASE("map over several ranges stops at the shortest", "[map]") {
  std::atomic<int> calls{0};
  thread_pool_executor pool(2);
  auto add = [&calls](int a, int b) {
    ++calls;
    return a + b;
  };
  auto r = pool.map(add, std::vector{1, 2, 3, 4}, std::array{10, 20});
  REQUIRE(collect(r) == std::vector{11, 22});
  auto with_infinite = pool.map(add, ints::from(0), std::vector{5, 5, 5});
  REQUIRE(collect(with_infinite) == std::vector{5, 6, 7});
  pool.shutdown();
  REQUIRE(calls == 5);
}

TEST_CASE("a task's exception surfaces at its position and cancels what is queued", "[map]") {
  std::latch holder_started(1);
  call_log ran;
  thread_pool_executor pool(1);
  gate g;
  auto r = pool.map(
      [&, wait = g.waiter()](int i) {
        ran.add(i);
        if (i == 2) throw std::domain_error("division by zero");
        if (i == 3) {
          holder_started.count_down();
          wait();
        }
        return i * 10;
      },
      ints{0, 6});
  // Input 3 holding the only worker: 0-2 are done, 4 and 5 still queued.
  holder_started.wait();

  std::vector<int> results;
  REQUIRE_THROWS_AS([&] { for (int v : r) results.push_back(v); }(), std::domain_error);
  REQUIRE(results == std::vector{0, 10});
  REQUIRE(r.begin() == r.end());  // like Python's generator: finished after raising

  g.open();
  drain(pool);
  REQUIRE(ran.calls() == std::vector{0, 1, 2, 3});
}

TEST_CASE("map's timeout counts from the call, and past it iterating throws", "[map]") {
  std::latch holder_started(1);
  call_log ran;
  thread_pool_executor pool(1);
  gate g;
  auto start = std::chrono::steady_clock::now();
  auto r = pool.map(
      [&, wait = g.waiter()](int i) {
        ran.add(i);
        if (i == 1) {
          holder_started.count_down();
          wait();
        }
        return i;
      },
      std::vector{0, 1, 2}, map_options{.timeout = 200ms});
  // One worker in order: input 0 is done, 1 holds the worker, 2 is queued.
  holder_started.wait();

  std::vector<int> results;
  REQUIRE_THROWS_AS([&] { for (int v : r) results.push_back(v); }(), cofutures::timeout_error);
  REQUIRE(std::chrono::steady_clock::now() - start >= 200ms);
  REQUIRE(results == std::vector{0});
  REQUIRE(r.begin() == r.end());

  g.open();
  drain(pool);
  REQUIRE(ran.calls() == std::vector{0, 1});
}

TEST_CASE("a timed-out map cancels the future it was waiting for too", "[map]") {
  // CPython test_executor_map_current_future_cancel.
  std::latch holder_started(1);
  call_log ran;
  thread_pool_executor pool(1);
  gate g;
  auto holder = pool.submit([&, wait = g.waiter()] {
    holder_started.count_down();
    wait();
  });
  holder_started.wait();
  {
    auto r = pool.map([&ran](int i) { ran.add(i); return i; }, std::vector{2, 3}, map_options{.timeout = 0ms});
    REQUIRE_THROWS_AS(r.begin(), cofutures::timeout_error);
  }
  g.open();
  holder.result();
  drain(pool);
  REQUIRE(ran.calls().empty());
}

TEST_CASE("chunksize or buffersize below 1 is rejected before anything is submitted", "[map]") {
  std::string field = GENERATE(as<std::string>{}, "chunksize", "buffersize");
  std::ptrdiff_t bad = GENERATE(as<std::ptrdiff_t>{}, 0, -1);
  CAPTURE(field, bad);
  map_options options;
  if (field == "chunksize") options.chunksize = bad;
  else options.buffersize = bad;
  std::atomic<int> calls{0};
  thread_pool_executor pool(1);
  auto call = [&] { return pool.map([&calls](int i) { return calls += i; }, std::vector{1, 2}, options); };
  REQUIRE_THROWS_AS(call(), std::invalid_argument);
  REQUIRE_THROWS_WITH(call(), Catch::Contains(field));
  pool.shutdown();
  REQUIRE(calls == 0);
}

TEST_CASE("with buffersize, map gives the same results", "[map]") {
  auto buffersize = GENERATE(as<std::ptrdiff_t>{}, 1, 2, 4, 8);
  CAPTURE(buffersize);
  thread_pool_executor pool(2);
  auto strings = pool.map([](int i) { return std::to_string(i); }, ints{0, 4},
                          map_options{.buffersize = buffersize});
  REQUIRE(collect(strings) == std::vector<std::string>{"0", "1", "2", "3"});
  auto sums = pool.map(std::plus<>{}, ints{0, 4}, ints{0, 4},
                       map_options{.buffersize = buffersize});
  REQUIRE(collect(sums) == std::vector{0, 2, 4, 6});
}

TEST_CASE("buffersize bounds how many inputs are pulled ahead of the consumer", "[map]") {
  int pulled = 0;  // the inputs are pulled on this thread only
  std::atomic<int> calls{0};
  thread_pool_executor pool(2);
  auto r = pool.map([&calls](int i) { ++calls; return i; }, ints{0, 4, &pulled},
                    map_options{.buffersize = 2});
  REQUIRE(pulled == 2);

  SECTION("and pulls no more while nobody consumes") {
    // CPython test_map_buffersize_when_buffer_is_full.
    pool.shutdown(true);
    REQUIRE(pulled == 2);
    REQUIRE(calls == 2);
  }
  SECTION("and one more for each result taken") {
    std::vector<int> values;
    std::vector<int> pulled_when_taken;
    for (int v : r) {
      values.push_back(v);
      pulled_when_taken.push_back(pulled);
    }
    REQUIRE(values == std::vector{0, 1, 2, 3});
    REQUIRE(pulled_when_taken == std::vector{3, 4, 4, 4});
  }
}

TEST_CASE("with buffersize, map works over infinite ranges", "[map]") {
  thread_pool_executor pool(2);
  auto strings = pool.map([](int i) { return std::to_string(i); }, ints::from(0), map_options{.buffersize = 2});
  std::vector<std::string> first;
  for (const auto& s : strings) {
    first.push_back(s);
    if (first.size() == 3) break;
  }
  REQUIRE(first == std::vector<std::string>{"0", "1", "2"});

  auto sums = pool.map(std::plus<>{}, ints::from(0), ints::from(0), map_options{.buffersize = 2});
  auto it = sums.begin();
  REQUIRE(*it == 0);
  REQUIRE(*++it == 2);
  REQUIRE(*++it == 4);
}

TEST_CASE("without buffersize, every input is submitted at the map() call", "[map]") {
  int pulled = 0;
  std::atomic<int> calls{0};
  thread_pool_executor pool(2);
  auto r = pool.map([&calls](int i) { ++calls; return i; }, ints{0, 10, &pulled});
  REQUIRE(pulled == 10);
  // CPython test_map_submits_without_iteration: the work runs unconsumed.
  pool.shutdown(true);
  REQUIRE(calls == 10);
}

TEST_CASE("dropping a range mid-iteration cancels the work not yet started", "[map]") {
  std::latch holder_started(1);
  call_log ran;
  thread_pool_executor pool(1);
  gate g;
  const int holder = GENERATE(1, 2);  // drop after taking result 0, or results 0 and 1
  CAPTURE(holder);
  {
    auto r = pool.map(
        [&, holder, wait = g.waiter()](int i) {
          ran.add(i);
          if (i == holder) {
            holder_started.count_down();
            wait();
          }
          return i;
        },
        ints{0, 6});
    auto it = r.begin();
    REQUIRE(*it == 0);
    if (holder == 2) {
      ++it;
      REQUIRE(*it == 1);
    }
    holder_started.wait();
  }
  g.open();
  drain(pool);
  std::vector<int> expected;
  for (int i = 0; i <= holder; ++i) expected.push_back(i);
  REQUIRE(ran.calls() == expected);
}

TEST_CASE("dropping a range never iterated lets its work run, like Python", "[map]") {
  // An unstarted Python generator runs no `finally`: `ex.map(fn, xs)` alone
  // still does the work.
  std::atomic<int> calls{0};
  thread_pool_executor pool(1);
  { auto r = pool.map([&calls](int i) { ++calls; return i; }, ints{0, 6}); }
  pool.shutdown(true);
  REQUIRE(calls == 6);
}

TEST_CASE("map over an empty range yields nothing", "[map]") {
  auto buffersize = GENERATE(std::optional<std::ptrdiff_t>{}, std::optional<std::ptrdiff_t>{2});
  std::atomic<int> calls{0};
  thread_pool_executor pool(1);
  auto fn = [&calls](int i, int j) {
    ++calls;
    return i + j;
  };
  auto empty = pool.map(fn, std::vector<int>{}, std::vector<int>{}, map_options{.buffersize = buffersize});
  REQUIRE(empty.begin() == empty.end());
  auto one_empty = pool.map(fn, std::vector{1, 2}, std::vector<int>{}, map_options{.buffersize = buffersize});
  REQUIRE(one_empty.begin() == one_empty.end());
  pool.shutdown();
  REQUIRE(calls == 0);
}

TEST_CASE("a map range outlives its pool and yields every result", "[map]") {
  // CPython test_del_shutdown: the pool's shutdown lets the work finish.
  auto r = [] {
    thread_pool_executor pool(5);
    return pool.map([](int x) { return x < 0 ? -x : x; }, ints{-5, 5});
  }();
  REQUIRE(collect(r) == std::vector{5, 4, 3, 2, 1, 0, 1, 2, 3, 4});
}

// Python 3.14's result_iterator stops submitting once its executor is gone
// and yields what was already submitted.
TEST_CASE("with buffersize, a range outliving its pool yields what was submitted, then ends", "[map]") {
  auto r = [] {
    thread_pool_executor pool(2);
    return pool.map([](int x) { return x; }, ints{0, 4}, map_options{.buffersize = 2});
  }();
  REQUIRE(collect(r) == std::vector{0, 1});
}

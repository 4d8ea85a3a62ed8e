#include <cofutures/wait.hpp>

#include <cofutures/any_future.hpp>
#include <cofutures/as_completed.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <forward_list>
#include <latch>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>

// Port of CPython's Lib/test/test_concurrent_futures/test_wait.py, with
// promises standing in for executor jobs so that every completion happens
// exactly when the test says.

using namespace std::chrono_literals;
using cofutures::any_future;
using cofutures::future;
using cofutures::promise;
using cofutures::return_when;
using cofutures::wait;
using cofutures::wait_result;
using clock_type = std::chrono::steady_clock;
using futures = std::vector<future<int>>;

namespace {

struct io_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::exception_ptr failure() { return std::make_exception_ptr(io_failure("boom")); }

// Futures in each of Python's test states. Owns their promises (a deque keeps
// references stable), so a pending future stays pending for the whole test.
class futures_kit {
 public:
  future<int> pending() { return m_promises.emplace_back().get_future(); }
  future<int> cancelled() {
    auto f = pending();
    f.cancel();
    return f;
  }
  future<int> cancelled_and_notified() {
    auto f = cancelled();
    m_promises.back().set_running_or_notify_cancel();
    return f;
  }
  future<int> raised() {
    auto f = pending();
    m_promises.back().set_exception(failure());
    return f;
  }
  future<int> returned() {
    auto f = pending();
    m_promises.back().set_result(42);
    return f;
  }
  promise<int>& producer(const future<int>& f) {
    for (auto& p : m_promises) {
      if (p.get_future() == f) return p;
    }
    throw std::logic_error("not a future of this kit");
  }

 private:
  std::deque<promise<int>> m_promises;
};

}  // namespace

TEST_CASE("wait collapses duplicate futures", "[wait][duplicates]") {
  // bpo-20369
  futures_kit kit;
  auto f = kit.pending();
  auto g = kit.returned();
  std::jthread t([&p = kit.producer(f)] { p.set_result(2); });
  auto r = wait(futures{f, g, f, g, f}, return_when::all_completed);
  REQUIRE(r.done == futures{f, g});
  REQUIRE(r.not_done.empty());
}

TEST_CASE("thousands of futures with duplicates collapse in first-seen order, sized range or not",
          "[wait][duplicates]") {
  // Each future three times, spread apart: the set that drops the repeats
  // grows while it fills when the range cannot say its size (forward_list).
  futures_kit kit;
  futures unique;
  for (int i = 0; i < 3000; ++i) unique.push_back(i % 2 ? kit.returned() : kit.raised());
  futures input;
  for (int round = 0; round < 3; ++round) input.insert(input.end(), unique.begin(), unique.end());
  std::forward_list<future<int>> everything(input.begin(), input.end());
  static_assert(!std::ranges::sized_range<decltype(everything)>);

  auto sized = wait(input);
  CHECK(sized.done == unique);
  CHECK(sized.not_done.empty());
  auto unsized = wait(everything);
  CHECK(unsized.done == unique);
  futures yielded;
  for (auto& f : cofutures::as_completed(everything)) yielded.push_back(f);
  CHECK(yielded == unique);
  // The caller's futures are untouched: the wait worked on its own copies.
  CHECK(input.size() == 9000);
  CHECK(std::ranges::all_of(input, [](const future<int>& f) { return f.valid(); }));
}

TEST_CASE("first_completed returns when one future completes", "[wait][first_completed]") {
  futures_kit kit;
  SECTION("a pending future completed by another thread") {
    auto f1 = kit.pending();
    auto f2 = kit.pending();
    std::jthread t([&p = kit.producer(f1)] {
      std::this_thread::sleep_for(10ms);  // likely wait() blocks first; not relied upon
      p.set_result(42);
    });
    auto r = wait(futures{f1, f2}, return_when::first_completed);
    REQUIRE(r.done == futures{f1});
    REQUIRE(r.not_done == futures{f2});
  }
  SECTION("some already completed: at once, all of them in done") {
    auto notified = kit.cancelled_and_notified();
    auto ok = kit.returned();
    auto waiting = kit.pending();
    auto r = wait(futures{notified, ok, waiting}, return_when::first_completed);
    REQUIRE(r.done == futures{notified, ok});
    REQUIRE(r.not_done == futures{waiting});
  }
}

TEST_CASE("a cancelled future counts as done at once (CPython gh-92001 hangs here)", "[wait][cancel]") {
  futures_kit kit;
  SECTION("cancelled before wait, executor not told yet") {
    auto c = kit.cancelled();
    auto waiting = kit.pending();
    auto r = wait(futures{c, waiting}, return_when::first_completed);
    REQUIRE(r.done == futures{c});
    REQUIRE(r.not_done == futures{waiting});
    // The timeout only bounds the hang CPython has: it must not be reached.
    r = wait(futures{c}, return_when::all_completed, 500ms);
    REQUIRE(r.done == futures{c});
  }
  SECTION("cancelled by another thread while wait() blocks") {
    auto c = kit.pending();
    auto ok = kit.returned();
    std::jthread t([c] {
      std::this_thread::sleep_for(10ms);
      c.cancel();
    });
    auto r = wait(futures{c, ok}, return_when::all_completed);
    REQUIRE(r.done == futures{c, ok});
    REQUIRE(c.cancelled());
  }
}

TEST_CASE("first_exception returns at the first exception", "[wait][first_exception]") {
  futures_kit kit;
  SECTION("a success, then a failure, from another thread") {
    auto f1 = kit.pending();
    auto f2 = kit.pending();
    auto f3 = kit.pending();
    // f1 completes strictly before f2 fails, as in CPython's test.
    std::jthread t([&p1 = kit.producer(f1), &p2 = kit.producer(f2)] {
      p1.set_result(42);
      p2.set_exception(failure());
    });
    auto r = wait(futures{f1, f2, f3}, return_when::first_exception);
    REQUIRE(r.done == futures{f1, f2});
    REQUIRE(r.not_done == futures{f3});
  }
  SECTION("some already complete") {
    // CPython leaves the un-notified cancelled future in not_done; we count it done.
    auto ok = kit.returned();
    auto c = kit.cancelled();
    auto notified = kit.cancelled_and_notified();
    auto f1 = kit.pending();
    auto f2 = kit.pending();
    std::jthread t([&p = kit.producer(f1)] { p.set_exception(failure()); });
    auto r = wait(futures{ok, c, notified, f1, f2}, return_when::first_exception);
    REQUIRE(r.done == futures{ok, c, notified, f1});
    REQUIRE(r.not_done == futures{f2});
  }
  SECTION("one already failed: at once") {
    auto bad = kit.raised();
    auto waiting = kit.pending();
    auto r = wait(futures{bad, waiting}, return_when::first_exception);
    REQUIRE(r.done == futures{bad});
    REQUIRE(r.not_done == futures{waiting});
  }
}

TEST_CASE("first_exception is not satisfied by successes or cancellations", "[wait][first_exception]") {
  futures_kit kit;
  auto ok = kit.returned();
  auto c = kit.cancelled();
  auto waiting = kit.pending();
  auto start = clock_type::now();
  auto r = wait(futures{ok, c, waiting}, return_when::first_exception, 100ms);
  // Returning before the deadline would mean a success or a cancellation counted as an exception.
  REQUIRE(clock_type::now() - start >= 100ms);
  REQUIRE(r.done == futures{ok, c});
  REQUIRE(r.not_done == futures{waiting});
}

TEST_CASE("all_completed waits for every future", "[wait][all_completed]") {
  futures_kit kit;
  auto ok = kit.returned();
  auto notified = kit.cancelled_and_notified();
  auto bad = kit.raised();
  auto f1 = kit.pending();
  auto f2 = kit.pending();
  std::jthread t([&p1 = kit.producer(f1), &p2 = kit.producer(f2)] {
    std::this_thread::sleep_for(10ms);  // likely wait() blocks first; not relied upon
    p1.set_exception(failure());
    p2.set_result(42);
  });
  auto r = wait(futures{ok, notified, bad, f1, f2}, return_when::all_completed);
  REQUIRE(r.done == futures{ok, notified, bad, f1, f2});
  REQUIRE(r.not_done.empty());
  REQUIRE(f2.result(0s) == 42);
}

TEST_CASE("a timeout returns the unfinished futures in not_done", "[wait][timeout]") {
  futures_kit kit;
  auto notified = kit.cancelled_and_notified();
  auto bad = kit.raised();
  auto ok = kit.returned();
  auto waiting = kit.pending();
  auto timeout = GENERATE(0ms, 100ms);
  auto start = clock_type::now();
  wait_result r;
  REQUIRE_NOTHROW(r = wait(futures{notified, bad, ok, waiting}, return_when::all_completed, timeout));
  REQUIRE(clock_type::now() - start >= timeout);
  REQUIRE(r.done == std::vector<any_future>{notified, bad, ok});
  REQUIRE(r.not_done == std::vector<any_future>{waiting});
  REQUIRE_FALSE(waiting.done());
}

TEST_CASE("wait(all_completed) sees all of 100 futures completed concurrently", "[wait][thread]") {
  // CPython issue #14406: completions racing with wait() registering itself.
  constexpr int n = 100, producers = 4, rounds = 20;
  for (int round = 0; round < rounds; ++round) {
    std::vector<promise<int>> ps(n);
    futures fs;
    for (auto& p : ps) fs.push_back(p.get_future());
    std::latch go(1);
    std::vector<std::jthread> threads;
    for (int t = 0; t < producers; ++t) {
      threads.emplace_back([&, t] {
        go.wait();
        for (int i = t; i < n; i += producers) {
          if (i % 3 == 0) ps[i].set_result(i);
          else if (i % 3 == 1) ps[i].set_exception(failure());
          else fs[i].cancel();
        }
      });
    }
    go.count_down();  // the producers start while wait() links into the futures
    auto r = wait(fs, return_when::all_completed);
    threads.clear();
    INFO("round " << round);
    REQUIRE(r.done == fs);
    REQUIRE(r.not_done.empty());
  }
}

TEST_CASE("wait accepts Python's argument order (fs, timeout, return_when)", "[wait][overloads]") {
  futures_kit kit;
  auto ok = kit.returned();
  auto waiting = kit.pending();
  futures fs{ok, waiting};
  auto r = wait(fs, 100ms, return_when::first_completed);
  REQUIRE(r.done == futures{ok});  // first_completed held at once; all_completed would time out
  r = wait(fs, std::nullopt, return_when::first_completed);
  REQUIRE(r.done == futures{ok});
  r = wait(fs, 0s);  // return_when defaults to all_completed
  REQUIRE(r.not_done == futures{waiting});
}

TEST_CASE("wait takes an initializer list", "[wait][overloads]") {
  futures_kit kit;
  auto ok = kit.returned();
  auto waiting = kit.pending();
  auto r = wait({ok, waiting, ok}, return_when::first_completed);
  REQUIRE(r.done == futures{ok});
  REQUIRE(r.not_done == futures{waiting});
}

TEST_CASE("wait over any_future of mixed value types", "[wait][any_future]") {
  promise<int> pi;
  promise<std::string> ps;
  promise<void> pv;
  pi.set_result(1);
  std::vector<any_future> fs{pi.get_future(), ps.get_future(), pv.get_future()};

  auto r = wait(fs, return_when::first_completed);
  static_assert(std::is_same_v<decltype(r), wait_result>);
  REQUIRE(r.done == std::vector<any_future>{fs[0]});
  REQUIRE(r.not_done == std::vector<any_future>{fs[1], fs[2]});

  std::jthread t([&] {
    ps.set_result("two");
    pv.set_exception(failure());
  });
  r = wait(fs);
  REQUIRE(r.done == fs);
  REQUIRE(r.done[0].as<int>().result() == 1);
  REQUIRE(r.done[1].as<std::string>().result() == "two");
  REQUIRE_THROWS_AS(r.done[2].wait(), io_failure);
}

TEST_CASE("a negative timeout is refused with std::invalid_argument", "[wait][timeout]") {
  futures_kit kit;
  futures fs{kit.pending()};
  REQUIRE_THROWS_AS(wait(fs, return_when::all_completed, -1ms), std::invalid_argument);
  REQUIRE_THROWS_AS(wait(fs, std::chrono::duration<double>(-0.5)), std::invalid_argument);
}

TEST_CASE("basic_wait_result<future<T>> converts to wait_result", "[wait][types]") {
  futures_kit kit;
  auto ok = kit.returned();
  auto waiting = kit.pending();
  auto typed = wait(futures{ok, waiting}, 0s);
  static_assert(std::is_same_v<decltype(typed), cofutures::basic_wait_result<future<int>>>);
  REQUIRE(typed.done.front().result() == 42);  // typed: result() without as<T>()
  wait_result erased = typed;
  REQUIRE(erased.done == std::vector<any_future>{ok});
  REQUIRE(erased.not_done == std::vector<any_future>{waiting});
}

TEST_CASE("wait on no futures returns at once", "[wait][empty]") {
  // CPython: len(done) == len(fs) holds for an empty set whatever return_when says.
  auto when = GENERATE(return_when::first_completed, return_when::first_exception, return_when::all_completed);
  INFO("return_when #" << static_cast<int>(when));
  auto start = clock_type::now();
  // The timeout only bounds a hang: reaching it is the failure.
  auto r = wait(futures{}, when, 500ms);
  REQUIRE(clock_type::now() - start < 500ms);
  REQUIRE(r.done.empty());
  REQUIRE(r.not_done.empty());
}

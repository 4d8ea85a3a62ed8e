#include <cofutures/as_completed.hpp>

#include <cofutures/any_future.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>

#include <chrono>
#include <deque>
#include <exception>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

// Port of CPython's Lib/test/test_concurrent_futures/test_as_completed.py,
// with promises standing in for executor jobs.

using namespace std::chrono_literals;
using cofutures::any_future;
using cofutures::as_completed;
using cofutures::future;
using cofutures::promise;
using cofutures::timeout_error;
using futures = std::vector<future<int>>;

namespace {

struct io_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Futures in each of Python's test states. Owns their promises (a deque keeps
// references stable), so a pending future stays pending for the whole test.
class futures_kit {
 public:
  future<int> pending() { return m_promises.emplace_back().get_future(); }
  future<int> running() {
    auto f = pending();
    m_promises.back().set_running_or_notify_cancel();
    return f;
  }
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
    m_promises.back().set_exception(std::make_exception_ptr(io_failure("boom")));
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

// Drains the range into `out`, so that what was yielded before a timeout
// can still be checked after it.
template <class Range, class F>
void drain(Range&& range, std::vector<F>& out) {
  for (const auto& f : range) out.push_back(f);
}

}  // namespace

TEST_CASE("as_completed yields done futures first, in input order, then in completion order",
          "[as_completed][order]") {
  futures_kit kit;
  auto p0 = kit.pending();
  auto bad = kit.raised();
  auto p2 = kit.pending();
  auto ok = kit.returned();
  auto c = kit.cancelled();

  // One completion per release, and each release only after the previous
  // future was yielded: the completion order is p2, then p0, whatever the
  // scheduler does.
  std::counting_semaphore<> next(0);
  std::jthread producer([&next, &q2 = kit.producer(p2), &q0 = kit.producer(p0)] {
    next.acquire();
    q2.set_result(2);
    next.acquire();
    q0.set_exception(std::make_exception_ptr(io_failure("late")));
  });
  futures yielded;
  bool all_done_when_yielded = true;
  for (const auto& f : as_completed(futures{p0, bad, p2, ok, c})) {
    yielded.push_back(f);
    all_done_when_yielded = all_done_when_yielded && f.done();
    if (yielded.size() >= 3 && yielded.size() < 5) next.release();
  }
  next.release(2);  // should the range end early, the producer must not block for ever
  REQUIRE(yielded == futures{bad, ok, c, p2, p0});
  REQUIRE(all_done_when_yielded);
}

TEST_CASE("as_completed without a timeout yields every future", "[as_completed]") {
  futures_kit kit;
  auto notified = kit.cancelled_and_notified();
  auto bad = kit.raised();
  auto ok = kit.returned();
  auto f1 = kit.pending();
  auto f2 = kit.pending();
  std::jthread t([&p1 = kit.producer(f1), &p2 = kit.producer(f2)] {
    std::this_thread::sleep_for(10ms);  // likely the range blocks first; not relied upon
    p1.set_result(42);
    p2.set_result(7);
  });
  futures yielded;
  drain(as_completed(futures{notified, bad, ok, f1, f2}), yielded);
  REQUIRE_THAT(yielded, Catch::Matchers::UnorderedEquals(futures{notified, bad, ok, f1, f2}));
  // The already-done ones lead, in input order.
  REQUIRE(futures(yielded.begin(), yielded.begin() + 3) == futures{notified, bad, ok});
}

TEST_CASE("as_completed past its timeout throws timeout_error after yielding what was done",
          "[as_completed][timeout]") {
  futures_kit kit;
  auto notified = kit.cancelled_and_notified();
  auto bad = kit.raised();
  auto ok = kit.returned();
  auto waiting = kit.pending();
  auto timeout = GENERATE(0ms, 100ms);
  futures yielded;
  REQUIRE_THROWS_AS(drain(as_completed(futures{notified, bad, ok, waiting}, timeout), yielded), timeout_error);
  REQUIRE(yielded == futures{notified, bad, ok});
  REQUIRE_FALSE(waiting.done());
}

TEST_CASE("the timeout message says how many futures are unfinished", "[as_completed][timeout]") {
  futures_kit kit;
  futures fs{kit.cancelled_and_notified(), kit.pending(), kit.running(), kit.returned()};
  futures yielded;
  REQUIRE_THROWS_WITH(drain(as_completed(fs, 0s), yielded), "2 (of 4) futures unfinished");
  // M counts distinct futures, as Python's set(fs) does.
  futures dup{fs[1], fs[1], fs[3], fs[3]};
  REQUIRE_THROWS_WITH(drain(as_completed(dup, 0s), yielded), "1 (of 2) futures unfinished");
}

TEST_CASE("as_completed yields a duplicated future once", "[as_completed][duplicates]") {
  // bpo-20367, bpo-31641
  futures_kit kit;
  auto f = kit.pending();
  auto ok = kit.returned();
  std::jthread t([&p = kit.producer(f)] { p.set_result(1); });
  futures yielded;
  auto range = as_completed(futures{f, f, ok, f, ok});
  REQUIRE(range.size() == 2);
  drain(range, yielded);
  REQUIRE_THAT(yielded, Catch::Matchers::UnorderedEquals(futures{f, ok}));
}

TEST_CASE("as_completed counts a cancelled future as done at once", "[as_completed][cancel]") {
  futures_kit kit;
  SECTION("cancelled before, executor not told yet") {
    auto c = kit.cancelled();
    auto waiting = kit.pending();
    futures yielded;
    REQUIRE_THROWS_WITH(drain(as_completed(futures{waiting, c}, 0s), yielded), "1 (of 2) futures unfinished");
    REQUIRE(yielded == futures{c});
  }
  SECTION("cancelled by another thread while the range blocks") {
    auto c = kit.pending();
    std::jthread t([c] {
      std::this_thread::sleep_for(10ms);
      c.cancel();
    });
    futures yielded;
    drain(as_completed(futures{c}), yielded);
    REQUIRE(yielded == futures{c});
    REQUIRE(c.cancelled());
  }
}

TEST_CASE("a zero timeout on done futures yields them all without throwing", "[as_completed][timeout]") {
  futures_kit kit;
  futures fs{kit.returned(), kit.raised(), kit.cancelled(), kit.cancelled_and_notified()};
  futures yielded;
  REQUIRE_NOTHROW(drain(as_completed(fs, 0s), yielded));
  REQUIRE(yielded == fs);
}

TEST_CASE("as_completed over no futures yields nothing", "[as_completed][empty]") {
  futures yielded;
  REQUIRE_NOTHROW(drain(as_completed(futures{}, 0s), yielded));
  REQUIRE_NOTHROW(drain(as_completed(futures{}), yielded));
  REQUIRE(yielded.empty());
}

TEST_CASE("as_completed over any_future of mixed value types", "[as_completed][any_future]") {
  promise<int> pi;
  promise<std::string> ps;
  promise<void> pv;
  pi.set_result(1);
  std::vector<any_future> fs{pi.get_future(), ps.get_future(), pv.get_future()};
  std::counting_semaphore<> next(0);
  std::jthread producer([&] {
    next.acquire();
    pv.set_result();
    next.acquire();
    ps.set_result("two");
  });
  std::vector<any_future> yielded;
  for (const any_future& f : as_completed(fs)) {
    yielded.push_back(f);
    if (yielded.size() < 3) next.release();
  }
  next.release(2);  // should the range end early, the producer must not block for ever
  REQUIRE(yielded == std::vector<any_future>{fs[0], fs[2], fs[1]});
  REQUIRE(yielded[0].as<int>().result() == 1);
  REQUIRE_NOTHROW(yielded[1].as<void>().result());
  REQUIRE(yielded[2].as<std::string>().result() == "two");
}

TEST_CASE("as_completed takes an initializer list", "[as_completed][overloads]") {
  futures_kit kit;
  auto ok = kit.returned();
  auto bad = kit.raised();
  auto waiting = kit.pending();
  futures yielded;
  drain(as_completed({bad, ok, bad}), yielded);
  REQUIRE(yielded == futures{bad, ok});
  yielded.clear();
  REQUIRE_THROWS_WITH(drain(as_completed({ok, waiting}, 0s), yielded), "1 (of 2) futures unfinished");
  REQUIRE(yielded == futures{ok});
}

TEST_CASE("as_completed refuses a negative timeout", "[as_completed][timeout]") {
  futures_kit kit;
  futures fs{kit.returned()};
  REQUIRE_THROWS_AS(as_completed(fs, -1ms), std::invalid_argument);
}

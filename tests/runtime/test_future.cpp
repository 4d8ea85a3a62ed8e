#include <cofutures/future.hpp>

#include <cofutures/callback_exception_handler.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/promise.hpp>

#include <array>
#include <chrono>
#include <exception>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <catch2/catch.hpp>

// Port of CPython's Lib/test/test_concurrent_futures/test_future.py, driving
// the state machine through promise<T> where Python pokes Future internals.

using namespace std::chrono_literals;
using cofutures::cancelled_error;
using cofutures::future;
using cofutures::invalid_state_error;
using cofutures::promise;
using cofutures::timeout_error;

namespace {

struct io_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The states of Python's test util futures (PENDING_FUTURE, RUNNING_FUTURE...).
enum class state { pending, running, cancelled, cancelled_and_notified, raised, returned };

// Keeps the promise alive next to its future: destroying it would finish the
// future with a broken-promise error and change the state under test.
struct fixture {
  promise<int> p;
  future<int> f = p.get_future();
};

fixture make(state s) {
  fixture x;
  switch (s) {
    case state::pending: break;
    case state::running: x.p.set_running_or_notify_cancel(); break;
    case state::cancelled: x.f.cancel(); break;
    case state::cancelled_and_notified:
      x.f.cancel();
      x.p.set_running_or_notify_cancel();
      break;
    case state::raised: x.p.set_exception(std::make_exception_ptr(io_failure("disk on fire"))); break;
    case state::returned: x.p.set_result(42); break;
  }
  return x;
}

template <class F>
std::string repr(const F& f) {
  std::ostringstream os;
  os << f;
  return os.str();
}

// Records what set_callback_exception_handler receives; restores the previous
// handler so other tests keep the default reporting.
struct recording_handler {
  std::mutex m;
  std::vector<std::string> contexts, messages;
  cofutures::callback_exception_handler previous;

  recording_handler() {
    previous = cofutures::set_callback_exception_handler([this](std::exception_ptr e, const std::string& context) {
      std::lock_guard lock(m);
      contexts.push_back(context);
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        messages.emplace_back(ex.what());
      }
    });
  }
  ~recording_handler() { cofutures::set_callback_exception_handler(std::move(previous)); }
};

}  // namespace

TEST_CASE("state queries and cancel() follow Python's state table", "[future][state][cancel]") {
  struct row {
    state s;
    bool cancelled, running, done, cancel_returns;
  };
  auto r = GENERATE(values<row>({
      {state::pending, false, false, false, true},
      {state::running, false, true, false, false},
      {state::cancelled, true, false, true, true},
      {state::cancelled_and_notified, true, false, true, true},
      {state::raised, false, false, true, false},
      {state::returned, false, false, true, false},
  }));
  INFO("state #" << static_cast<int>(r.s));
  auto x = make(r.s);
  CHECK(x.f.cancelled() == r.cancelled);
  CHECK(x.f.running() == r.running);
  CHECK(x.f.done() == r.done);
  REQUIRE(x.f.cancel() == r.cancel_returns);
  // cancel() true means cancelled now; false means nothing changed.
  CHECK(x.f.cancelled() == r.cancel_returns);
  CHECK(x.f.running() == r.running);
  CHECK(x.f.done() == (r.done || r.cancel_returns));
  if (r.s == state::returned) CHECK(x.f.result() == 42);
  if (r.s == state::raised) CHECK_THROWS_AS(x.f.result(), io_failure);
}

TEST_CASE("result(0) and exception(0) poll in every state", "[future][timeout]") {
  SECTION("pending and running: timeout_error") {
    auto x = make(GENERATE(state::pending, state::running));
    REQUIRE_THROWS_AS(x.f.result(0s), timeout_error);
    REQUIRE_THROWS_AS(x.f.exception(0s), timeout_error);
    REQUIRE_FALSE(x.f.done());  // a timed-out wait changes nothing
  }
  SECTION("cancelled: cancelled_error") {
    auto x = make(GENERATE(state::cancelled, state::cancelled_and_notified));
    REQUIRE_THROWS_AS(x.f.result(0s), cancelled_error);
    REQUIRE_THROWS_AS(x.f.exception(0s), cancelled_error);
  }
  SECTION("finished with an exception") {
    auto x = make(state::raised);
    REQUIRE_THROWS_AS(x.f.result(0s), io_failure);  // its own type and message, as raised
    REQUIRE_THROWS_WITH(x.f.result(0s), "disk on fire");
    REQUIRE_THROWS_AS(std::rethrow_exception(x.f.exception(0s)), io_failure);
  }
  SECTION("finished with a value") {
    auto x = make(state::returned);
    REQUIRE(x.f.result(0s) == 42);
    REQUIRE(x.f.exception(0s) == nullptr);
  }
}

TEST_CASE("result() rethrows a stored exception of any type", "[future][exception]") {
  promise<std::string> p;
  auto f = p.get_future();
  p.set_exception(std::make_exception_ptr(17));
  REQUIRE_THROWS_AS(f.result(), int);
}

TEST_CASE("completing a done future throws invalid_state_error and keeps the first outcome", "[future][state]") {
  promise<int> p;
  auto f = p.get_future();
  SECTION("set_result twice") {
    p.set_result(1);
    REQUIRE_THROWS_AS(p.set_result(2), invalid_state_error);
    REQUIRE(f.result() == 1);
  }
  SECTION("set_exception twice") {
    p.set_exception(std::make_exception_ptr(std::domain_error("first")));
    REQUIRE_THROWS_AS(p.set_exception(std::make_exception_ptr(io_failure("second"))), invalid_state_error);
    REQUIRE_THROWS_AS(p.set_result(2), invalid_state_error);
    REQUIRE_THROWS_AS(f.result(), std::domain_error);
    REQUIRE_THROWS_WITH(f.result(), "first");
  }
  SECTION("set_result and set_exception after cancel") {
    REQUIRE(f.cancel());
    REQUIRE_THROWS_AS(p.set_result(1), invalid_state_error);
    REQUIRE_THROWS_AS(p.set_exception(std::make_exception_ptr(io_failure("late"))), invalid_state_error);
    REQUIRE(f.cancelled());
    REQUIRE_THROWS_AS(f.result(), cancelled_error);
  }
  SECTION("the try_ forms report false instead of throwing") {
    REQUIRE(p.try_set_result(1));
    REQUIRE_FALSE(p.try_set_result(2));
    REQUIRE_FALSE(p.try_set_exception(std::make_exception_ptr(io_failure("late"))));
    REQUIRE(f.result() == 1);
  }
}

TEST_CASE("set_running_or_notify_cancel", "[future][state]") {
  SECTION("a pending future starts running and can no longer be cancelled") {
    auto x = make(state::pending);
    REQUIRE(x.p.set_running_or_notify_cancel());
    REQUIRE(x.f.running());
    REQUIRE_FALSE(x.f.cancel());
  }
  SECTION("a cancelled future returns false and stays cancelled") {
    auto x = make(state::cancelled);
    REQUIRE_FALSE(x.p.set_running_or_notify_cancel());
    REQUIRE(x.f.cancelled());
    REQUIRE(x.f.done());
  }
  SECTION("running, notified or finished: invalid_state_error") {
    auto s = GENERATE(state::running, state::cancelled_and_notified, state::raised, state::returned);
    INFO("state #" << static_cast<int>(s));
    auto x = make(s);
    REQUIRE_THROWS_AS(x.p.set_running_or_notify_cancel(), invalid_state_error);
  }
}

TEST_CASE("done-callbacks added before completion run at completion", "[future][callback]") {
  promise<int> p;
  auto f = p.get_future();
  std::vector<int> order;
  std::vector<future<int>> seen;
  for (int i = 0; i < 3; ++i) {
    f.add_done_callback([&, i](future<int> g) {
      order.push_back(i);
      seen.push_back(g);
    });
  }
  // What Python's callbacks check: the outcome is readable from inside.
  std::string observed;
  f.add_done_callback([&](future<int> g) {
    observed = g.cancelled() ? "cancelled" : g.exception() ? "raised" : std::to_string(g.result());
  });
  REQUIRE(order.empty());
  SECTION("with a result") {
    p.set_result(5);
    REQUIRE(observed == "5");
  }
  SECTION("with an exception") {
    p.set_exception(std::make_exception_ptr(io_failure("test")));
    REQUIRE(observed == "raised");
  }
  SECTION("with cancel") {
    REQUIRE(f.cancel());
    REQUIRE(observed == "cancelled");
  }
  // The unbound future has no loop to defer to: all ran before completion returned.
  REQUIRE(order == std::vector<int>{0, 1, 2});
  REQUIRE(seen == std::vector<future<int>>(3, f));
}

TEST_CASE("done-callbacks may be move-only, large, or std::function, and each runs once", "[future][callback]") {
  promise<int> p;
  auto f = p.get_future();
  std::vector<std::string> ran;
  auto token = std::make_unique<int>(7);  // move-only: std::function could not hold it
  f.add_done_callback([&, token = std::move(token)](future<int> g) {
    ran.push_back("move-only " + std::to_string(*token + g.result()));
  });
  std::array<long, 16> big{};  // too large to be kept in place: stored on the heap
  big[15] = 2;
  f.add_done_callback([&, big](future<int> g) { ran.push_back("large " + std::to_string(big[15] + g.result())); });
  std::function<void(future<int>)> typed = [&](future<int> g) {
    ran.push_back("std::function " + std::to_string(g.result()));
  };
  f.add_done_callback(typed);
  REQUIRE(typed);  // passed by copy: the caller's stays usable
  p.set_result(1);
  REQUIRE(ran == std::vector<std::string>{"move-only 8", "large 3", "std::function 1"});
}

TEST_CASE("cancel() racing set_running_or_notify_cancel(): exactly one wins", "[future][thread]") {
  for (int i = 0; i < 2000; ++i) {
    promise<int> p;
    auto f = p.get_future();
    std::latch start(2);
    bool started = false;
    bool cancelled = false;
    std::thread executor([&] {
      start.arrive_and_wait();
      started = p.set_running_or_notify_cancel();
      if (started) p.set_result(1);
    });
    start.arrive_and_wait();
    cancelled = f.cancel();
    executor.join();
    INFO("iteration " << i);
    REQUIRE(started != cancelled);
    REQUIRE(f.done());
    if (started) REQUIRE(f.result() == 1);
    else REQUIRE(f.cancelled());
  }
}

TEST_CASE("a done-callback added to a done future runs at once", "[future][callback]") {
  auto s = GENERATE(state::returned, state::raised, state::cancelled);
  INFO("state #" << static_cast<int>(s));
  auto x = make(s);
  bool ran = false;
  std::thread::id ran_on;
  x.f.add_done_callback([&](future<int> g) {
    ran = g == x.f && g.done();
    ran_on = std::this_thread::get_id();
  });
  REQUIRE(ran);
  REQUIRE(ran_on == std::this_thread::get_id());
}

TEST_CASE("an unbound future runs its callbacks on the completing thread", "[future][callback][thread]") {
  promise<int> p;
  auto f = p.get_future();
  std::thread::id ran_on;
  f.add_done_callback([&](future<int>) { ran_on = std::this_thread::get_id(); });
  std::thread producer([&] { p.set_result(1); });
  auto producer_id = producer.get_id();
  producer.join();
  REQUIRE(ran_on == producer_id);
}

TEST_CASE("a throwing done-callback is reported and the others still run", "[future][callback]") {
  recording_handler handler;
  promise<int> p;
  auto f = p.get_future();
  bool raising_called = false, fn_called = false;
  auto raising_fn = [&](future<int>) {
    raising_called = true;
    throw std::runtime_error("doh!");
  };
  SECTION("at completion") {
    f.add_done_callback(raising_fn);
    f.add_done_callback([&](future<int>) { fn_called = true; });
    REQUIRE_NOTHROW(p.set_result(5));
    REQUIRE(fn_called);
  }
  SECTION("added to a done future") {
    p.set_result(5);
    REQUIRE_NOTHROW(f.add_done_callback(raising_fn));
  }
  REQUIRE(raising_called);
  std::lock_guard lock(handler.m);
  REQUIRE(handler.messages == std::vector<std::string>{"doh!"});
  REQUIRE_THAT(handler.contexts.at(0), Catch::Matchers::Contains("exception calling callback for"));
}

TEST_CASE("threads blocked on a future wake when another thread completes it", "[future][thread]") {
  enum outcome { none, returned, cancelled, raised };
  constexpr int waiters = 6;
  promise<int> p;
  auto f = p.get_future();
  std::latch started(waiters);
  std::vector<outcome> seen(waiters, none);  // one slot per thread, read after joining
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < waiters; ++i) {
      threads.emplace_back([&, i] {
        started.count_down();
        try {
          // Every way of blocking: result(), result(timeout), exception().
          if (i % 3 == 0) f.result();
          if (i % 3 == 1) f.result(30s);  // only a bound on a hang: never reached
          if (i % 3 == 2 && f.exception()) std::rethrow_exception(f.exception());
          if (f.result(0s) == 42) seen[i] = returned;
        } catch (const cancelled_error&) {
          seen[i] = cancelled;
        } catch (const io_failure&) {
          seen[i] = raised;
        } catch (...) {
        }
      });
    }
    started.wait();
    std::this_thread::sleep_for(10ms);  // likely all blocked by now; not relied upon
    SECTION("by set_result") { p.set_result(42); }
    SECTION("by set_exception") { p.set_exception(std::make_exception_ptr(io_failure("late"))); }
    SECTION("by cancel") { f.cancel(); }
  }
  auto expected = f.cancelled() ? cancelled : f.exception() ? raised : returned;
  REQUIRE(seen == std::vector<outcome>(waiters, expected));
}

TEST_CASE("destroying a promise without a result breaks its future", "[future][promise]") {
  SECTION("the future finishes with invalid_state_error") {
    future<int> f;
    {
      promise<int> p;
      f = p.get_future();
      SECTION("pending") {}
      SECTION("running") { p.set_running_or_notify_cancel(); }
    }
    REQUIRE(f.done());
    REQUIRE_FALSE(f.cancelled());
    REQUIRE_THROWS_AS(f.result(), invalid_state_error);
    REQUIRE_THROWS_AS(std::rethrow_exception(f.exception()), invalid_state_error);
  }
  SECTION("a waiter blocked on the future wakes") {
    promise<int> p;
    auto f = p.get_future();
    std::jthread t([p = std::move(p)]() mutable {
      std::this_thread::sleep_for(10ms);
      promise<int> dropped = std::move(p);
    });
    REQUIRE_THROWS_AS(f.result(), invalid_state_error);
  }
  SECTION("move-assigning over a promise breaks its old future") {
    promise<int> p;
    auto f = p.get_future();
    p = promise<int>();
    REQUIRE_THROWS_AS(f.result(0s), invalid_state_error);
  }
  SECTION("a finished or cancelled future keeps its outcome") {
    future<int> returned = make(state::returned).f;  // the promises are gone
    future<int> cancelled = make(state::cancelled).f;
    REQUIRE(returned.result() == 42);
    REQUIRE(cancelled.cancelled());
  }
}

TEST_CASE("copies of a future are the same future", "[future][identity]") {
  promise<int> p1, p2;
  auto a = p1.get_future();
  auto a_copy = a;
  auto a_again = p1.get_future();
  auto b = p2.get_future();
  REQUIRE(a == a_copy);
  REQUIRE(a == a_again);
  REQUIRE(a != b);
  std::hash<future<int>> hash;
  REQUIRE(hash(a) == hash(a_copy));
  REQUIRE(hash(a) == hash(a_again));

  std::unordered_map<future<int>, std::string> names{{a, "a"}, {b, "b"}};
  REQUIRE(names.size() == 2);
  p1.set_result(3);  // completing must not move the key
  REQUIRE(a_copy.done());
  REQUIRE(names.at(a_again) == "a");
  REQUIRE(names.at(b) == "b");

  future<int> empty;  // "every other call throws"
  REQUIRE_FALSE(empty.valid());
  REQUIRE_THROWS_AS(empty.done(), invalid_state_error);
  REQUIRE_THROWS_AS(empty.cancel(), invalid_state_error);
  REQUIRE_THROWS_AS(empty.result(), invalid_state_error);
  REQUIRE_THROWS_AS(empty.add_done_callback([](future<int>) {}), invalid_state_error);
}

TEST_CASE("operator<< prints the state like Python's repr", "[future][repr]") {
  using Catch::Matchers::Matches;
  REQUIRE_THAT(repr(make(state::pending).f), Matches("<future at 0x[0-9a-f]+ state=pending>"));
  REQUIRE_THAT(repr(make(state::running).f), Matches("<future at 0x[0-9a-f]+ state=running>"));
  REQUIRE_THAT(repr(make(state::cancelled).f), Matches("<future at 0x[0-9a-f]+ state=cancelled>"));
  REQUIRE_THAT(repr(make(state::cancelled_and_notified).f), Matches("<future at 0x[0-9a-f]+ state=cancelled>"));
  REQUIRE_THAT(repr(make(state::raised).f), Matches("<future at 0x[0-9a-f]+ state=finished raised .*io_failure>"));
  REQUIRE_THAT(repr(make(state::returned).f), Matches("<future at 0x[0-9a-f]+ state=finished returned int>"));
}

TEST_CASE("a future of a move-only type hands out a const reference", "[future][types]") {
  using ptr = std::unique_ptr<int>;
  static_assert(std::is_same_v<future<ptr>::result_type, const ptr&>);
  static_assert(std::is_same_v<future<int>::result_type, int>);  // copyable: a copy
  promise<ptr> p;
  auto f = p.get_future();
  p.set_result(std::make_unique<int>(7));
  const ptr& first = f.result();
  const ptr& second = f.result(0s);
  REQUIRE(*first == 7);
  REQUIRE(&first == &second);  // the stored value, not a copy
}

TEST_CASE("future<void> completes without a value", "[future][types]") {
  promise<void> p;
  auto f = p.get_future();
  REQUIRE_THROWS_AS(f.result(0s), timeout_error);
  p.set_result();
  REQUIRE_NOTHROW(f.result());
  REQUIRE(f.exception() == nullptr);
  REQUIRE_THROWS_AS(p.set_result(), invalid_state_error);
}

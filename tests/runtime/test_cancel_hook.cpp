// A promise's cancel hook: what an Asio operation or a spawned coroutine sets
// so that cancelling its future stops the work. Kept apart from the Future
// state machine (test_future.cpp), which ports CPython's test_future.py.
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::future;
using cofutures::promise;

TEST_CASE("a promise's cancel hook runs once on cancel, beside any number of done-callbacks",
          "[future][cancel][callback]") {
  promise<int> p;
  auto f = p.get_future();
  std::vector<std::string> events;
  f.add_done_callback([&](future<int>) { events.push_back("callback 0"); });
  p.set_cancel_hook([&] { events.push_back("hook"); });
  for (int i = 1; i < 4; ++i) f.add_done_callback([&, i](future<int>) { events.push_back("callback " + std::to_string(i)); });
  REQUIRE(f.cancel());
  REQUIRE(events == std::vector<std::string>{"hook", "callback 0", "callback 1", "callback 2", "callback 3"});
  REQUIRE(f.cancel());  // already cancelled: nothing runs again
  REQUIRE(events.size() == 5);
}

TEST_CASE("a cancel hook set after cancel runs at once; a completed future drops its hook unrun",
          "[future][cancel]") {
  SECTION("set after cancel") {
    promise<int> p;
    auto f = p.get_future();
    REQUIRE(f.cancel());
    int runs = 0;
    p.set_cancel_hook([&] { ++runs; });
    REQUIRE(runs == 1);
  }
  SECTION("completed with callbacks: the hook and what it holds go, unrun") {
    promise<int> p;
    auto f = p.get_future();
    auto held = std::make_shared<int>(0);
    std::weak_ptr<int> watch = held;
    int runs = 0;
    p.set_cancel_hook([&runs, held = std::move(held)] { ++runs; });
    int callbacks = 0;
    for (int i = 0; i < 2; ++i) f.add_done_callback([&](future<int>) { ++callbacks; });
    p.set_result(1);
    REQUIRE(callbacks == 2);
    REQUIRE(watch.expired());  // released at completion, not when the future goes
    REQUIRE_FALSE(f.cancel());
    REQUIRE(runs == 0);
  }
}

// The spin before a blocking wait parks (detail/adaptive_spin.hpp): a
// thread that waits on long tasks stops spinning, one whose results come
// back quickly keeps doing so, one whose results come just after the spin
// keeps its budget, and timed polls do not count either way.
#include <cofutures/detail/adaptive_spin.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::detail::adaptive_spin;

TEST_CASE("the spin budget halves on each miss, down to none, and a catch restores it", "[spin]") {
  adaptive_spin spin;
  REQUIRE(spin.next() == adaptive_spin::max_budget);
  std::vector<adaptive_spin::duration> seen;
  for (int i = 0; i < 6; ++i) {
    spin.missed();
    seen.push_back(spin.budget());
  }
  REQUIRE(seen == std::vector<adaptive_spin::duration>{100us, 50us, 25us, 12us, 0us, 0us});
  spin.caught();
  REQUIRE(spin.next() == adaptive_spin::max_budget);
}

TEST_CASE("a wait that ends soon after the spin ran out keeps the budget; a long one halves it", "[spin]") {
  adaptive_spin spin;
  // Within wake_allowance of the spin's end: the spinner may have kept the
  // answering worker off its core.
  const auto max = adaptive_spin::max_budget;
  spin.waited(max + adaptive_spin::wake_allowance, max, true);
  REQUIRE(spin.budget() == max);
  spin.waited(max + adaptive_spin::wake_allowance + 1us, max, true);
  REQUIRE(spin.budget() == 100us);
  spin.waited(5ms, 100us, true);
  REQUIRE(spin.budget() == 50us);
  spin.waited(2ms, 50us, false);  // a timeout far past the spin counts too
  REQUIRE(spin.budget() == 25us);
}

TEST_CASE("a result that came within the full budget restores it, even after no spin", "[spin]") {
  adaptive_spin spin;
  while (spin.budget().count() > 0) spin.missed();
  spin.waited(40us, 0us, false);  // a timeout says nothing about when the result comes
  REQUIRE(spin.next() == 0us);
  spin.waited(150us, 0us, true);  // a spin would have caught it
  REQUIRE(spin.next() == adaptive_spin::max_budget);
  spin.missed();
  spin.waited(adaptive_spin::max_budget, 100us, true);
  REQUIRE(spin.next() == adaptive_spin::max_budget);
}

TEST_CASE("blocking waits that outlast the spin wear the thread's budget down; polls leave it alone",
          "[spin][thread]") {
  if (std::thread::hardware_concurrency() < 2) {
    WARN("one CPU: waits never spin");
    return;
  }
  // A fresh thread, so the budget starts full whatever ran on this one.
  std::vector<adaptive_spin::duration> budgets;
  std::thread waiter([&] {
    cofutures::promise<int> p;  // never completed: every wait times out
    auto f = p.get_future();
    auto& spin = cofutures::detail::this_thread_wait_spin();
    budgets.push_back(spin.budget());
    for (int i = 0; i < 3; ++i) {
      try {
        (void)f.result(0s);  // a poll
      } catch (const cofutures::timeout_error&) {
      }
    }
    budgets.push_back(spin.budget());
    for (int i = 0; i < 5; ++i) {
      try {
        (void)f.result(2ms);  // far longer than any spin
      } catch (const cofutures::timeout_error&) {
      }
      budgets.push_back(spin.budget());
    }
  });
  waiter.join();
  REQUIRE(budgets == std::vector<adaptive_spin::duration>{200us, 200us, 100us, 50us, 25us, 12us, 0us});
}

TEST_CASE("a thread blocked in result() still gets the value once the spin has stopped", "[spin][thread]") {
  cofutures::promise<int> p;
  auto f = p.get_future();
  int got = 0;
  std::thread waiter([&] {
    auto& spin = cofutures::detail::this_thread_wait_spin();
    while (spin.budget().count() > 0) spin.missed();  // parks at once
    got = f.result();
  });
  p.set_result(7);  // before or after the waiter parks: either way it wakes
  waiter.join();
  REQUIRE(got == 7);
}

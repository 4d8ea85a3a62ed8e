// The memory a process worker takes its tasks from and sleeps on
// (executors/src/detail/worker_bells.hpp): the manager rings a worker after
// putting records in its ring, and wakes every ringing sleeper with one
// call. Here the "workers" are threads of this process with their own
// mapping of the memory, as a worker process has.
#include "detail/worker_bells.hpp"

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::detail::task_ring;
using cofutures::detail::worker_bell;
using cofutures::detail::worker_bells;

namespace {

constexpr auto hang_guard = 5s;  // a failure must not hang the suite

// A worker's wait() on its own thread; ready once it returns.
std::future<void> wait_on_thread(const worker_bells& bells, int slot) {
  return std::async(std::launch::async, [fd = bells.fd(), slot] {
    worker_bell bell(fd, slot);
    bell.wait();
  });
}

// Until the worker in `slot` has announced its sleep (false: the guard ran out).
bool until_asleep(const worker_bells& bells, int slot) {
  auto give_up = std::chrono::steady_clock::now() + hang_guard;
  while (!bells.asleep(slot)) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace

TEST_CASE("a worker rung while it was busy finds the bell at once, then sleeps until the next", "[worker_bells]") {
  worker_bells bells(4);
  int slot = bells.acquire();
  CHECK_FALSE(bells.ring(slot));  // nobody asleep: no wake to arrange
  auto first = wait_on_thread(bells, slot);
  REQUIRE(first.wait_for(hang_guard) == std::future_status::ready);

  // Answered: the next wait sleeps, and ringing it asks for a wake.
  auto second = wait_on_thread(bells, slot);
  REQUIRE(until_asleep(bells, slot));
  CHECK(bells.ring(slot));
  bells.wake_sleepers();
  REQUIRE(second.wait_for(hang_guard) == std::future_status::ready);
  CHECK_FALSE(bells.asleep(slot));
}

TEST_CASE("one wake_sleepers wakes every rung sleeper, and only them", "[worker_bells]") {
  worker_bells bells(8);
  std::vector<int> slots;
  std::vector<std::future<void>> waits;
  for (int i = 0; i < 4; ++i) {
    slots.push_back(bells.acquire());
    waits.push_back(wait_on_thread(bells, slots.back()));
  }
  for (int s : slots) REQUIRE(until_asleep(bells, s));
  // Three rung: the first ring asks for the wake, the others join it.
  CHECK(bells.ring(slots[0]));
  CHECK_FALSE(bells.ring(slots[1]));
  CHECK_FALSE(bells.ring(slots[2]));
  bells.wake_sleepers();
  for (int i = 0; i < 3; ++i) REQUIRE(waits[i].wait_for(hang_guard) == std::future_status::ready);
  // The fourth was not rung: woken or not, it goes back to sleep.
  REQUIRE(until_asleep(bells, slots[3]));
  CHECK(waits[3].wait_for(0s) == std::future_status::timeout);
  CHECK(bells.ring(slots[3]));
  bells.wake_sleepers();
  REQUIRE(waits[3].wait_for(hang_guard) == std::future_status::ready);
}

TEST_CASE("workers whose slots share a futex bit are each woken only by their own ring", "[worker_bells]") {
  worker_bells bells(40);
  std::vector<int> slots;
  for (int i = 0; i < 40; ++i) slots.push_back(bells.acquire());
  // Slots 32 apart share a bit of the futex bitset.
  int a = slots[0];
  int b = -1;
  for (int s : slots) {
    if (s != a && s % 32 == a % 32) b = s;
  }
  REQUIRE(b >= 0);
  auto wait_a = wait_on_thread(bells, a);
  auto wait_b = wait_on_thread(bells, b);
  REQUIRE(until_asleep(bells, a));
  REQUIRE(until_asleep(bells, b));
  CHECK(bells.ring(b));
  bells.wake_sleepers();
  REQUIRE(wait_b.wait_for(hang_guard) == std::future_status::ready);
  REQUIRE(until_asleep(bells, a));  // woken too, perhaps, and asleep again
  CHECK(wait_a.wait_for(0s) == std::future_status::timeout);
  CHECK(bells.ring(a));
  bells.wake_sleepers();
  REQUIRE(wait_a.wait_for(hang_guard) == std::future_status::ready);
}

TEST_CASE("slots run out with a clear error, and a freed slot is used again first", "[worker_bells]") {
  worker_bells bells(3);
  int a = bells.acquire();
  int b = bells.acquire();
  int c = bells.acquire();
  CHECK(a != b);
  CHECK(b != c);
  CHECK(a != c);
  CHECK_THROWS_WITH(bells.acquire(), Catch::Contains("no free slot"));
  bells.release(b);
  CHECK(bells.acquire() == b);  // the pages of the slots never used stay untouched
}

TEST_CASE("a reused slot starts with an empty ring and a quiet bell", "[worker_bells]") {
  worker_bells bells(1);
  int slot = bells.acquire();
  REQUIRE(bells.ring_of(slot).put(task_ring::kind::frame, 3, {"abc"}));
  bells.ring(slot);
  bells.release(slot);  // its worker reaped with a record left
  REQUIRE(bells.acquire() == slot);
  worker_bell bell(bells.fd(), slot);
  CHECK_FALSE(bell.ring().front().has_value());
  auto wait = wait_on_thread(bells, slot);
  REQUIRE(until_asleep(bells, slot));  // the old ring was not answered for it
  CHECK(wait.wait_for(0s) == std::future_status::timeout);
  bells.close(slot);
  REQUIRE(wait.wait_for(hang_guard) == std::future_status::ready);
}

TEST_CASE("a closed worker wakes, and its every later wait returns", "[worker_bells]") {
  worker_bells bells(2);
  int slot = bells.acquire();
  worker_bell bell(bells.fd(), slot);
  CHECK_FALSE(bell.closed());
  auto wait = wait_on_thread(bells, slot);
  REQUIRE(until_asleep(bells, slot));
  bells.close(slot);  // wakes it without a separate wake_sleepers
  REQUIRE(wait.wait_for(hang_guard) == std::future_status::ready);
  bell.wait();  // closed: no sleep, ever again
  CHECK(bell.closed());
  bell.wait();
  CHECK(bell.closed());
}

TEST_CASE("a worker told a slot outside the memory refuses it", "[worker_bells]") {
  worker_bells bells(2);
  CHECK_THROWS_WITH(worker_bell(bells.fd(), 2), Catch::Contains("slot 2 is not in the memory"));
  CHECK_THROWS_WITH(worker_bell(bells.fd(), -1), Catch::Contains("slot -1 is not in the memory"));
  CHECK_NOTHROW(worker_bell(bells.fd(), 1));
}

TEST_CASE("a lane reply written in a worker's slot is read whole by the parent, only for its task", "[worker_bells]") {
  worker_bells bells(4);
  int slot = bells.acquire();
  worker_bell bell(bells.fd(), slot);
  auto& mine = bell.lane();  // the worker's mapping
  auto& theirs = bells.lane_reply_of(slot);  // the parent's
  CHECK_FALSE(theirs.has(0));
  REQUIRE(mine.publish(7, "frame:", "payload"));
  CHECK(theirs.has(7));
  CHECK_FALSE(theirs.has(6));
  CHECK(theirs.copy_out() == std::optional<std::string>("frame:payload"));
  // A reply over the slot is refused whole: the task 7's reply stays.
  std::string large(cofutures::detail::lane_reply::capacity, 'x');
  CHECK_FALSE(mine.publish(8, "f", large));
  CHECK(theirs.has(7));
  CHECK(mine.publish(8, "", large));  // exactly the capacity fits
  CHECK(theirs.copy_out()->size() == large.size());
  // A freed and reused slot starts with no reply.
  bells.release(slot);
  REQUIRE(bells.acquire() == slot);
  CHECK_FALSE(theirs.has(8));
}

TEST_CASE("a worker sees the parent's threads watching for lane replies", "[worker_bells]") {
  worker_bells bells(2);
  int slot = bells.acquire();
  worker_bell bell(bells.fd(), slot);
  CHECK_FALSE(bell.parent_watching());
  bells.watching().fetch_add(1);
  CHECK(bell.parent_watching());
  bells.watching().fetch_sub(1);
  CHECK_FALSE(bell.parent_watching());
}

TEST_CASE("ring_now wakes its sleeping worker by itself, and costs nothing to an awake one", "[worker_bells]") {
  worker_bells bells(4);
  int slot = bells.acquire();
  auto woken = wait_on_thread(bells, slot);
  REQUIRE(until_asleep(bells, slot));
  bells.ring_now(slot);  // no wake_sleepers() after it
  CHECK(woken.wait_for(hang_guard) == std::future_status::ready);
  // Rung while awake: the next wait returns at once.
  bells.ring_now(slot);
  worker_bell bell(bells.fd(), slot);
  auto again = std::async(std::launch::async, [&] { bell.wait(); });
  CHECK(again.wait_for(hang_guard) == std::future_status::ready);
}

// How many tasks the process pool sends a busy worker ahead
// (executors/src/detail/worker_pace.hpp): three for tasks of any length,
// which is all a shutdown with cancel_futures must wait for; fifteen once
// the worker is seen to run tasks in microseconds; back to three when its
// tasks get long. Only gaps the worker spent working count.
#include "detail/worker_pace.hpp"

#include <chrono>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::detail::worker_pace;

namespace {

// n replies `gap` apart from `t`, each with another task queued behind it or not.
worker_pace::clock::time_point replies(worker_pace& pace, worker_pace::clock::time_point t, int n,
                                       worker_pace::clock::duration gap, bool more_queued) {
  for (int i = 0; i < n; ++i) {
    t += gap;
    pace.replied(t, more_queued);
  }
  return t;
}

}  // namespace

TEST_CASE("a worker not yet measured may hold four tasks: one running, three waiting", "[process_pace]") {
  worker_pace pace;
  REQUIRE(pace.max_in_channel() == 4);
  pace.replied(worker_pace::clock::now(), true);  // one reply measures nothing
  REQUIRE(pace.max_in_channel() == 4);
}

TEST_CASE("a worker that runs task after task in microseconds may hold sixteen", "[process_pace]") {
  worker_pace pace;
  replies(pace, worker_pace::clock::now(), 40, 5us, true);
  REQUIRE(pace.task_time() < worker_pace::short_task);
  REQUIRE(pace.max_in_channel() == 16);
}

TEST_CASE("gaps that include idle time do not count as quick tasks", "[process_pace]") {
  worker_pace pace;
  // Quick replies, but never with a task waiting behind: the worker was idle
  // between them, so the gaps say nothing about its tasks.
  replies(pace, worker_pace::clock::now(), 40, 5us, false);
  REQUIRE(pace.max_in_channel() == 4);
}

TEST_CASE("a worker whose tasks turn long goes back to four within a few replies", "[process_pace]") {
  worker_pace pace;
  auto t = replies(pace, worker_pace::clock::now(), 40, 5us, true);
  REQUIRE(pace.max_in_channel() == 16);
  replies(pace, t, 3, 2ms, true);
  REQUIRE(pace.max_in_channel() == 4);
}

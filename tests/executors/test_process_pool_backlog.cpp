// A process pool with a backlog: the manager sends a busy worker more tasks
// ahead of time (Python's call queue), which must not cost the guarantees a
// user relies on: a few tasks behind a blocked worker go to a free one,
// shutdown(cancel_futures) cancels all but those few, a crash fails every
// task a worker was sent, and max_tasks_per_child still recycles exactly.

#include <cofutures/process_pool_executor.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/process_pool_options.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/worker_fifo.hpp"

using namespace std::chrono_literals;
using cofutures::broken_process_pool;
using cofutures::future;
using cofutures::process_pool_executor;
using cofutures::process_pool_options;
using Catch::Matchers::Contains;
using worker_fifo_tasks::report_then_wait;

namespace backlog_tasks {

int current_pid() { return static_cast<int>(::getpid()); }
int twice(int x) { return 2 * x; }

}  // namespace backlog_tasks

using namespace backlog_tasks;

namespace {

constexpr auto hang_guard = 5s;  // a failure must not hang the suite
constexpr int max_sent_ahead = 3;  // tasks waiting in one worker's channel at most

// A pool whose first worker is held by report_then_wait until go.release(),
// or until the test ends, however it ends (release runs before the pool's
// destructor waits).
struct blocked_pool {
  explicit blocked_pool(long workers)
      : pool(workers),
        blocked(pool.submit<&report_then_wait>(ready.path(), go.path())),
        pid(ready.wait_pid(hang_guard)) {}

  worker_fifo::fifo ready{"backlog"}, go{"backlog"};
  process_pool_executor pool;
  worker_fifo::release_at_exit release{go, 1};
  future<int> blocked;
  pid_t pid;  // of the blocked worker, -1 if it never ran
};

}  // namespace

TEST_CASE("tasks submitted behind a blocked worker run on the free one", "[process_backlog]") {
  blocked_pool p(2);
  REQUIRE(p.pid > 0);
  // Not a backlog worth sending ahead: none may wait behind the blocked task.
  std::vector<future<int>> quick;
  for (int i = 0; i < 6; ++i) quick.push_back(p.pool.submit<&current_pid>());
  for (auto& f : quick) CHECK(f.result(hang_guard) != p.pid);
  p.go.release(1);
  CHECK(p.blocked.result(hang_guard) == p.pid);
}

TEST_CASE("shutdown with cancel_futures cancels a backlog except the tasks sent ahead", "[process_backlog]") {
  blocked_pool p(1);
  REQUIRE(p.pid > 0);
  std::vector<future<int>> backlog;
  for (int i = 0; i < 200; ++i) backlog.push_back(p.pool.submit<&twice>(i));
  p.pool.shutdown(false, true);
  p.go.release(1);
  CHECK(p.blocked.result(hang_guard) == p.pid);
  int cancelled = 0;
  for (int i = 0; i < 200; ++i) {
    auto& f = backlog[static_cast<std::size_t>(i)];
    if (f.cancelled()) {
      ++cancelled;
    } else {
      CHECK(f.result(hang_guard) == 2 * i);  // sent ahead: it runs to the end
    }
  }
  CHECK(cancelled >= 200 - max_sent_ahead);
}

TEST_CASE("a worker killed with tasks waiting in its channel fails each of them", "[process_backlog]") {
  blocked_pool p(1);
  REQUIRE(p.pid > 0);
  std::vector<future<int>> backlog;
  for (int i = 0; i < 200; ++i) backlog.push_back(p.pool.submit<&twice>(i));
  REQUIRE(::kill(p.pid, SIGKILL) == 0);
  auto message_of = [](const future<int>& f) -> std::string {
    try {
      (void)f.result(hang_guard);
    } catch (const broken_process_pool& e) {
      return e.what();
    }
    return "no broken_process_pool";
  };
  CHECK_THAT(message_of(p.blocked), Contains("terminated abruptly") && Contains(std::to_string(p.pid)));
  for (auto& f : backlog) CHECK_THAT(message_of(f), Contains("terminated abruptly"));
}

TEST_CASE("max_tasks_per_child recycles after exactly that many tasks in a backlog", "[process_backlog]") {
  process_pool_executor pool(process_pool_options{.max_workers = 1, .max_tasks_per_child = 7});
  std::vector<future<int>> fs;
  for (int i = 0; i < 70; ++i) fs.push_back(pool.submit<&current_pid>());
  std::map<int, int> tasks_per_pid;
  for (auto& f : fs) ++tasks_per_pid[f.result(hang_guard)];
  CHECK(tasks_per_pid.size() == 10);
  for (auto& [pid, n] : tasks_per_pid) CHECK(n == 7);
}

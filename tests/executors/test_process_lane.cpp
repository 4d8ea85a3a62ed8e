// The process pool's lane (executors/src/process_pool_core.cpp): while
// nothing is queued, a submit goes straight to an idle worker, which
// answers in shared memory, and the thread waiting on the future takes the
// answer itself. Whichever way a task goes, its future must behave as any
// other: its own result or exception, however large, with or without a
// waiting thread, and lost with its worker as any task is. A first round
// trip on a pool (warm) leaves its worker lent to the lane: the manager
// lends an idle worker before it completes the future of that worker's
// reply.
#include <cofutures/process_pool_executor.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/future.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::broken_process_pool;
using cofutures::future;
using cofutures::process_pool_executor;
using Catch::Matchers::Contains;

namespace lane_tasks {

int current_pid() { return static_cast<int>(::getpid()); }
int add(int a, int b) { return a + b; }
int even_or_throw(int v) {
  if (v % 2 != 0) throw std::domain_error("odd: " + std::to_string(v));
  return v;
}
std::size_t length_of(std::string s) { return s.size(); }
std::string filled(int n, char c) { return std::string(static_cast<std::size_t>(n), c); }
int value_after_ms(int ms, int v) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return v;
}
int killed() {
  ::kill(::getpid(), SIGKILL);
  return -1;
}

}  // namespace lane_tasks

using namespace lane_tasks;

namespace {

constexpr auto hang_guard = 5s;  // a failure must not hang the suite

// One round trip: the worker is serving, and lent to the lane.
int warm(process_pool_executor& pool) { return pool.submit<&current_pid>().result(hang_guard); }

template <class F>
std::string broken_message_of(const F& f) {
  try {
    (void)f.result(hang_guard);
  } catch (const broken_process_pool& e) {
    return e.what();
  }
  FAIL("the future did not fail with broken_process_pool");
  return {};
}

}  // namespace

TEST_CASE("round trips on an idle pool each get their own result or exception", "[process_lane]") {
  process_pool_executor pool(1);
  const int pid = warm(pool);
  for (int i = 0; i < 2000; ++i) {
    if (i % 5 == 0) {
      CHECK_THROWS_MATCHES(pool.submit<&even_or_throw>(2 * i + 1).result(hang_guard), std::domain_error,
                           Catch::Matchers::Message("odd: " + std::to_string(2 * i + 1)));
    } else {
      REQUIRE(pool.submit<&add>(i, 1).result(hang_guard) == i + 1);
    }
  }
  CHECK(pool.submit<&current_pid>().result(hang_guard) == pid);  // one worker served them all
}

TEST_CASE("a result larger than the shared reply comes whole, and the lane goes on", "[process_lane]") {
  process_pool_executor pool(1);
  warm(pool);
  // Around the reply's capacity (4032 bytes, frame and encoding included) and far over it.
  for (int n : {1, 3900, 4020, 4032, 4100, 100000}) {
    auto s = pool.submit<&filled>(n, 'q').result(hang_guard);
    REQUIRE(s.size() == static_cast<std::size_t>(n));
    CHECK(s == std::string(static_cast<std::size_t>(n), 'q'));
  }
  CHECK(pool.submit<&add>(2, 3).result(hang_guard) == 5);
}

TEST_CASE("a lane task's future completes with no thread waiting on it", "[process_lane]") {
  process_pool_executor pool(1);
  warm(pool);
  // Nobody spins on this future: the worker tells the manager, which completes it.
  auto f = pool.submit<&value_after_ms>(50, 42);
  std::promise<int> seen;
  f.add_done_callback([&](future<int> done) { seen.set_value(done.result()); });
  auto got = seen.get_future();
  REQUIRE(got.wait_for(hang_guard) == std::future_status::ready);
  CHECK(got.get() == 42);
}

TEST_CASE("a lane task awaited on an event loop", "[process_lane]") {
  process_pool_executor pool(1);
  warm(pool);
  auto twice = [&]() -> asio::awaitable<int> {
    int a = co_await pool.submit<&value_after_ms>(20, 20).async_result();
    int b = co_await pool.submit<&add>(a, 2).async_result();
    co_return a + b;
  };
  CHECK(cofutures::run(twice()) == 42);
}

TEST_CASE("a worker killed running a lane task fails it with broken_process_pool, naming the worker",
          "[process_lane]") {
  process_pool_executor pool(1);
  const int pid = warm(pool);
  auto message = broken_message_of(pool.submit<&killed>());
  CHECK_THAT(message, Contains("terminated abruptly") && Contains("(worker process " + std::to_string(pid) + " ") &&
                          Contains("SIGKILL"));
  CHECK_THROWS_AS(pool.submit<&add>(1, 1), broken_process_pool);
}

TEST_CASE("a lent worker killed while idle breaks the pool for the next task", "[process_lane]") {
  process_pool_executor pool(1);
  const int pid = warm(pool);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  // Sent before the pool noticed, the task is lost with the worker; after, submit refuses it.
  bool broken = false;
  try {
    auto f = pool.submit<&add>(1, 2);
    broken = !broken_message_of(f).empty();
  } catch (const broken_process_pool&) {
    broken = true;
  }
  CHECK(broken);
}

TEST_CASE("kill_workers fails the lane's task in flight", "[process_lane]") {
  process_pool_executor pool(1);
  warm(pool);
  auto f = pool.submit<&value_after_ms>(5000, 1);
  pool.kill_workers();
  CHECK_THAT(broken_message_of(f), Contains("terminated abruptly") && Contains("SIGKILL"));
}

TEST_CASE("shutdown waits for the lane's task in flight", "[process_lane]") {
  process_pool_executor pool(1);
  warm(pool);
  auto f = pool.submit<&value_after_ms>(100, 9);
  pool.shutdown(true);
  CHECK(f.done());
  CHECK(f.result() == 9);
}

TEST_CASE("shutdown with cancel_futures spares the lane's running task, cancels the queued ones", "[process_lane]") {
  process_pool_executor pool(1);
  warm(pool);
  auto running = pool.submit<&value_after_ms>(300, 1);  // the lane's
  auto queued = pool.submit<&add>(1, 2);                 // behind it: the manager's queue
  pool.shutdown(true, true);
  CHECK(running.result(hang_guard) == 1);
  CHECK(queued.cancelled());
}

TEST_CASE("a task submitted while the lane's task runs waits its turn, and the lane opens again", "[process_lane]") {
  process_pool_executor pool(1);
  warm(pool);
  auto first = pool.submit<&value_after_ms>(50, 1);
  auto second = pool.submit<&add>(2, 3);
  CHECK(second.result(hang_guard) == 5);
  CHECK(first.result(hang_guard) == 1);
  for (int i = 0; i < 100; ++i) REQUIRE(pool.submit<&add>(i, i).result(hang_guard) == 2 * i);
}

TEST_CASE("threads submitting at once each get their own results", "[process_lane]") {
  process_pool_executor pool(2);
  warm(pool);
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        int a = t * 1000 + i;
        if (pool.submit<&add>(a, 1).result(hang_guard) != a + 1) ++wrong[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("a task too large for the lane, submitted while it is open, runs on the lane's worker", "[process_lane]") {
  // The lane takes frames up to a quarter of the worker's ring (8 KiB); a
  // larger one goes to the manager, which must get the worker back for it.
  process_pool_executor pool(1);
  const int pid = warm(pool);
  std::string large(64 * 1024, 'a');
  CHECK(pool.submit<&length_of>(large).result(hang_guard) == large.size());
  CHECK(pool.submit<&current_pid>().result(hang_guard) == pid);
  CHECK(pool.submit<&add>(1, 2).result(hang_guard) == 3);  // and the lane opens again
}

TEST_CASE("a lane task's done-callback may submit to the pool", "[process_lane]") {
  // The thread that takes the reply completes the future, callbacks and
  // all, with none of the pool's locks held.
  process_pool_executor pool(1);
  warm(pool);
  std::promise<future<int>> inner;
  auto f = pool.submit<&add>(1, 1);
  f.add_done_callback([&](future<int> done) { inner.set_value(pool.submit<&add>(done.result(), 40)); });
  CHECK(f.result(hang_guard) == 2);
  auto next = inner.get_future();
  REQUIRE(next.wait_for(hang_guard) == std::future_status::ready);
  CHECK(next.get().result(hang_guard) == 42);
}

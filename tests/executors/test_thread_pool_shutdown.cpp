#include <cofutures/thread_pool_executor.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::future;
using cofutures::invalid_state_error;
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

// A thread_local's destructor runs when its thread exits: counting them
// tells which pool threads are gone.
struct exit_counter {
  std::atomic<int>* exited = nullptr;
  ~exit_counter() {
    if (exited) exited->fetch_add(1);
  }
};
thread_local exit_counter t_exit;

}  // namespace

TEST_CASE("submit and map after shutdown throw invalid_state_error", "[shutdown]") {
  bool wait = GENERATE(true, false);
  std::atomic<int> calls{0};
  thread_pool_executor pool(2);
  REQUIRE(pool.submit([] { return 1; }).result() == 1);
  pool.shutdown(wait);

  auto work = [&calls](int x) { return calls += x; };
  REQUIRE_THROWS_AS(pool.submit(work, 1), invalid_state_error);
  REQUIRE_THROWS_WITH(pool.submit(work, 1), Catch::Contains("shutdown"));
  REQUIRE_THROWS_AS(pool.map(work, std::vector{1, 2}), invalid_state_error);
  pool.shutdown(true);
  REQUIRE(calls == 0);
}

TEST_CASE("the destructor waits for running and queued tasks", "[shutdown]") {
  constexpr int n = 20;
  std::atomic<int> done{0};
  {
    thread_pool_executor pool(2);
    gate g;  // opened just before ~pool: most tasks are still queued then
    for (int i = 0; i < n; ++i) {
      pool.submit([&done, wait = g.waiter()] {
        wait();
        ++done;
      });
    }
  }
  REQUIRE(done == n);
}

TEST_CASE("after shutdown(wait=true) every future is done", "[shutdown]") {
  // CPython test_hang_issue12364.
  thread_pool_executor pool(5);
  std::vector<future<int>> fs;
  for (int i = 0; i < 50; ++i) fs.push_back(pool.submit([i] { return i; }));
  pool.shutdown();
  for (int i = 0; i < 50; ++i) {
    REQUIRE(fs[i].done());
    REQUIRE(fs[i].result() == i);
  }
}

TEST_CASE("shutdown(wait=true) ends the worker threads", "[shutdown]") {
  // CPython test_threads_terminate.
  std::atomic<int> exited{0};
  std::latch all_started(3);
  thread_pool_executor pool(3);
  gate g;
  for (int i = 0; i < 3; ++i) {
    pool.submit([&, wait = g.waiter()] {
      t_exit.exited = &exited;
      all_started.count_down();
      wait();
    });
  }
  all_started.wait();
  REQUIRE(pool.thread_count() == 3);
  REQUIRE(exited == 0);
  g.open();
  pool.shutdown(true);
  REQUIRE(exited == 3);
}

TEST_CASE("shutdown(wait=false) returns at once, and running and queued work still completes", "[shutdown]") {
  std::latch started(1);
  thread_pool_executor pool(1);
  gate g;
  auto running = pool.submit([&started, wait = g.waiter()] {
    started.count_down();
    wait();
    return 1;
  });
  auto queued = pool.submit([] { return 2; });
  started.wait();

  pool.shutdown(false);  // would hang here if it waited
  REQUIRE_FALSE(running.done());
  REQUIRE_FALSE(queued.done());
  REQUIRE_THROWS_AS(pool.submit([] {}), invalid_state_error);

  g.open();
  REQUIRE(running.result() == 1);
  REQUIRE(queued.result() == 2);
}

TEST_CASE("shutdown with cancel_futures cancels the queue, and the running task completes", "[shutdown]") {
  // CPython test_cancel_futures, made exact by holding the only worker.
  bool wait = GENERATE(true, false);
  CAPTURE(wait);
  std::latch started(1);
  std::atomic<int> queued_runs{0};
  thread_pool_executor pool(1);
  gate g;
  auto running = pool.submit([&started, wait_gate = g.waiter()] {
    started.count_down();
    wait_gate();
    return 1;
  });
  std::vector<future<int>> queued;
  for (int i = 0; i < 10; ++i) queued.push_back(pool.submit([&queued_runs] { return ++queued_runs; }));
  started.wait();
  // Release the running task only once shutdown cancelled the queue, so
  // the queue is still full when shutdown looks at it. An unbound future's
  // callback runs on the thread that cancels it: this one, inside shutdown.
  queued.front().add_done_callback([&g](future<int>) { g.open(); });

  pool.shutdown(wait, true);
  for (auto& f : queued) {
    REQUIRE(f.cancelled());
    REQUIRE_THROWS_AS(f.result(), cofutures::cancelled_error);
  }
  REQUIRE(running.result() == 1);
  REQUIRE_FALSE(running.cancelled());
  pool.shutdown(true);  // every thread gone: a cancelled task that ran would show
  REQUIRE(queued_runs == 0);
}

TEST_CASE("submit, cancel, then shutdown(wait=true) does not hang", "[shutdown]") {
  // CPython test_hang_gh94440.
  thread_pool_executor pool(1);
  pool.submit([] {}).result();
  auto f = pool.submit([] { return 0; });
  f.cancel();  // may lose the race with the worker: either way it ends done
  pool.shutdown(true);
  REQUIRE(f.done());
}

TEST_CASE("shutdown may be called again, with any arguments, from any thread", "[shutdown]") {
  thread_pool_executor pool(2);
  auto f = pool.submit([] { return 7; });

  SECTION("one after the other") {
    pool.shutdown();
    pool.shutdown();
    pool.shutdown(false);
    pool.shutdown(true, true);
  }
  SECTION("from two threads at once") {
    std::thread other([&pool] { pool.shutdown(); });
    pool.shutdown();
    other.join();
  }
  REQUIRE(f.done());
  REQUIRE(f.result() == 7);
  REQUIRE_THROWS_AS(pool.submit([] {}), invalid_state_error);
}

TEST_CASE("a task may shut down its own pool", "[shutdown]") {
  bool wait = GENERATE(false, true);
  CAPTURE(wait);
  std::latch started(1);
  thread_pool_executor pool(1);
  gate g;
  auto self_stop = pool.submit([&pool, &started, wait, wait_gate = g.waiter()] {
    started.count_down();
    wait_gate();
    pool.shutdown(wait);  // waiting for its own thread must not deadlock
    return 1;
  });
  auto queued = pool.submit([] { return 2; });
  started.wait();
  g.open();

  REQUIRE(self_stop.result() == 1);
  REQUIRE(queued.result() == 2);  // no cancel_futures: the queue still runs
  REQUIRE_THROWS_AS(pool.submit([] {}), invalid_state_error);
}

TEST_CASE("done-callbacks run for tasks that finish after shutdown(wait=false)", "[shutdown]") {
  std::promise<int> seen_by_callback;
  auto seen = seen_by_callback.get_future();
  thread_pool_executor pool(1);
  gate g;
  auto f = pool.submit([wait = g.waiter()] {
    wait();
    return 5;
  });
  f.add_done_callback([&seen_by_callback](future<int> done) { seen_by_callback.set_value(done.result()); });

  pool.shutdown(false);
  REQUIRE_FALSE(f.done());
  g.open();
  REQUIRE(seen.get() == 5);
}

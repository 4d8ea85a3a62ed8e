#include <cofutures/thread_pool_executor.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/thread_name.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::broken_thread_pool;
using cofutures::future;
using cofutures::thread_pool_executor;
using cofutures::thread_pool_options;

namespace {

// Holds pool work until the test opens it. Work captures waiter(), which
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

// What the initializers did, recorded on the pool threads.
struct init_log {
  std::mutex mutex;
  std::map<std::thread::id, int> calls_per_thread;
  std::vector<std::string> thread_names;
};

thread_local bool t_initialized = false;  // set by the initializer on its own thread

struct task_view {
  bool initialized;
  std::thread::id thread;
};

task_view look_around() { return {t_initialized, std::this_thread::get_id()}; }

}  // namespace

TEST_CASE("the initializer runs once on each worker thread, before its tasks", "[init]") {
  constexpr int workers = 3;
  init_log log;
  std::latch all_started(workers);
  thread_pool_executor pool(thread_pool_options{
      .max_workers = workers,
      .thread_name_prefix = "init",
      .initializer =
          [&log] {
            std::lock_guard lock(log.mutex);
            ++log.calls_per_thread[std::this_thread::get_id()];
            log.thread_names.push_back(cofutures::current_thread_name());
            t_initialized = true;
          },
  });
  gate g;
  std::vector<future<task_view>> fs;
  // Saturate the pool so that every worker starts.
  for (int i = 0; i < workers; ++i) {
    fs.push_back(pool.submit([&all_started, wait = g.waiter()] {
      all_started.count_down();
      wait();
      return look_around();
    }));
  }
  all_started.wait();
  g.open();
  for (int i = 0; i < 20; ++i) fs.push_back(pool.submit(look_around));
  pool.shutdown(true);

  REQUIRE(log.calls_per_thread.size() == workers);
  for (const auto& [thread, calls] : log.calls_per_thread) REQUIRE(calls == 1);
  for (auto& f : fs) {
    auto seen = f.result();
    REQUIRE(seen.initialized);
    REQUIRE(log.calls_per_thread.count(seen.thread) == 1);
  }
  // The initializer already runs under the worker's name.
  std::sort(log.thread_names.begin(), log.thread_names.end());
  REQUIRE(log.thread_names == std::vector<std::string>{"init_0", "init_1", "init_2"});
}

TEST_CASE("no initializer runs before work arrives", "[init]") {
  std::atomic<int> calls{0};
  auto options = [&calls] { return thread_pool_options{.max_workers = 4, .initializer = [&calls] { ++calls; }}; };
  {
    thread_pool_executor pool(options());
    REQUIRE(pool.thread_count() == 0);
    pool.shutdown(true);
    REQUIRE(calls == 0);
  }
  thread_pool_executor pool(options());
  pool.submit([] {}).result();
  REQUIRE(calls == 1);
}

TEST_CASE("a failing initializer breaks the pool", "[init]") {
  // CPython FailingInitializerMixin. The pool reports the failure on
  // stderr too: expected in this test's output.
  auto failing = [] { throw std::runtime_error("error in initializer"); };
  std::atomic<int> task_runs{0};
  thread_pool_executor pool(thread_pool_options{.max_workers = 1, .initializer = failing});

  // No thread has started yet, so the first submit cannot see a broken pool.
  auto f = pool.submit([&task_runs] { return ++task_runs; });
  REQUIRE_THROWS_AS(f.result(), broken_thread_pool);
  REQUIRE_THROWS_WITH(f.result(), Catch::Contains("initializer") && Catch::Contains("error in initializer"));
  REQUIRE_THROWS_AS(f.result(), cofutures::broken_executor);

  // f failed only once the pool was marked broken: later submits must see it.
  REQUIRE_THROWS_AS(pool.submit([&task_runs] { return ++task_runs; }), broken_thread_pool);
  REQUIRE_THROWS_WITH(pool.submit([] {}), Catch::Contains("initializer"));
  pool.shutdown(true);
  REQUIRE(task_runs == 0);
}

TEST_CASE("a failing initializer fails every queued future", "[init]") {
  std::atomic<int> task_runs{0};
  std::optional<thread_pool_executor> pool;
  gate g;  // holds both initializers until the queue is filled
  pool.emplace(thread_pool_options{
      .max_workers = 2,
      .initializer =
          [wait = g.waiter()] {
            wait();
            throw std::runtime_error("error in initializer");
          },
  });
  std::vector<future<int>> queued;
  for (int i = 0; i < 5; ++i) queued.push_back(pool->submit([&task_runs] { return ++task_runs; }));
  REQUIRE(pool->thread_count() == 2);
  g.open();

  for (auto& f : queued) {
    REQUIRE_THROWS_AS(f.result(), broken_thread_pool);
    REQUIRE_THROWS_WITH(f.result(), Catch::Contains("initializer failed"));
  }
  REQUIRE_THROWS_AS(pool->submit([] {}), broken_thread_pool);
  pool->shutdown(true);
  REQUIRE(task_runs == 0);
}

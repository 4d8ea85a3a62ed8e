#include <cofutures/thread_pool_executor.hpp>

#include <cofutures/any_future.hpp>  // event_loop.hpp uses any_future without including it
#include <cofutures/errors.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/future.hpp>
#include <cofutures/thread_name.hpp>

#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::future;
using cofutures::thread_pool_executor;
using cofutures::thread_pool_options;

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

int mul(int x, int y) { return x * y; }

struct account {
  int balance = 10;
  int deposit(int amount) { return balance += amount; }
};

struct coded_error : std::exception {
  explicit coded_error(int c) : code(c) {}
  const char* what() const noexcept override { return "coded_error"; }
  int code;
};

struct thread_names {
  std::string full;  // cofutures' own record
  std::string os;    // what the kernel (ps, gdb, top) shows
};

thread_names names_here() {
  char buffer[16] = {};
  pthread_getname_np(pthread_self(), buffer, sizeof buffer);
  return {cofutures::current_thread_name(), buffer};
}

}  // namespace

TEST_CASE("submit runs any callable with its arguments", "[thread_pool]") {
  thread_pool_executor pool(2);

  SECTION("a function, by reference or pointer") {
    REQUIRE(pool.submit(mul, 2, 8).result() == 16);
    REQUIRE(pool.submit(&mul, 6, 7).result() == 42);
  }
  SECTION("a lambda with captures") {
    int base = 100;
    REQUIRE(pool.submit([base](int x) { return base + x; }, 5).result() == 105);
  }
  SECTION("a std::function") {
    std::function<std::string(std::string)> shout = [](std::string s) { return s + "!"; };
    REQUIRE(pool.submit(shout, std::string("hi")).result() == "hi!");
  }
  SECTION("a member function, through a lambda or a member pointer") {
    account acct;
    REQUIRE(pool.submit([&acct] { return acct.deposit(5); }).result() == 15);
    REQUIRE(pool.submit(&account::deposit, &acct, 5).result() == 20);
  }
  SECTION("a callable returning void") {
    std::atomic<int> calls{0};
    future<void> f = pool.submit([&calls] { ++calls; });
    f.result();
    REQUIRE(calls == 1);
  }
}

TEST_CASE("submit moves move-only callables, arguments and results", "[thread_pool]") {
  thread_pool_executor pool(2);
  auto owned = std::make_unique<int>(5);
  REQUIRE(pool.submit([p = std::move(owned)] { return *p; }).result() == 5);
  REQUIRE(pool.submit([](std::unique_ptr<int> p) { return *p * 2; }, std::make_unique<int>(21)).result() == 42);

  future<std::unique_ptr<int>> f = pool.submit([] { return std::make_unique<int>(7); });
  REQUIRE(*f.result() == 7);
}

TEST_CASE("arguments are copied at submit, so the caller's objects may change or die", "[thread_pool]") {
  thread_pool_executor pool(1);
  gate g;
  future<std::string> f;
  {
    std::string text = "original";
    f = pool.submit([wait = g.waiter()](const std::string& s) { wait(); return s; }, text);
    text = "changed";
  }
  g.open();
  REQUIRE(f.result() == "original");
}

TEST_CASE("a task's exception reaches the caller with its type", "[thread_pool]") {
  thread_pool_executor pool(2);

  auto f = pool.submit([]() -> int { throw std::out_of_range("index 7"); });
  REQUIRE_THROWS_MATCHES(f.result(), std::out_of_range, Catch::Message("index 7"));
  REQUIRE(f.done());
  REQUIRE_FALSE(f.cancelled());
  auto e = f.exception();
  REQUIRE(e);
  REQUIRE_THROWS_AS(std::rethrow_exception(e), std::out_of_range);

  // The payload survives, not only the type.
  auto coded = pool.submit([] { throw coded_error(7); });
  int code = 0;
  try {
    coded.result();
  } catch (const coded_error& err) {
    code = err.code;
  }
  REQUIRE(code == 7);

  REQUIRE_THROWS_AS(pool.submit([] { throw 42; }).result(), int);
  REQUIRE(pool.submit([] { return 1; }).exception() == nullptr);
}

TEST_CASE("max_workers defaults to min(32, cores + 4)", "[thread_pool]") {
  // CPython 3.13+ counts the CPUs this process may use (affinity);
  // std::thread::hardware_concurrency counts the online ones.
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  auto expected = std::min<std::size_t>(32, cores + 4);
  REQUIRE(thread_pool_executor().max_workers() == expected);
  REQUIRE(thread_pool_executor(thread_pool_options{.thread_name_prefix = "p"}).max_workers() == expected);
  REQUIRE(thread_pool_executor(3).max_workers() == 3);
}

TEST_CASE("max_workers zero or negative is rejected", "[thread_pool]") {
  auto max_workers = GENERATE(0L, -1L);
  CAPTURE(max_workers);
  REQUIRE_THROWS_AS(thread_pool_executor(max_workers), std::invalid_argument);
  REQUIRE_THROWS_WITH(thread_pool_executor(thread_pool_options{.max_workers = max_workers}),
                      Catch::Contains("max_workers"));
}

TEST_CASE("threads start lazily, one per submit until max_workers", "[thread_pool]") {
  thread_pool_executor pool(4);
  REQUIRE(pool.thread_count() == 0);
  pool.submit([] {}).result();
  REQUIRE(pool.thread_count() == 1);
}

TEST_CASE("an idle thread is reused rather than a new one started", "[thread_pool]") {
  thread_pool_executor pool;
  REQUIRE(pool.submit(mul, 21, 2).result() == 42);
  REQUIRE(pool.submit(mul, 6, 7).result() == 42);
  REQUIRE(pool.submit(mul, 3, 14).result() == 42);
  REQUIRE(pool.thread_count() == 1);
}

TEST_CASE("a saturated pool runs exactly max_workers threads", "[thread_pool]") {
  constexpr int workers = 4;
  std::latch first_wave(workers);
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  thread_pool_executor pool(workers);
  gate g;
  std::vector<future<void>> fs;
  for (int i = 0; i < 2 * workers; ++i) {
    fs.push_back(pool.submit([&, i, wait = g.waiter()] {
      int now = running.fetch_add(1) + 1;
      for (int p = peak.load(); now > p && !peak.compare_exchange_weak(p, now);) {
      }
      // FIFO: the first `workers` tasks are the ones holding the threads.
      if (i < workers) first_wave.count_down();
      wait();
      running.fetch_sub(1);
    }));
  }
  REQUIRE(pool.thread_count() == workers);
  first_wave.wait();
  REQUIRE(pool.thread_count() == workers);
  g.open();
  for (auto& f : fs) f.result();
  REQUIRE(peak == workers);
  REQUIRE(pool.thread_count() == workers);
}

// Right after a round, one worker spins for more work and the other has
// parked: the second task of the next round must wake the parked one, not
// wait for the spinner to finish the first.
TEST_CASE("two tasks submitted together run at the same time, round after round", "[thread_pool]") {
  thread_pool_executor pool(2);
  for (int round = 0; round < 200; ++round) {
    std::mutex m;
    std::condition_variable cv;
    int arrived = 0;
    auto meet = [&] {
      std::unique_lock lock(m);
      ++arrived;
      cv.notify_all();
      // Only a task running alongside the other one sees both arrive.
      return cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return arrived == 2; });
    };
    auto a = pool.submit(meet);
    auto b = pool.submit(meet);
    INFO("round " << round);
    REQUIRE(a.result());
    REQUIRE(b.result());
  }
}

TEST_CASE("thread_name_prefix names the workers <prefix>_<n>", "[thread_pool]") {
  std::latch both_started(2);
  thread_pool_executor pool(thread_pool_options{.max_workers = 2, .thread_name_prefix = "cofutures-download-pool"});
  gate g;
  // Both block until both started, so each runs on its own thread.
  auto task = [&both_started, wait = g.waiter()] {
    both_started.count_down();
    wait();
    return names_here();
  };
  auto a = pool.submit(task);
  auto b = pool.submit(task);
  both_started.wait();
  g.open();
  auto na = a.result();
  auto nb = b.result();
  REQUIRE(std::set<std::string>{na.full, nb.full} ==
          std::set<std::string>{"cofutures-download-pool_0", "cofutures-download-pool_1"});
  // Linux keeps 15 characters of a thread name.
  REQUIRE(na.os == "cofutures-downl");
  REQUIRE(nb.os == "cofutures-downl");
}

TEST_CASE("a short prefix reaches the OS whole", "[thread_pool]") {
  thread_pool_executor pool(thread_pool_options{.thread_name_prefix = "SpecialPool"});
  auto names = pool.submit(names_here).result();
  REQUIRE(names.full == "SpecialPool_0");
  REQUIRE(names.os == "SpecialPool_0");
}

TEST_CASE("the default thread names are ThreadPoolExecutor-<k>_<n>, unique per pool", "[thread_pool]") {
  thread_pool_executor first;
  thread_pool_executor second;
  auto a = first.submit(names_here).result().full;
  auto b = second.submit(names_here).result().full;
  std::regex pattern(R"(ThreadPoolExecutor-\d+_0)");
  CAPTURE(a, b);
  REQUIRE(std::regex_match(a, pattern));
  REQUIRE(std::regex_match(b, pattern));
  REQUIRE(a != b);
}

TEST_CASE("the callable and its arguments die before the future completes", "[thread_pool]") {
  thread_pool_executor pool(1);
  auto captured = std::make_shared<int>(1);
  auto argument = std::make_shared<int>(2);
  std::weak_ptr<int> captured_alive = captured;
  std::weak_ptr<int> argument_alive = argument;
  bool fail = GENERATE(false, true);

  auto f = pool.submit(
      [c = std::move(captured), fail](std::shared_ptr<int> a) {
        if (fail) throw std::runtime_error("task failed");
        return *c + *a;
      },
      std::move(argument));
  if (fail) {
    REQUIRE_THROWS_AS(f.result(), std::runtime_error);
  } else {
    REQUIRE(f.result() == 3);
  }
  REQUIRE(captured_alive.expired());
  REQUIRE(argument_alive.expired());
}

TEST_CASE("the pool keeps no reference to work whose future was dropped", "[thread_pool]") {
  thread_pool_executor pool(1);
  auto object = std::make_shared<int>(7);
  std::weak_ptr<int> alive = object;
  (void)pool.submit([o = std::move(object)] { return *o; });
  // One worker runs tasks in order: this one done means the first is too.
  pool.submit([] {}).result();
  REQUIRE(alive.expired());
}

TEST_CASE("a task may submit to its own pool", "[thread_pool]") {
  SECTION("and return the inner future, even with one worker") {
    thread_pool_executor pool(1);
    auto outer = pool.submit([&pool] { return pool.submit(mul, 6, 7); });
    REQUIRE(outer.result().result() == 42);
  }
  SECTION("and wait for it when another worker is free") {
    thread_pool_executor pool(2);
    auto outer = pool.submit([&pool] { return pool.submit(mul, 6, 7).result() + 1; });
    REQUIRE(outer.result() == 43);
  }
}

TEST_CASE("queued futures can be cancelled, the running one cannot", "[thread_pool]") {
  std::latch started(1);
  std::atomic<int> queued_runs{0};
  thread_pool_executor pool(1);
  gate g;
  auto running = pool.submit([&started, wait = g.waiter()] {
    started.count_down();
    wait();
    return 1;
  });
  auto queued1 = pool.submit([&queued_runs] { return ++queued_runs; });
  auto queued2 = pool.submit([&queued_runs] { return ++queued_runs; });
  started.wait();

  REQUIRE(running.running());
  REQUIRE_FALSE(running.cancel());
  REQUIRE(queued1.cancel());
  REQUIRE(queued2.cancel());
  REQUIRE(queued1.cancel());  // like Python: cancelling again still says cancelled
  REQUIRE(queued1.cancelled());
  REQUIRE(queued1.done());

  g.open();
  REQUIRE(running.result() == 1);
  REQUIRE_FALSE(running.cancelled());
  REQUIRE_THROWS_AS(queued1.result(), cofutures::cancelled_error);
  REQUIRE_THROWS_AS(queued2.result(), cofutures::cancelled_error);
  // One worker, in order: once this runs, the cancelled ones were skipped.
  pool.submit([] {}).result();
  REQUIRE(queued_runs == 0);
}

TEST_CASE("a submit inside a running event_loop binds the future to it", "[thread_pool]") {
  thread_pool_executor pool(1);
  std::thread::id callback_thread;
  int value = 0;
  cofutures::run([&]() -> asio::awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer callback_ran(executor, asio::steady_timer::time_point::max());
    auto f = pool.submit(mul, 6, 7);
    f.add_done_callback([&](future<int> done) {
      callback_thread = std::this_thread::get_id();
      value = done.result();
      // Posted: were the callback (wrongly) on a pool thread, it must not touch the timer.
      asio::post(executor, [&] { callback_ran.cancel(); });
    });
    asio::error_code ignored;
    co_await callback_ran.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }());
  REQUIRE(value == 42);
  REQUIRE(callback_thread == std::this_thread::get_id());  // run() drives the loop on this thread
}

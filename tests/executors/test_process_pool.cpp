#include <cofutures/process_pool_executor.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/future.hpp>
#include <cofutures/process_pool_options.hpp>
#include <cofutures/task_registry.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include <catch2/catch.hpp>

#include "support/worker_fifo.hpp"

using namespace std::chrono_literals;
using cofutures::future;
using cofutures::process_pool_executor;
using cofutures::process_pool_options;
using Catch::Matchers::Contains;
using Catch::Matchers::Message;

// Task functions: registered at static-init time, so every worker (the same
// executable) knows them by name.
namespace pool_tasks {

struct point {
  int x = 0;
  double y = 0;
  std::string label;
  void serialize(auto& archive) { archive(x, y, label); }
  bool operator==(const point&) const = default;
};

// Saving it with `fail` set throws: here for an argument, in the worker
// for a result. Either must fail only its own future.
struct fragile {
  bool fail = false;
  void save(auto& archive) const {
    if (fail) throw std::runtime_error("fragile value");
    archive(fail);
  }
  void load(auto& archive) { archive(fail); }
};

struct custom_failure : std::exception {
  const char* what() const noexcept override { return "custom failure 17"; }
};

int current_pid() { return static_cast<int>(::getpid()); }
int add(int a, int b) { return a + b; }
int forty_two() { return 42; }
double halve(double v) { return v / 2; }
std::string shout(std::string s) { return s + "!"; }
std::vector<int> reversed(std::vector<int> v) { return std::vector<int>(v.rbegin(), v.rend()); }
std::map<std::string, int> count_words(std::vector<std::string> words) {
  std::map<std::string, int> counts;
  for (auto& w : words) ++counts[w];
  return counts;
}
point moved(point p, int dx) { return point{p.x + dx, p.y, p.label + " moved"}; }
void require_positive(int v) {
  if (v <= 0) throw std::domain_error("not positive: " + std::to_string(v));
}
int throw_kind(int kind) {
  switch (kind) {
    case 0: throw std::runtime_error("runtime 0");
    case 1: throw std::invalid_argument("invalid 1");
    case 2: throw std::out_of_range("range 2");
    case 3: throw std::logic_error("logic 3");
    case 4: throw std::overflow_error("overflow 4");
    case 5: throw std::bad_alloc();
    default: throw custom_failure();
  }
}
int pid_after_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return current_pid();
}
int slow_square(int x) {
  std::this_thread::sleep_for(250ms);
  return x * x;
}
int take_fragile(fragile) { return 1; }
fragile make_fragile(bool fail) { return fragile{fail}; }
// A digest of s that any lost, repeated or misplaced byte changes.
std::uint64_t digest(std::string s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h ^ s.size();
}
std::string touch_ends(std::string s) {
  s.front() = 'A';
  s.back() = 'Z';
  return s;
}

int g_init_value = 0, g_init_calls = 0;  // set by the initializer, per worker process
void remember(int v) { g_init_value = v, ++g_init_calls; }
std::vector<int> init_state() { return std::vector<int>{g_init_value, g_init_calls, current_pid()}; }

}  // namespace pool_tasks

using namespace pool_tasks;
using worker_fifo_tasks::report_then_sleep;

namespace {

constexpr auto hang_guard = 5s;  // a failure must not hang the suite

// Tasks write their worker's pid into it once they run.
class ready_fifo : public worker_fifo::fifo {
 public:
  ready_fifo() : fifo("pool") {}
  pid_t wait_pid() { return fifo::wait_pid(hang_guard); }  // -1 after the hang guard
};

// The what() of the exception f fails with, which must be exactly E.
template <class E, class F>
std::string failure_of(const F& f) {
  try {
    (void)f.result(hang_guard);
  } catch (const E& e) {
    CHECK(std::string(typeid(e).name()) == typeid(E).name());
    return e.what();
  }
  FAIL("the future did not fail");
  return {};
}

std::set<int> pids_of(std::vector<future<int>>& fs) {
  std::set<int> pids;
  for (auto& f : fs) pids.insert(f.result(hang_guard));
  return pids;
}

std::size_t open_descriptors() {
  std::size_t n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (auto* e = d ? ::readdir(d) : nullptr) n += e->d_name[0] != '.';
  if (d) ::closedir(d);
  return n;
}

// Whether this process has any child, running or not yet reaped (ECHILD
// otherwise); WNOWAIT leaves a zombie to its owner.
bool has_children() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

asio::awaitable<int> tick_until(asio::steady_timer& timer, const bool& stop, int& ticks) {
  while (!stop) {
    timer.expires_after(10ms);
    co_await timer.async_wait(asio::use_awaitable);
    ++ticks;
  }
  co_return ticks;
}

asio::awaitable<int> square_while_ticking(process_pool_executor& pool, int& ticks) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  bool stop = false;
  auto ticker = cofutures::event_loop::current()->spawn(tick_until(timer, stop, ticks));
  int value = 0;
  std::exception_ptr error;  // the ticker uses this frame: stop it even on failure
  try {
    value = co_await pool.submit<&slow_square>(9).async_result();
  } catch (...) {
    error = std::current_exception();
  }
  stop = true;
  co_await ticker.async_result();
  if (error) std::rethrow_exception(error);
  co_return value;
}

}  // namespace

TEST_CASE("submit runs the task in another process", "[process_pool]") {
  process_pool_executor pool(2);
  REQUIRE(pool.max_workers() == 2);
  int pid = pool.submit<&current_pid>().result(hang_guard);
  CHECK(pid != ::getpid());
  CHECK(pid > 0);
}

TEST_CASE("a task is named after its function", "[process_pool]") {
  CHECK(cofutures::task_name<&current_pid>() == "pool_tasks::current_pid");
}

TEST_CASE("values of several types round-trip", "[process_pool]") {
  process_pool_executor pool(2);
  CHECK(pool.submit<&add>(2, 3).result(hang_guard) == 5);
  CHECK(pool.submit<&halve>(5.0).result(hang_guard) == 2.5);
  CHECK(pool.submit<&shout>("hey").result(hang_guard) == "hey!");
  CHECK(pool.submit<&reversed>(std::vector<int>{1, 2, 3}).result(hang_guard) == std::vector<int>{3, 2, 1});
  auto counts = pool.submit<&count_words>(std::vector<std::string>{"a", "b", "a"}).result(hang_guard);
  CHECK(counts == std::map<std::string, int>{{"a", 2}, {"b", 1}});
  auto p = pool.submit<&moved>(point{1, 0.5, "p"}, 10).result(hang_guard);
  CHECK(p == point{11, 0.5, "p moved"});
}

TEST_CASE("a task without arguments and a void task", "[process_pool]") {
  process_pool_executor pool(1);
  CHECK(pool.submit<&forty_two>().result(hang_guard) == 42);
  auto ok = pool.submit<&require_positive>(3);
  ok.result(hang_guard);
  CHECK(ok.exception() == nullptr);
  CHECK(failure_of<std::domain_error>(pool.submit<&require_positive>(-1)) == "not positive: -1");
}

TEST_CASE("standard exceptions come back as the same type and what()", "[process_pool]") {
  process_pool_executor pool(2);
  CHECK(failure_of<std::runtime_error>(pool.submit<&throw_kind>(0)) == "runtime 0");
  CHECK(failure_of<std::invalid_argument>(pool.submit<&throw_kind>(1)) == "invalid 1");
  CHECK(failure_of<std::out_of_range>(pool.submit<&throw_kind>(2)) == "range 2");
  CHECK(failure_of<std::logic_error>(pool.submit<&throw_kind>(3)) == "logic 3");
  CHECK(failure_of<std::overflow_error>(pool.submit<&throw_kind>(4)) == "overflow 4");
  CHECK(failure_of<std::bad_alloc>(pool.submit<&throw_kind>(5)) == std::string(std::bad_alloc().what()));
}

TEST_CASE("a user exception comes back as remote_error with its name, message and stack", "[process_pool]") {
  process_pool_executor pool(1);
  auto f = pool.submit<&throw_kind>(99);
  try {
    f.result(hang_guard);
    FAIL("no exception");
  } catch (const cofutures::remote_error& e) {
    CHECK(e.type_name() == "pool_tasks::custom_failure");
    CHECK(e.message() == "custom failure 17");
    CHECK(std::string(e.what()) == "pool_tasks::custom_failure: custom failure 17");
    CHECK_FALSE(e.remote_stack().empty());
  }
}

TEST_CASE("bad options are rejected with std::invalid_argument", "[process_pool]") {
  REQUIRE_THROWS_MATCHES(process_pool_executor(0), std::invalid_argument,
                         Message("max_workers must be greater than 0 (got 0)"));
  REQUIRE_THROWS_MATCHES(process_pool_executor(-2), std::invalid_argument,
                         Message("max_workers must be greater than 0 (got -2)"));
  REQUIRE_THROWS_MATCHES(process_pool_executor(process_pool_options{.max_tasks_per_child = 0}), std::invalid_argument,
                         Message("max_tasks_per_child must be greater than 0 (got 0)"));
  REQUIRE_THROWS_MATCHES(
      process_pool_executor(process_pool_options{.max_tasks_per_child = 2, .method = cofutures::start_method::fork}),
      std::invalid_argument, Message("max_tasks_per_child is incompatible with the fork start method; use spawn"));
}

TEST_CASE("the fork start method runs tasks in a child", "[process_pool]") {
  process_pool_executor pool(process_pool_options{.max_workers = 1, .method = cofutures::start_method::fork});
  int pid = pool.submit<&current_pid>().result(hang_guard);
  CHECK(pid != ::getpid());
  CHECK(pool.submit<&shout>("forked").result(hang_guard) == "forked!");
}

TEST_CASE("max_workers bounds the worker processes", "[process_pool]") {
  process_pool_executor pool(2);
  std::vector<future<int>> fs;
  for (int i = 0; i < 6; ++i) fs.push_back(pool.submit<&pid_after_ms>(50));
  auto pids = pids_of(fs);
  CHECK(pids.size() <= 2);
  CHECK(pids.count(::getpid()) == 0);
}

TEST_CASE("the initializer runs once in every worker before its tasks", "[process_pool]") {
  process_pool_executor pool(
      process_pool_options{.max_workers = 2, .initializer = cofutures::initializer<&remember>(42)});
  std::vector<future<std::vector<int>>> fs;
  for (int i = 0; i < 6; ++i) fs.push_back(pool.submit<&init_state>());
  for (auto& f : fs) {
    auto state = f.result(hang_guard);
    REQUIRE(state.size() == 3);
    CHECK(state[0] == 42);
    CHECK(state[1] == 1);
  }
}

// A recycled worker sends its last result and exits at once: the result
// must still be read before the exit is acted on.
TEST_CASE("max_tasks_per_child recycles workers and a backlog never hangs (gh-115634)", "[process_pool]") {
  SECTION("two workers, two tasks each") {
    process_pool_executor pool(process_pool_options{.max_workers = 2, .max_tasks_per_child = 2});
    std::vector<future<int>> fs;
    for (int i = 0; i < 10; ++i) fs.push_back(pool.submit<&current_pid>());
    CHECK(pids_of(fs).size() >= 5);
  }
  SECTION("one worker, one task each") {
    process_pool_executor pool(process_pool_options{.max_workers = 1, .max_tasks_per_child = 1});
    std::vector<future<int>> fs;
    for (int i = 0; i < 5; ++i) fs.push_back(pool.submit<&current_pid>());
    CHECK(pids_of(fs).size() == 5);
  }
}

TEST_CASE("shutdown(wait=false) while workers recycle does not hang (gh-119592)", "[process_pool]") {
  std::vector<future<int>> fs;
  {
    process_pool_executor pool(process_pool_options{.max_workers = 1, .max_tasks_per_child = 1});
    for (int i = 0; i < 4; ++i) fs.push_back(pool.submit<&add>(i, 1));
    pool.shutdown(false);
  }  // the destructor waits for the queued work
  for (int i = 0; i < 4; ++i) {
    REQUIRE(fs[i].done());
    CHECK(fs[i].result() == i + 1);
  }
}

TEST_CASE("submit after shutdown throws invalid_state_error", "[process_pool]") {
  process_pool_executor pool(1);
  pool.shutdown();
  REQUIRE_THROWS_MATCHES(pool.submit<&forty_two>(), cofutures::invalid_state_error,
                         Message("cannot schedule new futures after shutdown"));
}

TEST_CASE("shutdown with cancel_futures cancels the queued work", "[process_pool]") {
  ready_fifo ready;
  process_pool_executor pool(1);
  auto first = pool.submit<&report_then_sleep>(ready.path(), 300);
  std::vector<future<int>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(pool.submit<&add>(i, i));
  REQUIRE(ready.wait_pid() > 0);  // the first task runs, the others wait
  pool.shutdown(true, true);
  CHECK(first.result() > 0);
  for (auto& f : queued) CHECK(f.cancelled());
}

TEST_CASE("the destructor waits for queued work", "[process_pool]") {
  std::vector<future<int>> fs;
  {
    process_pool_executor pool(1);
    for (int i = 0; i < 3; ++i) fs.push_back(pool.submit<&pid_after_ms>(50));
  }
  for (auto& f : fs) {
    REQUIRE(f.done());
    CHECK(f.result() > 0);
  }
}

TEST_CASE("async_result awaits a task without blocking the event loop", "[process_pool]") {
  process_pool_executor pool(1);
  int ticks = 0;
  int value = cofutures::run(square_while_ticking(pool, ticks));
  CHECK(value == 81);
  CHECK(ticks >= 5);  // ~25 expected while the 250 ms task ran
}

TEST_CASE("a destroyed pool leaves no child process and no descriptor behind", "[process_pool]") {
  REQUIRE_FALSE(has_children());
  auto fds_before = open_descriptors();
  {
    process_pool_executor pool(2);
    std::vector<future<int>> fs;
    for (int i = 0; i < 4; ++i) fs.push_back(pool.submit<&pid_after_ms>(20));
    CHECK(pids_of(fs).size() >= 1);
    CHECK(has_children());
  }
  CHECK_FALSE(has_children());
  CHECK(open_descriptors() == fds_before);
}

TEST_CASE("small and large tasks in turn reach the worker whole and in order", "[process_pool]") {
  // One worker, sent several tasks ahead: the small ones travel in its
  // task ring in shared memory, the large ones (over 8 KiB) in its pipe,
  // announced in the ring between the others.
  process_pool_executor pool(1);
  std::vector<std::string> inputs;
  std::vector<future<std::uint64_t>> results;
  for (int i = 0; i < 60; ++i) {
    const std::size_t sizes[] = {10, 8 * 1024 - 64, 20 * 1024, 300 * 1024};
    std::string s(sizes[i % 4] + static_cast<std::size_t>(i), static_cast<char>('a' + i % 26));
    s[s.size() / 2] = static_cast<char>(i);
    inputs.push_back(s);
    results.push_back(pool.submit<&digest>(std::move(s)));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    INFO("task " << i << ", " << inputs[i].size() << " bytes");
    CHECK(results[i].result(10s) == digest(inputs[i]));
  }
}

TEST_CASE("a 64 MiB argument and result round-trip", "[process_pool]") {
  process_pool_executor pool(1);
  const std::size_t size = std::size_t(64) << 20;
  std::string big(size, 'x');
  big[size / 2] = 'm';
  auto out = pool.submit<&touch_ends>(big).result(30s);  // TSan is slow with 64 MiB
  REQUIRE(out.size() == size);
  CHECK(out.front() == 'A');
  CHECK(out[1] == 'x');
  CHECK(out[size / 2] == 'm');
  CHECK(out[size - 2] == 'x');
  CHECK(out.back() == 'Z');
}

TEST_CASE("an argument that fails to serialize fails only its future", "[process_pool]") {
  process_pool_executor pool(1);
  auto bad = pool.submit<&take_fragile>(fragile{true});
  REQUIRE(bad.done());  // failed here, before reaching a worker
  CHECK(failure_of<std::runtime_error>(bad) == "fragile value");
  CHECK(pool.submit<&add>(1, 2).result(hang_guard) == 3);
}

TEST_CASE("an unknown task name fails its future and the pool keeps working", "[process_pool]") {
  process_pool_executor pool(1);
  auto f = pool.submit_by_name<int>("no_such_task", "");
  CHECK_THAT(failure_of<cofutures::invalid_state_error>(f), Contains("unknown task 'no_such_task'"));
  CHECK(pool.submit<&add>(2, 2).result(hang_guard) == 4);
}

TEST_CASE("a result that fails to serialize in the worker fails only its future", "[process_pool]") {
  process_pool_executor pool(1);
  CHECK(failure_of<std::runtime_error>(pool.submit<&make_fragile>(true)) == "fragile value");
  CHECK_FALSE(pool.submit<&make_fragile>(false).result(hang_guard).fail);
  CHECK(pool.submit<&add>(3, 4).result(hang_guard) == 7);
}

TEST_CASE("terminate_workers and kill_workers break the running future and the pool", "[process_pool]") {
  ready_fifo ready;
  process_pool_executor pool(1);
  auto running = pool.submit<&report_then_sleep>(ready.path(), 5000);
  auto pid = ready.wait_pid();
  REQUIRE(pid > 0);
  std::string signal_name;
  SECTION("terminate_workers") {
    pool.terminate_workers();
    signal_name = "SIGTERM";
  }
  SECTION("kill_workers") {
    pool.kill_workers();
    signal_name = "SIGKILL";
  }
  auto message = failure_of<cofutures::broken_process_pool>(running);
  CHECK_THAT(message, Contains("worker process " + std::to_string(pid)) && Contains(signal_name));
  REQUIRE_THROWS_AS(pool.submit<&forty_two>(), cofutures::broken_process_pool);
}

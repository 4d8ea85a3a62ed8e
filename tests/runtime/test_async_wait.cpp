#include <cofutures/wait.hpp>

#include <cofutures/any_future.hpp>
#include <cofutures/as_completed.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/future.hpp>
#include <cofutures/gather.hpp>
#include <cofutures/promise.hpp>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::future;
using cofutures::promise;
using cofutures::return_when;

namespace {

struct custom_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::exception_ptr custom_exception(const char* what) { return std::make_exception_ptr(custom_error(what)); }

// Runs fn on a new thread once the executor has run what is already queued,
// i.e. once the calling coroutine has suspended at its next co_await: the
// wait under test is then surely pending when fn completes futures.
// Coroutines pass an executor they already hold in a local: GCC 12 destroys
// a lambda temporary twice when its full-expression also has a co_await.
class complete_later {
 public:
  complete_later(const asio::any_io_executor& ex, std::function<void()> fn)
      : m_gate(std::make_shared<gate>()), m_thread([g = m_gate, fn = std::move(fn)] {
          if (g->wait()) fn();
        }) {
    asio::post(ex, [g = m_gate] { g->open(true); });
  }
  ~complete_later() { m_gate->open(false); }  // a gate never opened lets the thread go without fn
  complete_later(const complete_later&) = delete;
  complete_later& operator=(const complete_later&) = delete;

 private:
  struct gate {
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<bool> go;
    void open(bool value) {
      std::lock_guard lock(mutex);
      if (!go) go = value;
      cv.notify_all();
    }
    bool wait() {
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return go.has_value(); });
      return *go;
    }
  };
  std::shared_ptr<gate> m_gate;
  std::jthread m_thread;  // after m_gate: joined before the gate goes
};

using futures = std::vector<future<int>>;

// Promises made inside the coroutine (bound to the loop) and their futures.
// The promises outlive the waits: unfinished ones break only at the end.
struct promise_set {
  std::vector<promise<int>> promises;
  futures all;
  explicit promise_set(std::size_t n) : promises(n) {
    for (auto& p : promises) all.push_back(p.get_future());
  }
};

struct wait_outcome {
  futures all;
  futures done;
  futures not_done;
};

asio::awaitable<void> wait_with(return_when when, wait_outcome& out) {
  auto ex = co_await asio::this_coro::executor;
  promise_set ps(3);
  out.all = ps.all;
  std::optional<complete_later> producer;
  switch (when) {
    case return_when::first_completed:
      producer.emplace(ex, [&ps] { ps.promises[1].set_result(1); });
      break;
    case return_when::first_exception:
      // A value alone must not end the wait; only the exception does.
      ps.promises[0].set_result(0);
      producer.emplace(ex, [&ps] { ps.promises[2].set_exception(custom_exception("first")); });
      break;
    case return_when::all_completed:
      // Two done (one failed) must not end the wait either.
      ps.promises[0].set_result(0);
      ps.promises[1].set_exception(custom_exception("not the end"));
      producer.emplace(ex, [&ps] { ps.promises[2].set_result(2); });
      break;
  }
  auto result = co_await cofutures::async_wait(ps.all, when);
  out.done = result.done;
  out.not_done = result.not_done;
}
}  // namespace

TEST_CASE("async_wait returns when its condition holds, in input order", "[async_wait]") {
  wait_outcome out;
  SECTION("first_completed") {
    cofutures::run(wait_with(return_when::first_completed, out));
    CHECK(out.done == futures{out.all[1]});
    CHECK(out.not_done == futures{out.all[0], out.all[2]});
  }
  SECTION("first_exception") {
    cofutures::run(wait_with(return_when::first_exception, out));
    CHECK(out.done == futures{out.all[0], out.all[2]});
    CHECK(out.not_done == futures{out.all[1]});
  }
  SECTION("all_completed") {
    cofutures::run(wait_with(return_when::all_completed, out));
    CHECK(out.done == out.all);
    CHECK(out.not_done.empty());
  }
}

namespace {
asio::awaitable<void> wait_with_timeout(wait_outcome& out, std::chrono::steady_clock::duration& waited) {
  promise_set ps(3);
  out.all = ps.all;
  ps.promises[1].set_result(1);
  auto start = std::chrono::steady_clock::now();
  auto result = co_await cofutures::async_wait(ps.all, return_when::all_completed, 100ms);
  waited = std::chrono::steady_clock::now() - start;
  out.done = result.done;
  out.not_done = result.not_done;
}
}  // namespace

TEST_CASE("async_wait with a timeout returns the unfinished futures, no exception", "[async_wait]") {
  wait_outcome out;
  std::chrono::steady_clock::duration waited{};
  REQUIRE_NOTHROW(cofutures::run(wait_with_timeout(out, waited)));
  CHECK(waited >= 100ms);
  CHECK(out.done == futures{out.all[1]});
  CHECK(out.not_done == futures{out.all[0], out.all[2]});
}

namespace {
struct race_outcome {
  std::size_t winner = 99;
  bool all_pending_after_race = false;
  std::size_t done_after = 0;
};

asio::awaitable<void> race_wait_with_timer(race_outcome& out) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  promise_set ps(2);
  asio::steady_timer timer(ex, 100ms);
  auto winner = co_await (cofutures::async_wait(ps.all) || timer.async_wait(asio::use_awaitable));
  out.winner = winner.index();
  out.all_pending_after_race = !ps.all[0].done() && !ps.all[1].done();
  complete_later producer(ex, [&ps] {
    ps.promises[0].set_result(0);
    ps.promises[1].set_result(1);
  });
  auto result = co_await cofutures::async_wait(ps.all);
  out.done_after = result.done.size();
}
}  // namespace

TEST_CASE("async_wait cancelled by a || race leaves the futures intact", "[async_wait]") {
  race_outcome out;
  cofutures::run(race_wait_with_timer(out));
  CHECK(out.winner == 1);
  CHECK(out.all_pending_after_race);
  CHECK(out.done_after == 2);
}

namespace {
asio::awaitable<void> collect_as_completed(futures& all, futures& order) {
  auto ex = co_await asio::this_coro::executor;
  promise_set ps(4);
  all = ps.all;
  // Done before the call, in reverse input order: yielded in input order.
  ps.promises[2].set_result(2);
  ps.promises[0].set_result(0);
  auto pending = cofutures::async_as_completed(ps.all);
  complete_later producer(ex, [&ps] {
    ps.promises[3].set_result(3);
    ps.promises[1].set_result(1);
  });
  while (auto f = co_await pending.next()) order.push_back(*f);
}

asio::awaitable<void> as_completed_timeout(futures& all, futures& yielded, std::string& error) {
  promise_set ps(3);
  all = ps.all;
  ps.promises[0].set_result(0);
  auto pending = cofutures::async_as_completed(ps.all, 100ms);
  try {
    while (auto f = co_await pending.next()) yielded.push_back(*f);
  } catch (const cofutures::timeout_error& e) {
    error = e.what();
  }
}
}  // namespace

TEST_CASE("async_as_completed yields done futures first, then in completion order", "[async_wait]") {
  futures all, order;
  cofutures::run(collect_as_completed(all, order));
  CHECK(order == futures{all[0], all[2], all[3], all[1]});
}

TEST_CASE("async_as_completed's timeout throws timeout_error naming the unfinished", "[async_wait]") {
  futures all, yielded;
  std::string error;
  cofutures::run(as_completed_timeout(all, yielded, error));
  CHECK(yielded == futures{all[0]});
  CHECK(error == "2 (of 3) futures unfinished");
}

namespace {
asio::awaitable<std::tuple<int, std::string>> gather_two() {
  auto ex = co_await asio::this_coro::executor;
  promise<int> a;
  promise<std::string> b;
  auto a_f = a.get_future();
  auto b_f = b.get_future();
  complete_later producer(ex, [&] {
    b.set_result("two");  // the last argument finishes first
    a.set_result(1);
  });
  co_return co_await cofutures::gather(a_f, b_f);
}

asio::awaitable<std::vector<int>> gather_vector() {
  auto ex = co_await asio::this_coro::executor;
  promise_set ps(3);
  complete_later producer(ex, [&ps] {
    for (int i = 2; i >= 0; --i) ps.promises[i].set_result(10 * i);
  });
  co_return co_await cofutures::gather(ps.all);
}
}  // namespace

TEST_CASE("gather returns the values in argument order", "[async_wait]") {
  CHECK(cofutures::run(gather_two()) == std::tuple<int, std::string>(1, "two"));
  CHECK(cofutures::run(gather_vector()) == std::vector<int>{0, 10, 20});
}

namespace {
struct gather_failure {
  bool threw = false;
  bool other_still_pending = false;
};

asio::awaitable<void> gather_with_failure(gather_failure& out) {
  auto ex = co_await asio::this_coro::executor;
  promise<int> slow;  // never completed while gather runs
  promise<int> failing;
  auto slow_f = slow.get_future();
  auto failing_f = failing.get_future();
  complete_later producer(ex, [&failing] { failing.set_exception(custom_exception("early")); });
  try {
    co_await cofutures::gather(slow_f, failing_f);
  } catch (const custom_error&) {
    out.threw = true;
  }
  out.other_still_pending = !slow_f.done();
}

enum class cancel_when { before, while_waiting };

asio::awaitable<bool> gather_cancelled(cancel_when when) {
  auto ex = co_await asio::this_coro::executor;
  promise_set ps(2);
  std::optional<complete_later> canceller;
  if (when == cancel_when::before) ps.all[0].cancel();
  else canceller.emplace(ex, [f = ps.all[0]] { f.cancel(); });
  try {
    co_await cofutures::gather(ps.all);
  } catch (const cofutures::cancelled_error&) {
    co_return !ps.all[1].done();
  }
  co_return false;
}
}  // namespace

TEST_CASE("gather rethrows the first exception without waiting for the rest", "[async_wait]") {
  gather_failure out;
  cofutures::run(gather_with_failure(out));
  CHECK(out.threw);
  CHECK(out.other_still_pending);
}

TEST_CASE("gather of a cancelled future throws cancelled_error", "[async_wait]") {
  auto when = GENERATE(cancel_when::before, cancel_when::while_waiting);
  CAPTURE(when == cancel_when::before);
  CHECK(cofutures::run(gather_cancelled(when)));
}

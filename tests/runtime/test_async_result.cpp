#include <cofutures/future.hpp>

#include <cofutures/any_future.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/promise.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/error.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/system_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
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
using cofutures::event_loop;
using cofutures::future;
using cofutures::promise;

namespace {

struct custom_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs fn on a new thread once the executor has run what is already queued,
// i.e. once the calling coroutine has suspended at its next co_await: the
// wait under test is then surely pending when fn completes the future.
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

// Runs an io_context on its own thread until destroyed.
class io_thread {
 public:
  io_thread() : m_work(asio::make_work_guard(m_ctx)), m_thread([this] { m_ctx.run(); }) {}
  ~io_thread() {
    m_work.reset();
    m_thread.join();
  }
  asio::io_context& context() { return m_ctx; }

 private:
  asio::io_context m_ctx;
  asio::executor_work_guard<asio::io_context::executor_type> m_work;
  std::thread m_thread;
};

std::exception_ptr custom_exception(const char* what) { return std::make_exception_ptr(custom_error(what)); }

bool is_operation_aborted(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const asio::system_error& ex) {
    return ex.code() == asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

template <class T>
asio::awaitable<T> await_result(future<T> f) {
  co_return co_await f.async_result();
}

struct resume_outcome {
  int value = 0;
  std::thread::id resumed_on;
};

asio::awaitable<void> await_completed_elsewhere(resume_outcome& out) {
  auto ex = co_await asio::this_coro::executor;
  promise<int> p;
  auto f = p.get_future();
  complete_later producer(ex, [&p] { p.set_result(7); });
  out.value = co_await f.async_result();
  out.resumed_on = std::this_thread::get_id();
}

}  // namespace

TEST_CASE("co_await async_result gets the value and resumes on the loop thread", "[async_result]") {
  resume_outcome out;
  cofutures::run(await_completed_elsewhere(out));
  CHECK(out.value == 7);
  CHECK(out.resumed_on == std::this_thread::get_id());
}

namespace {
asio::awaitable<std::string> exception_message(bool already_done) {
  auto ex = co_await asio::this_coro::executor;
  promise<int> p;
  auto f = p.get_future();
  std::optional<complete_later> producer;
  if (already_done) p.set_exception(custom_exception("bad input"));
  else producer.emplace(ex, [&p] { p.set_exception(custom_exception("bad input")); });
  try {
    co_await f.async_result();
  } catch (const custom_error& e) {
    co_return e.what();
  }
  co_return "no exception";
}
}  // namespace

TEST_CASE("co_await async_result rethrows the future's exception with its type", "[async_result]") {
  bool already_done = GENERATE(false, true);
  CAPTURE(already_done);
  CHECK(cofutures::run(exception_message(already_done)) == "bad input");
}

namespace {
enum class cancel_when { before, while_waiting };

asio::awaitable<bool> throws_cancelled_error(cancel_when when) {
  auto ex = co_await asio::this_coro::executor;
  promise<int> p;
  auto f = p.get_future();
  std::optional<complete_later> canceller;
  if (when == cancel_when::before) f.cancel();
  else canceller.emplace(ex, [f] { f.cancel(); });
  try {
    co_await f.async_result();
  } catch (const cofutures::cancelled_error&) {
    co_return true;
  }
  co_return false;
}
}  // namespace

TEST_CASE("co_await async_result throws cancelled_error for a cancelled future", "[async_result]") {
  auto when = GENERATE(cancel_when::before, cancel_when::while_waiting);
  CAPTURE(when == cancel_when::before);
  CHECK(cofutures::run(throws_cancelled_error(when)));
}

TEST_CASE("co_await async_result on an already-done future", "[async_result]") {
  promise<int> p;
  p.set_result(5);
  CHECK(cofutures::run(await_result(p.get_future())) == 5);
}

namespace {
asio::awaitable<void> push_result(future<int> f, std::vector<int>& got) { got.push_back(co_await f.async_result()); }

asio::awaitable<void> many_waiters(int n, std::vector<int>& got) {
  auto& loop = *event_loop::current();
  promise<int> p;
  std::vector<future<void>> waiters;
  for (int i = 0; i < n; ++i) waiters.push_back(loop.spawn(push_result(p.get_future(), got)));
  // Posted after the spawns' starts: every waiter is suspended by then.
  complete_later producer(loop.get_executor(), [&p] { p.set_result(9); });
  for (auto& w : waiters) co_await w.async_result();
}
}  // namespace

TEST_CASE("every coroutine awaiting the same future resumes", "[async_result]") {
  std::vector<int> got;
  cofutures::run(many_waiters(5, got));
  CHECK(got == std::vector<int>(5, 9));
}

namespace {
struct race_outcome {
  std::size_t winner = 99;
  bool pending_after_race = false;
  int value_after = 0;
};

asio::awaitable<void> race_with_timer(race_outcome& out) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  promise<int> p;
  auto f = p.get_future();
  asio::steady_timer timer(ex, 100ms);
  auto winner = co_await (f.async_result() || timer.async_wait(asio::use_awaitable));
  out.winner = winner.index();
  out.pending_after_race = !f.done();
  complete_later producer(ex, [&p] { p.set_result(11); });
  out.value_after = co_await f.async_result();
}
}  // namespace

TEST_CASE("a || race with a timer stops the wait and leaves the future intact", "[async_result]") {
  race_outcome out;
  cofutures::run(race_with_timer(out));
  CHECK(out.winner == 1);
  CHECK(out.pending_after_race);
  CHECK(out.value_after == 11);
}

namespace {
struct signal_outcome {
  int calls = 0;
  std::exception_ptr error;
  bool pending_after_cancel = false;
  int value_after = 0;
};

asio::awaitable<void> cancel_with_signal(asio::cancellation_type type, signal_outcome& out) {
  auto ex = co_await asio::this_coro::executor;
  promise<int> p;
  auto f = p.get_future();
  promise<void> handled;
  auto handled_f = handled.get_future();
  asio::cancellation_signal signal;
  f.async_result(asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, int) {
    ++out.calls;
    out.error = e;
    handled.set_result();
  }));
  signal.emit(type);
  co_await handled_f.async_result();
  out.pending_after_cancel = !f.done();
  complete_later producer(ex, [&p] { p.set_result(3); });
  out.value_after = co_await f.async_result();
}
}  // namespace

TEST_CASE("a cancellation signal completes the handler with operation_aborted", "[async_result]") {
  auto type = GENERATE(asio::cancellation_type::terminal, asio::cancellation_type::partial,
                       asio::cancellation_type::total);
  CAPTURE(static_cast<int>(type));
  signal_outcome out;
  cofutures::run(cancel_with_signal(type, out));
  CHECK(out.calls == 1);
  CHECK(is_operation_aborted(out.error));
  CHECK(out.pending_after_cancel);
  CHECK(out.value_after == 3);
}

TEST_CASE("async_result with a plain callback handler on an io_context", "[async_result]") {
  asio::io_context ctx;
  promise<int> p;  // no loop: unbound
  int calls = 0;
  int value = 0;
  std::exception_ptr error;
  std::thread::id handler_thread;
  p.get_future().async_result(asio::bind_executor(ctx, [&](std::exception_ptr e, int v) {
    ++calls;
    error = e;
    value = v;
    handler_thread = std::this_thread::get_id();
  }));
  complete_later producer(ctx.get_executor(), [&p] { p.set_result(4); });
  ctx.run();
  CHECK(calls == 1);
  CHECK_FALSE(error);
  CHECK(value == 4);
  CHECK(handler_thread == std::this_thread::get_id());
}

TEST_CASE("async_result with asio::use_future from a thread without a loop", "[async_result]") {
  io_thread io;
  promise<int> p;
  std::future<int> result = p.get_future().async_result(asio::bind_executor(io.context(), asio::use_future));
  CHECK(result.wait_for(0s) == std::future_status::timeout);
  SECTION("value") {
    p.set_result(8);
    CHECK(result.get() == 8);
  }
  SECTION("exception") {
    p.set_exception(custom_exception("remote"));
    CHECK_THROWS_MATCHES(result.get(), custom_error, Catch::Matchers::Message("remote"));
  }
}

namespace {
struct tuple_outcome {
  std::exception_ptr ok_error = custom_exception("not set");
  int ok_value = 0;
  std::exception_ptr bad_error;
};

asio::awaitable<void> await_as_tuple(tuple_outcome& out) {
  auto ex = co_await asio::this_coro::executor;
  const auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);
  promise<int> ok;
  auto ok_f = ok.get_future();
  complete_later producer(ex, [&ok] { ok.set_result(6); });
  auto ok_result = co_await ok_f.async_result(as_tuple);
  out.ok_error = std::get<0>(ok_result);
  out.ok_value = std::get<1>(ok_result);
  promise<int> bad;
  bad.set_exception(custom_exception("as tuple"));
  auto bad_result = co_await bad.get_future().async_result(as_tuple);  // does not throw
  out.bad_error = std::get<0>(bad_result);
}
}  // namespace

TEST_CASE("async_result with as_tuple(use_awaitable) delivers the error as a value", "[async_result]") {
  tuple_outcome out;
  REQUIRE_NOTHROW(cofutures::run(await_as_tuple(out)));
  CHECK_FALSE(out.ok_error);
  CHECK(out.ok_value == 6);
  REQUIRE(out.bad_error);
  CHECK_THROWS_MATCHES(std::rethrow_exception(out.bad_error), custom_error, Catch::Matchers::Message("as tuple"));
}

namespace {
struct void_outcome {
  bool resumed = false;
  bool threw_custom = false;
};

asio::awaitable<void> await_void_futures(void_outcome& out) {
  auto ex = co_await asio::this_coro::executor;
  promise<void> ok;
  auto ok_f = ok.get_future();
  complete_later producer(ex, [&ok] { ok.set_result(); });
  co_await ok_f.async_result();
  out.resumed = ok_f.done();
  promise<void> bad;
  auto bad_f = bad.get_future();
  complete_later failer(ex, [&bad] { bad.set_exception(custom_exception("void")); });
  try {
    co_await bad_f.async_result();
  } catch (const custom_error&) {
    out.threw_custom = true;
  }
}
}  // namespace

TEST_CASE("async_result on a future<void>", "[async_result]") {
  void_outcome out;
  cofutures::run(await_void_futures(out));
  CHECK(out.resumed);
  CHECK(out.threw_custom);
}

TEST_CASE("a pending async_result keeps the io_context's run() going", "[async_result]") {
  // A plain handler, not a coroutine: co_spawn keeps its io_context busy on
  // its own, so only the wait's own work accounting is under test here.
  asio::io_context ctx;
  promise<int> p;
  std::optional<int> value;
  p.get_future().async_result(asio::bind_executor(ctx, [&](std::exception_ptr, int v) { value = v; }));
  // An io_context that is out of work stops itself, which is what makes
  // run() return early; poll() would have done that here.
  ctx.poll();
  REQUIRE_FALSE(value);
  CHECK_FALSE(ctx.stopped());
  std::jthread producer([&p] { p.set_result(12); });
  ctx.run();
  CHECK(value == 12);
}

namespace {
asio::awaitable<int> await_one(future<int> f) { co_return co_await f.async_result(); }
}  // namespace

TEST_CASE("a loop may end the moment the completion it awaited arrives", "[async_result]") {
  // The completing thread must be finished with the loop once it has posted
  // the completion: the loop can resume, return and be destroyed at once.
  for (int i = 0; i < 300; ++i) {
    promise<int> p;
    auto f = p.get_future();
    std::jthread producer([&p, i] { p.set_result(i); });
    REQUIRE(cofutures::run(await_one(f)) == i);
  }
}

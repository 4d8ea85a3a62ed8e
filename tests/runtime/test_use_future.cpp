#include <cofutures/use_future.hpp>

// event_loop::run needs any_future complete, which event_loop.hpp does not
// include (reported as a library bug).
#include <cofutures/any_future.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>

#include <asio/async_result.hpp>
#include <asio/error.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/system_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::future;
using cofutures::promise;

namespace {

asio::awaitable<void> yield_once() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

// Tiny asynchronous operations with chosen completion signatures; they
// complete through a post, as a real I/O operation would.
template <class Signature, class Token, class... Args>
auto async_complete_with(asio::any_io_executor ex, Token&& token, Args... args) {
  return asio::async_initiate<Token, Signature>(
      [ex](auto handler, auto... values) {
        asio::post(ex, [handler = std::move(handler), values...]() mutable { std::move(handler)(values...); });
      },
      token, std::move(args)...);
}

struct timer_outcome {
  bool pending_at_start = false;
  bool expired_when_done = false;
  bool callback_ran_inline = true;
  std::thread::id callback_thread;
};

asio::awaitable<void> wait_on_timer_future(timer_outcome& out) {
  asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
  auto f = timer.async_wait(cofutures::use_future);
  static_assert(std::is_same_v<decltype(f), future<void>>);
  out.pending_at_start = !f.done();
  co_await f.async_result();
  out.expired_when_done = std::chrono::steady_clock::now() >= timer.expiry();
  // Bound to the loop: a callback added to the done future is scheduled on
  // the loop, not called inside add_done_callback.
  promise<void> callback_ran;
  auto callback_ran_f = callback_ran.get_future();
  bool ran = false;
  f.add_done_callback([&](future<void>) {
    ran = true;
    out.callback_thread = std::this_thread::get_id();
    callback_ran.set_result();
  });
  out.callback_ran_inline = ran;
  co_await callback_ran_f.async_result();
}

}  // namespace

TEST_CASE("a timer's async_wait(use_future) is a future<void> done once it expired", "[use_future]") {
  timer_outcome out;
  cofutures::run(wait_on_timer_future(out));
  CHECK(out.pending_at_start);
  CHECK(out.expired_when_done);
  CHECK_FALSE(out.callback_ran_inline);
  CHECK(out.callback_thread == std::this_thread::get_id());
}

namespace {
struct cancel_outcome {
  bool cancel_returned = false;
  bool cancelled = false;
  bool result_threw_cancelled = false;
  std::size_t waits_left_on_timer = 99;
};

asio::awaitable<void> cancel_timer_future(cancel_outcome& out) {
  asio::steady_timer timer(co_await asio::this_coro::executor, 10s);
  auto f = timer.async_wait(cofutures::use_future);
  out.cancel_returned = f.cancel();
  out.cancelled = f.cancelled();
  try {
    f.result();
  } catch (const cofutures::cancelled_error&) {
    out.result_threw_cancelled = true;
  }
  // The operation's cancellation is emitted through a post on the timer's
  // executor; after one turn of the loop the wait must be gone from the timer.
  co_await yield_once();
  out.waits_left_on_timer = timer.cancel();
}
}  // namespace

TEST_CASE("cancel on a use_future future cancels the operation", "[use_future]") {
  SECTION("on the loop: the timer no longer has the wait") {
    cancel_outcome out;
    cofutures::run(cancel_timer_future(out));
    CHECK(out.cancel_returned);
    CHECK(out.cancelled);
    CHECK(out.result_threw_cancelled);
    CHECK(out.waits_left_on_timer == 0);
  }
  SECTION("on a plain io_context: run() does not wait for the timer") {
    asio::io_context ctx;
    asio::steady_timer timer(ctx, 10s);
    auto f = timer.async_wait(cofutures::use_future);
    CHECK(f.cancel());
    auto start = std::chrono::steady_clock::now();
    ctx.run();  // returns once the aborted wait completed
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CHECK(f.cancelled());
  }
}

namespace {
struct error_outcome {
  bool threw_aborted = false;
  bool done = false;
  bool cancelled = true;
  std::exception_ptr exception;
};

asio::awaitable<void> cancel_the_timer_itself(error_outcome& out) {
  asio::steady_timer timer(co_await asio::this_coro::executor, 10s);
  auto f = timer.async_wait(cofutures::use_future);
  timer.cancel();  // the operation fails; the future is not cancelled
  try {
    co_await f.async_result();
  } catch (const asio::system_error& e) {
    out.threw_aborted = e.code() == asio::error::operation_aborted;
  }
  out.done = f.done();
  out.cancelled = f.cancelled();
  out.exception = f.exception();
}
}  // namespace

TEST_CASE("an operation's error code becomes an asio::system_error in the future", "[use_future]") {
  SECTION("a timer cancelled through the timer") {
    error_outcome out;
    cofutures::run(cancel_the_timer_itself(out));
    CHECK(out.threw_aborted);
    CHECK(out.done);
    CHECK_FALSE(out.cancelled);
    REQUIRE(out.exception);
    CHECK_THROWS_AS(std::rethrow_exception(out.exception), asio::system_error);
  }
  SECTION("an operation reporting an error code with its value") {
    asio::io_context ctx;
    auto f = async_complete_with<void(asio::error_code, int)>(
        ctx.get_executor(), cofutures::use_future, asio::error_code(asio::error::connection_refused), 0);
    ctx.run();
    REQUIRE(f.done());
    try {
      f.result();
      FAIL("result() did not throw");
    } catch (const asio::system_error& e) {
      CHECK(e.code() == asio::error::connection_refused);
    }
  }
}

TEST_CASE("use_future maps completion signatures to future types", "[use_future]") {
  asio::io_context ctx;
  auto ex = ctx.get_executor();
  auto number = async_complete_with<void(asio::error_code, int)>(ex, cofutures::use_future, asio::error_code(), 5);
  auto pair = async_complete_with<void(int, std::string)>(ex, cofutures::use_future, 7, std::string("seven"));
  auto checked = async_complete_with<void(std::exception_ptr, int)>(
      ex, cofutures::use_future, std::make_exception_ptr(std::out_of_range("index")), 0);
  auto posted = asio::post(ex, cofutures::use_future);
  static_assert(std::is_same_v<decltype(number), future<int>>);
  static_assert(std::is_same_v<decltype(pair), future<std::tuple<int, std::string>>>);
  static_assert(std::is_same_v<decltype(checked), future<int>>);
  static_assert(std::is_same_v<decltype(posted), future<void>>);
  CHECK_FALSE(number.done());  // nothing completes before the io_context runs
  ctx.run();
  CHECK(number.result() == 5);
  CHECK(pair.result() == std::tuple<int, std::string>(7, "seven"));
  CHECK_THROWS_MATCHES(checked.result(), std::out_of_range, Catch::Matchers::Message("index"));
  CHECK_NOTHROW(posted.result());
}

TEST_CASE("use_future on a plain io_context run by another thread gives an unbound future", "[use_future]") {
  REQUIRE(cofutures::event_loop::current() == nullptr);
  asio::io_context ctx;
  auto work = asio::make_work_guard(ctx);
  asio::steady_timer timer(ctx, 50ms);
  auto f = timer.async_wait(cofutures::use_future);
  std::thread::id callback_thread;
  std::latch callback_ran(1);
  f.add_done_callback([&](future<void>) {
    callback_thread = std::this_thread::get_id();
    callback_ran.count_down();
  });
  std::jthread runner([&] { ctx.run(); });
  struct release_work {  // before runner joins, even when a REQUIRE fails
    asio::executor_work_guard<asio::io_context::executor_type>& work;
    ~release_work() { work.reset(); }
  } release{work};
  REQUIRE_NOTHROW(f.result(5s));
  CHECK(std::chrono::steady_clock::now() >= timer.expiry());
  callback_ran.wait();
  CHECK(callback_thread == runner.get_id());  // unbound: on the completing thread
}

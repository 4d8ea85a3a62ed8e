#include <cofutures/keyboard_interrupt.hpp>

#include <cofutures/event_loop.hpp>
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>
#include <cofutures/thread_pool_executor.hpp>

#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <signal.h>

#include <chrono>
#include <latch>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace cf = cofutures;
using namespace std::chrono_literals;

namespace {

// Sends `sig` to this process once the loop is waiting, then waits for a
// promise nobody sets: only the interrupt can end it.
asio::awaitable<int> wait_for_signal(int sig, bool* unwound) {
  struct on_unwind {
    bool* flag;
    ~on_unwind() { *flag = true; }
  } guard{unwound};
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  ::kill(::getpid(), sig);
  cf::promise<int> never;
  auto f = never.get_future();
  co_return co_await f.async_result();
}

}  // namespace

TEST_CASE("keyboard_interrupt names the signal and the shell's exit status", "[keyboard_interrupt]") {
  cf::keyboard_interrupt e(SIGINT);
  CHECK(e.signal_number() == SIGINT);
  CHECK(e.exit_status() == 130);
  CHECK(std::string(e.what()) == "interrupted by signal 2 (Interrupt)");
  CHECK(cf::keyboard_interrupt(SIGTERM).exit_status() == 143);
}

TEST_CASE("SIGINT cancels the main coroutine and run() throws keyboard_interrupt after it unwound",
          "[keyboard_interrupt]") {
  for (int sig : {SIGINT, SIGTERM}) {
    bool unwound = false;
    cf::event_loop loop({.handle_signals = true});
    try {
      loop.run(wait_for_signal(sig, &unwound));
      FAIL("run() returned");
    } catch (const cf::keyboard_interrupt& e) {
      CHECK(e.signal_number() == sig);
    }
    CHECK(unwound);
  }
}

TEST_CASE("an interrupt cancels the queued work of the process's thread pools", "[keyboard_interrupt]") {
  cf::thread_pool_executor pool(1);
  std::latch started(1), release(1);
  auto running = pool.submit([&] {
    started.count_down();
    release.wait();
  });
  started.wait();  // running, so cancel_futures cannot touch it
  std::vector<cf::future<int>> queued;
  for (int i = 0; i < 10; ++i) queued.push_back(pool.submit([i] { return i; }));
  bool unwound = false;
  cf::event_loop loop({.handle_signals = true});
  CHECK_THROWS_AS(loop.run(wait_for_signal(SIGINT, &unwound)), cf::keyboard_interrupt);
  for (auto& f : queued) CHECK(f.cancelled());
  CHECK_THROWS_AS(pool.submit([] {}), cf::invalid_state_error);  // shut down
  release.count_down();
  running.result();  // the running task was left to finish
}

TEST_CASE("after an interrupt the loop runs again", "[keyboard_interrupt]") {
  bool unwound = false;
  cf::event_loop loop({.handle_signals = true});
  CHECK_THROWS_AS(loop.run(wait_for_signal(SIGINT, &unwound)), cf::keyboard_interrupt);
  auto answer = []() -> asio::awaitable<int> { co_return 42; };
  CHECK(loop.run(answer()) == 42);
}

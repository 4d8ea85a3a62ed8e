// A future's wait assist (detail/wait_assist.hpp): a thread spinning in
// result() runs the producer's poll(), which may complete the future itself;
// it watches before it spins and polls once more after it unwatches; the
// future drops its assist once done.
#include <cofutures/detail/wait_assist.hpp>

#include <cofutures/detail/cpu_relax.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::promise;
using cofutures::timeout_error;

namespace {

// Completes its promise with 42 from the first poll(), whoever calls it.
class completing_assist final : public cofutures::detail::wait_assist {
 public:
  explicit completing_assist(promise<int>& p) : m_promise(p) {}
  void watch() noexcept override { ++watches; }
  void unwatch() noexcept override { ++unwatches; }
  void poll() noexcept override {
    ++polls;
    if (m_set.exchange(true)) return;  // once, whichever poll comes first
    setter = std::this_thread::get_id();
    set_while_watched = watches > unwatches;
    m_promise.try_set_result(42);
  }

  std::atomic<int> watches{0};
  std::atomic<int> unwatches{0};
  std::atomic<int> polls{0};
  std::thread::id setter;          // read after the polling thread is joined
  bool set_while_watched = false;  // likewise

 private:
  promise<int>& m_promise;
  std::atomic<bool> m_set{false};
};

// Records its calls in order: 'w' watch, 'p' poll, 'u' unwatch. Never completes anything.
class recording_assist final : public cofutures::detail::wait_assist {
 public:
  void watch() noexcept override { record('w'); }
  void unwatch() noexcept override { record('u'); }
  void poll() noexcept override { record('p'); }
  std::string calls() {
    std::lock_guard lock(m_mutex);
    return m_calls;
  }

 private:
  void record(char c) noexcept {
    std::lock_guard lock(m_mutex);
    m_calls.push_back(c);
  }
  std::mutex m_mutex;
  std::string m_calls;
};

}  // namespace

// Protects: a process task answered in shared memory is taken by its waiter, with no other thread involved.
TEST_CASE("a waiter's spin polls the future's assist, which may complete it", "[wait_assist][thread]") {
  if (!cofutures::detail::several_cpus()) {
    WARN("one CPU: waits never spin");
    return;
  }
  promise<int> p;  // no thread sets it: only the assist can
  auto f = p.get_future();
  auto assist = std::make_shared<completing_assist>(p);
  f.state_ptr()->set_wait_assist(assist);
  int got = 0;
  std::thread::id waiter_id;
  std::thread waiter([&] {  // a fresh thread: its spin budget is the full one
    waiter_id = std::this_thread::get_id();
    try {
      got = f.result(5s);  // hang guard
    } catch (const timeout_error&) {
      got = -1;
    }
  });
  waiter.join();
  REQUIRE(got == 42);
  REQUIRE(assist->setter == waiter_id);
  REQUIRE(assist->set_while_watched);  // by a poll of the spin, not only the last one
  REQUIRE(assist->polls >= 1);
  REQUIRE(assist->watches >= 1);
  REQUIRE(assist->watches == assist->unwatches);
}

// Protects: an answer arriving as the waiter stops spinning is still polled by someone, not lost until the manager wakes.
TEST_CASE("an assist's last poll comes after its unwatch", "[wait_assist][thread]") {
  if (!cofutures::detail::several_cpus()) {
    WARN("one CPU: waits never spin");
    return;
  }
  promise<int> p;  // never completed: the wait times out after the spin ran out
  auto f = p.get_future();
  auto assist = std::make_shared<recording_assist>();
  f.state_ptr()->set_wait_assist(assist);
  bool timed_out = false;
  std::thread waiter([&] {  // a fresh thread: its spin budget is the full one
    try {
      (void)f.result(300ms);
    } catch (const timeout_error&) {
      timed_out = true;
    }
  });
  waiter.join();
  REQUIRE(timed_out);
  const auto calls = assist->calls();
  INFO("calls: " << calls.substr(0, 8) << "..." << calls.substr(calls.size() > 8 ? calls.size() - 8 : 0));
  REQUIRE(calls.size() >= 4);  // watch, a poll while spinning, unwatch, the last poll
  REQUIRE(calls.front() == 'w');
  REQUIRE(calls.substr(calls.size() - 2) == "up");
  REQUIRE(std::count(calls.begin(), calls.end(), 'w') == 1);
  REQUIRE(std::count(calls.begin(), calls.end(), 'u') == 1);
}

// Protects: a finished future does not keep its producer's assist (and what it holds) alive.
TEST_CASE("an assist is dropped once its future is done", "[wait_assist]") {
  promise<int> p;
  auto f = p.get_future();
  auto assist = std::make_shared<recording_assist>();
  f.state_ptr()->set_wait_assist(assist);
  REQUIRE(assist.use_count() > 1);
  REQUIRE(f.state_ptr()->wait_assist_if_pending() == assist);
  p.set_result(1);
  REQUIRE(assist.use_count() == 1);
  REQUIRE(f.state_ptr()->wait_assist_if_pending() == nullptr);

  f.state_ptr()->set_wait_assist(assist);  // too late: the future is done
  REQUIRE(assist.use_count() == 1);
  REQUIRE(assist->calls().empty());  // nobody waited
}

// Protects: futures with no assist (all but process-lane ones) still get their result in a blocking wait.
TEST_CASE("a future without an assist waits as before", "[wait_assist][thread]") {
  promise<int> p;
  auto f = p.get_future();
  REQUIRE(f.state_ptr()->wait_assist_if_pending() == nullptr);
  std::latch started(1);
  int got = 0;
  std::thread waiter([&] {
    started.count_down();
    try {
      got = f.result(5s);  // hang guard
    } catch (const timeout_error&) {
      got = -1;
    }
  });
  started.wait();
  p.set_result(7);  // while the waiter spins, or after it parked
  waiter.join();
  REQUIRE(got == 7);
}

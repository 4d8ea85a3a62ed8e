// Issue 7's bad-input table (README.md, "Bad input"), one
// TEST_CASE per row: each misuse gets its exact exception type and message,
// and afterwards the same pool / promise / loop / client still works —
// nothing else is lost. The compile-time row (a non-serializable argument)
// is the build test misuse_non_serializable_argument.

#include <cofutures/as_completed.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/fetch.hpp>
#include <cofutures/future.hpp>
#include <cofutures/http_client.hpp>
#include <cofutures/http_error.hpp>
#include <cofutures/map_options.hpp>
#include <cofutures/process_pool_executor.hpp>
#include <cofutures/promise.hpp>
#include <cofutures/thread_pool_executor.hpp>
#include <cofutures/use_future.hpp>
#include <cofutures/wait.hpp>

#include "support/http_test_helpers.hpp"  // prints std::error_code
#include "support/http_test_server.hpp"

#include <asio/awaitable.hpp>

#include <curl/curl.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
namespace cf = cofutures;

namespace misuse_tasks {

int square(int x) { return x * x; }

}  // namespace misuse_tasks

using misuse_tasks::square;

namespace {

constexpr auto hang_guard = 5s;  // a failure must not hang the suite

const std::vector<int> inputs{1, 2, 3};
const std::vector<int> squares{1, 4, 9};

template <class Range>
std::vector<int> collect(Range&& results) {
  std::vector<int> out;
  for (int v : results) out.push_back(v);
  return out;
}

// The error code of the http_error that call() throws (none if it does not).
template <class Call>
std::error_code http_error_code(Call&& call) {
  try {
    call();
  } catch (const cf::http_error& e) {
    return e.code();
  }
  return {};
}

asio::awaitable<long> get_status(cf::http_client& client, std::string url) {
  auto response = co_await client.async_get(std::move(url));
  co_return response.status;
}

}  // namespace

// ---------------------------------------------------------------- max_workers

TEST_CASE("max_workers 0 or negative: std::invalid_argument at construction", "[misuse]") {
  CHECK_THROWS_AS(cf::thread_pool_executor(0), std::invalid_argument);
  CHECK_THROWS_WITH(cf::thread_pool_executor(0), "max_workers must be greater than 0 (got 0)");
  CHECK_THROWS_WITH(cf::thread_pool_executor(-1), "max_workers must be greater than 0 (got -1)");
  CHECK_THROWS_AS(cf::process_pool_executor(0), std::invalid_argument);
  CHECK_THROWS_WITH(cf::process_pool_executor(0), "max_workers must be greater than 0 (got 0)");
  CHECK_THROWS_WITH(cf::process_pool_executor(-1), "max_workers must be greater than 0 (got -1)");
  CHECK_THROWS_WITH(cf::process_pool_executor(cf::process_pool_options{.max_tasks_per_child = 0}),
                    "max_tasks_per_child must be greater than 0 (got 0)");

  // Nothing else is lost: the next pool of each kind works.
  cf::thread_pool_executor threads(1);
  CHECK(threads.submit(square, 3).result(hang_guard) == 9);
  cf::process_pool_executor processes(1);
  CHECK(processes.submit<&square>(4).result(hang_guard) == 16);
}

// ------------------------------------------------------------------ chunksize

TEST_CASE("map with chunksize 0: std::invalid_argument at the map call", "[misuse]") {
  SECTION("thread pool") {
    cf::thread_pool_executor pool(1);
    CHECK_THROWS_AS(pool.map(square, inputs, cf::map_options{.chunksize = 0}), std::invalid_argument);
    CHECK_THROWS_WITH(pool.map(square, inputs, cf::map_options{.chunksize = 0}), "chunksize must be >= 1");
    CHECK_THROWS_WITH(pool.map(square, inputs, cf::map_options{.chunksize = -1}), "chunksize must be >= 1");
    CHECK_THROWS_WITH(pool.map(square, inputs, cf::map_options{.buffersize = 0}), "buffersize must be none or >= 1");
    CHECK(collect(pool.map(square, inputs, cf::map_options{.chunksize = 2})) == squares);
    CHECK(pool.submit(square, 5).result(hang_guard) == 25);
  }
  SECTION("process pool") {
    cf::process_pool_executor pool(1);
    CHECK_THROWS_AS(pool.map<&square>(inputs, cf::map_options{.chunksize = 0}), std::invalid_argument);
    CHECK_THROWS_WITH(pool.map<&square>(inputs, cf::map_options{.chunksize = 0}), "chunksize must be >= 1");
    CHECK_THROWS_WITH(pool.map<&square>(inputs, cf::map_options{.chunksize = -1}), "chunksize must be >= 1");
    CHECK_THROWS_WITH(pool.map<&square>(inputs, cf::map_options{.buffersize = 0}), "buffersize must be none or >= 1");
    CHECK(collect(pool.map<&square>(inputs, cf::map_options{.chunksize = 2})) == squares);
    CHECK(pool.submit<&square>(5).result(hang_guard) == 25);
  }
}

// -------------------------------------------------------------- timeout < 0
// Python treats a negative timeout as 0 (result() polls, wait() returns at
// once). cofutures rejects it where the duration becomes an
// optional_timeout, before anything waits: std::invalid_argument, whether
// or not the future is done. See the README's "Bad input" table.

TEST_CASE("a negative timeout: std::invalid_argument at the call, the futures unaffected", "[misuse]") {
  cf::thread_pool_executor pool(2);
  // Declared after the pool, so destroyed first: an early exit breaks the
  // promise, which ends the pending task and lets the pool join.
  cf::promise<int> gate;
  auto opened = gate.get_future();
  // The task owns its own copy of the future handle (shared state).
  auto pending = pool.submit([opened] { return opened.result() * 2; });  // runs until the gate opens
  auto done = pool.submit(square, 6);
  REQUIRE(done.result(hang_guard) == 36);
  std::vector<cf::future<int>> both{pending, done};

  SECTION("future::result and future::exception") {
    CHECK_THROWS_AS(pending.result(-1s), std::invalid_argument);
    CHECK_THROWS_WITH(pending.result(-1s), "timeout must not be negative");
    CHECK_THROWS_WITH(pending.result(-1ms), "timeout must not be negative");
    CHECK_THROWS_WITH(pending.result(std::chrono::duration<double>(-0.5)), "timeout must not be negative");
    CHECK_THROWS_WITH(done.result(-1s), "timeout must not be negative");  // even when done
    CHECK_THROWS_WITH(pending.exception(-1s), "timeout must not be negative");
  }
  SECTION("wait") {
    CHECK_THROWS_AS(cf::wait(both, -1s), std::invalid_argument);
    CHECK_THROWS_WITH(cf::wait(both, -1s), "timeout must not be negative");
    CHECK_THROWS_WITH(cf::wait(both, cf::return_when::first_completed, -1s), "timeout must not be negative");
  }
  SECTION("as_completed") {
    CHECK_THROWS_AS(cf::as_completed(both, -1s), std::invalid_argument);
    CHECK_THROWS_WITH(cf::as_completed(both, -1s), "timeout must not be negative");
  }
  SECTION("map") {
    // The map_options themselves refuse it, so map() is never reached.
    CHECK_THROWS_AS(pool.map(square, inputs, cf::map_options{.timeout = -1s}), std::invalid_argument);
    CHECK_THROWS_WITH(pool.map(square, inputs, cf::map_options{.timeout = -1s}), "timeout must not be negative");
    CHECK(collect(pool.map(square, inputs, cf::map_options{.timeout = hang_guard})) == squares);
  }
  // Zero is allowed: it polls (Python's timeout=0).
  CHECK_THROWS_AS(pending.result(0s), cf::timeout_error);
  CHECK(cf::wait(both, 0s).not_done.size() == 1);

  // Nothing else is lost: the pending task finishes once the gate opens.
  gate.set_result(21);
  CHECK(pending.result(hang_guard) == 42);
  CHECK(pool.submit(square, 7).result(hang_guard) == 49);
}

TEST_CASE("a negative timeout in a process pool's map: std::invalid_argument at the call", "[misuse]") {
  cf::process_pool_executor pool(1);
  CHECK_THROWS_AS(pool.map<&square>(inputs, cf::map_options{.timeout = -1s}), std::invalid_argument);
  CHECK_THROWS_WITH(pool.map<&square>(inputs, cf::map_options{.timeout = -1s}), "timeout must not be negative");
  auto f = pool.submit<&square>(8);
  CHECK_THROWS_WITH(f.result(-1s), "timeout must not be negative");
  CHECK(f.result(hang_guard) == 64);
  CHECK(collect(pool.map<&square>(inputs, cf::map_options{.timeout = hang_guard})) == squares);
}

// ------------------------------------------------------ submit after shutdown

TEST_CASE("submit after shutdown: invalid_state_error at the call", "[misuse]") {
  SECTION("thread pool") {
    cf::thread_pool_executor pool(1);
    auto before = pool.submit(square, 2);
    pool.shutdown();
    CHECK_THROWS_AS(pool.submit(square, 3), cf::invalid_state_error);
    CHECK_THROWS_WITH(pool.submit(square, 3), "cannot schedule new futures after shutdown");
    CHECK_THROWS_WITH(pool.map(square, inputs), "cannot schedule new futures after shutdown");
    CHECK_NOTHROW(pool.shutdown());  // a second shutdown is harmless, as in Python
    // Nothing else is lost: work submitted before the shutdown completed.
    CHECK(before.result(hang_guard) == 4);
  }
  SECTION("process pool") {
    cf::process_pool_executor pool(1);
    auto before = pool.submit<&square>(2);
    pool.shutdown();
    CHECK_THROWS_AS(pool.submit<&square>(3), cf::invalid_state_error);
    CHECK_THROWS_WITH(pool.submit<&square>(3), "cannot schedule new futures after shutdown");
    CHECK_THROWS_WITH(pool.map<&square>(inputs), "cannot schedule new futures after shutdown");
    CHECK_NOTHROW(pool.shutdown());
    CHECK(before.result(hang_guard) == 4);
  }
}

// --------------------------------------------------------- set_result twice

TEST_CASE("set_result twice: invalid_state_error, the first result kept", "[misuse]") {
  cf::promise<int> p;
  auto f = p.get_future();
  p.set_result(1);
  CHECK_THROWS_AS(p.set_result(2), cf::invalid_state_error);
  CHECK_THROWS_WITH(p.set_result(2), "future is already done (finished)");
  CHECK_THROWS_WITH(p.set_exception(std::make_exception_ptr(std::runtime_error("late"))),
                    "future is already done (finished)");
  CHECK(f.result() == 1);

  cf::promise<void> cancelled;
  auto g = cancelled.get_future();
  REQUIRE(g.cancel());
  CHECK_THROWS_WITH(cancelled.set_result(), "future is already done (cancelled)");
  CHECK(g.cancelled());
}

// ------------------------------------------------------------ unknown task

TEST_CASE("an unregistered task name: the future fails with invalid_state_error naming it", "[misuse]") {
  cf::process_pool_executor pool(1);
  auto f = pool.submit_by_name<int>("no_such_task", "");
  CHECK_THROWS_AS(f.result(hang_guard), cf::invalid_state_error);
  CHECK_THROWS_WITH(f.result(hang_guard),
                    "unknown task 'no_such_task': no function of that name is registered in the worker process");
  // Nothing else is lost: the same worker pool runs the next task.
  CHECK(pool.submit<&square>(9).result(hang_guard) == 81);
}

// ----------------------------------------------------------------- bad URLs

TEST_CASE("a malformed URL or an unsupported scheme: http_error at the call", "[misuse]") {
  cf::test::http_test_server server;
  const std::string malformed = "http://127.0.0.1:8080:9/";
  const std::string malformed_what = "malformed URL: Port number was not a decimal number between 0 and 65535 (" +
                                     malformed + ")";
  const std::string ftp = "ftp://127.0.0.1/file";
  const std::string ftp_what = "unsupported URL scheme 'ftp' (http and https only) (" + ftp + ")";

  SECTION("http_client::async_get") {
    cf::event_loop loop;
    cf::http_client client(loop.get_executor());
    // Thrown by async_get itself, before anything is awaited or posted.
    CHECK_THROWS_AS(client.async_get(malformed), cf::http_error);
    CHECK_THROWS_WITH(client.async_get(malformed), malformed_what);
    CHECK(http_error_code([&] { (void)client.async_get(malformed); }) == cf::make_curl_error(CURLE_URL_MALFORMAT));
    CHECK_THROWS_AS(client.async_get(ftp), cf::http_error);
    CHECK_THROWS_WITH(client.async_get(ftp), ftp_what);
    CHECK(http_error_code([&] { (void)client.async_get(ftp); }) == cf::make_curl_error(CURLE_UNSUPPORTED_PROTOCOL));
    CHECK_THROWS_WITH(client.async_get(ftp, cf::use_future), ftp_what);
    // Nothing else is lost: the same loop and client fetch a real page.
    CHECK(loop.run(get_status(client, server.url("/bytes/5"))) == 200);
  }
  SECTION("fetch") {
    CHECK_THROWS_AS(cf::fetch(malformed), cf::http_error);
    CHECK_THROWS_WITH(cf::fetch(malformed), malformed_what);
    CHECK(http_error_code([&] { (void)cf::fetch(malformed); }) == cf::make_curl_error(CURLE_URL_MALFORMAT));
    CHECK_THROWS_AS(cf::fetch(ftp), cf::http_error);
    CHECK_THROWS_WITH(cf::fetch(ftp), ftp_what);
    CHECK(http_error_code([&] { (void)cf::fetch(ftp); }) == cf::make_curl_error(CURLE_UNSUPPORTED_PROTOCOL));
    CHECK(cf::fetch(server.url("/bytes/5")).status == 200);
  }
}

#include <cofutures/fetch.hpp>

// fetch(): the blocking request, for code on a thread pool.

#include "support/http_test_helpers.hpp"
#include "support/http_test_server.hpp"

#include <cofutures/future.hpp>
#include <cofutures/http_error.hpp>
#include <cofutures/thread_pool_executor.hpp>
#include <cofutures/wait.hpp>

#include <curl/curl.h>

#include <chrono>
#include <latch>
#include <string>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::fetch;
using cofutures::http_error;
using cofutures::make_curl_error;
using cofutures::test::expected_bytes;
using cofutures::test::http_test_server;

namespace {

template <class F>
std::error_code code_of(F&& call) {
  try {
    call();
  } catch (const http_error& e) {
    return e.code();
  }
  return {};
}

}  // namespace

TEST_CASE("fetch returns the body", "[fetch]") {
  http_test_server server;
  auto response = fetch(server.url("/bytes/1000"));
  CHECK(response.status == 200);
  CHECK(response.body == expected_bytes(1000));
  CHECK(response.effective_url == server.url("/bytes/1000"));
  CHECK(response.http_version == 11);
}

TEST_CASE("fetch returns a 404 as a response", "[fetch]") {
  http_test_server server;
  auto response = fetch(server.url("/status/404"));
  CHECK(response.status == 404);
  CHECK(response.body == "status 404");
}

TEST_CASE("fetch follows redirects", "[fetch]") {
  http_test_server server;
  auto response = fetch(server.url("/redirect/302/2"));
  CHECK(response.status == 200);
  CHECK(response.body == "method=GET");
  CHECK(response.redirect_count == 2);
}

TEST_CASE("fetch of a closed port throws couldnt connect", "[fetch]") {
  auto url = "http://127.0.0.1:" + std::to_string(cofutures::test::closed_port()) + "/";
  CHECK(code_of([&] { fetch(url); }) == make_curl_error(CURLE_COULDNT_CONNECT));
}

TEST_CASE("fetch of a malformed URL or another scheme throws", "[fetch]") {
  CHECK(code_of([] { fetch("http://[::1"); }) == make_curl_error(CURLE_URL_MALFORMAT));
  CHECK(code_of([] { fetch("not a url"); }) == make_curl_error(CURLE_URL_MALFORMAT));
  CHECK(code_of([] { fetch("ftp://127.0.0.1/"); }) == make_curl_error(CURLE_UNSUPPORTED_PROTOCOL));
}

TEST_CASE("fetch of a request honours its timeout", "[fetch]") {
  http_test_server server;
  auto request = cofutures::test::make_request(server.url("/slow-headers/300"));
  request.timeout = 100ms;
  CHECK(code_of([&] { fetch(request); }) == make_curl_error(CURLE_OPERATION_TIMEDOUT));
}

TEST_CASE("fetch from 8 pool threads at once", "[fetch]") {
  http_test_server server;
  constexpr int n = 8;
  std::latch all_started(n);
  std::vector<cofutures::future<cofutures::http_response>> fs;
  auto start = std::chrono::steady_clock::now();
  {
    cofutures::thread_pool_executor pool(n);
    for (int i = 0; i < n; ++i) {
      fs.push_back(pool.submit([&server, &all_started, i] {
        all_started.arrive_and_wait();  // all eight requests are in flight together
        return fetch(server.url("/slow-headers/200?i=" + std::to_string(i)));
      }));
    }
    cofutures::wait(fs);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  for (auto& f : fs) {
    REQUIRE_FALSE(f.exception());
    CHECK(f.result().status == 200);
    CHECK(f.result().body == "slow");
  }
  CHECK(server.requests_served() == n);
  CHECK(server.connections_accepted() == n);
  CHECK(elapsed < 1200ms);  // concurrent: one delay, not eight in a row (1.6 s)
}

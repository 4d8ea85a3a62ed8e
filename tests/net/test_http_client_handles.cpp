#include <cofutures/http_client.hpp>

// What one request leaves behind for the next on the same client: nothing.
// The client reuses libcurl easy handles between requests (reset in
// between, or kept set up from one plain GET to the next, with a URL
// parsed once when it repeats), and sends its User-Agent as a header line
// it builds once; a request's own options, URL, headers and callbacks must
// not leak into the requests after it.

#include "support/http_test_helpers.hpp"
#include "support/http_test_server.hpp"

#include <cofutures/fetch.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::http_client_options;
using cofutures::http_request;
using cofutures::http_response;
using cofutures::test::expected_bytes;
using cofutures::test::http_test_server;
using cofutures::test::make_request;
using cofutures::test::perform_in_sequence;

namespace {

// How many fields of that exact name the response has.
std::size_t count_fields(const http_response& response, std::string_view name) {
  std::size_t n = 0;
  for (const auto& [field, value] : response.headers)
    if (field == name) ++n;
  return n;
}

// The requests one after another through one client; each must get a
// response (an http_error fails the test, naming the request).
std::vector<cofutures::test::outcome> perform_all_answered(const std::vector<http_request>& requests) {
  auto outcomes = perform_in_sequence(requests);
  REQUIRE(outcomes.size() == requests.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    INFO("request " << i << ": " << requests[i].method << " " << requests[i].url << " " << outcomes[i].message);
    REQUIRE(outcomes[i].response);
  }
  return outcomes;
}

http_request with_method(http_request request, std::string method) {
  request.method = std::move(method);
  return request;
}

}  // namespace

TEST_CASE("a request carries nothing of the requests before it on the same client", "[http]") {
  http_test_server server;
  std::string streamed;
  std::vector<http_request> requests;
  auto post = with_method(make_request(server.url("/echo")), "POST");  // 0
  post.body = "first body";
  post.headers.add("X-First", "1");
  requests.push_back(post);
  requests.push_back(make_request(server.url("/echo")));                           // 1
  requests.push_back(with_method(make_request(server.url("/bytes/10")), "HEAD"));  // 2
  requests.push_back(make_request(server.url("/bytes/10")));                       // 3
  auto purge = with_method(make_request(server.url("/echo")), "PURGE");            // 4
  purge.body = "purged";
  requests.push_back(purge);
  requests.push_back(make_request(server.url("/echo")));  // 5
  auto no_follow = make_request(server.url("/redirect/302/1"));  // 6
  no_follow.follow_redirects = false;
  requests.push_back(no_follow);
  requests.push_back(make_request(server.url("/redirect/302/1")));  // 7
  auto streaming = make_request(server.url("/bytes/100"));          // 8
  streaming.on_chunk = [&streamed](std::string_view chunk) {
    streamed += chunk;
    return true;
  };
  requests.push_back(streaming);
  requests.push_back(make_request(server.url("/bytes/100")));  // 9

  auto r = perform_all_answered(requests);
  CHECK(r[0].response->headers.get("X-Echo-Method") == "POST");
  CHECK(r[0].response->body == "first body");
  CHECK(r[0].response->headers.get("X-Echo-X-First") == "1");
  // After a POST with a body and a header: a plain GET, no body, no header.
  CHECK(r[1].response->headers.get("X-Echo-Method") == "GET");
  CHECK(r[1].response->body.empty());
  CHECK_FALSE(r[1].response->headers.get("X-Echo-X-First"));
  // After a HEAD: the body comes again.
  CHECK(r[2].response->body.empty());
  CHECK(r[3].response->body == expected_bytes(10));
  // After a custom method: GET again.
  CHECK(r[4].response->headers.get("X-Echo-Method") == "PURGE");
  CHECK(r[4].response->body == "purged");
  CHECK(r[5].response->headers.get("X-Echo-Method") == "GET");
  // After follow_redirects = false: redirects are followed again.
  CHECK(r[6].response->status == 302);
  CHECK(r[7].response->status == 200);
  CHECK(r[7].response->body == "method=GET");
  CHECK(r[7].response->redirect_count == 1);
  // After a streamed body: the body lands in the response again.
  CHECK(streamed == expected_bytes(100));
  CHECK(r[8].response->body.empty());
  CHECK(r[9].response->body == expected_bytes(100));
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("plain GETs one after another, and other requests between them, each get their own", "[http]") {
  http_test_server server;
  std::vector<http_request> requests;
  requests.push_back(make_request(server.url("/bytes/10")));  // 0
  requests.push_back(make_request(server.url("/bytes/10")));  // 1: the same URL, now parsed once
  requests.push_back(make_request(server.url("/bytes/20")));  // 2: another URL on that handle
  auto post = with_method(make_request(server.url("/echo")), "POST");  // 3
  post.body = "b";
  post.headers.add("X-A", "1");
  requests.push_back(post);
  requests.push_back(make_request(server.url("/echo")));  // 4
  auto timed = make_request(server.url("/echo"));          // 5
  timed.timeout = std::chrono::seconds(5);
  requests.push_back(timed);
  requests.push_back(make_request(server.url("/redirect/302/1")));                 // 6
  requests.push_back(with_method(make_request(server.url("/bytes/10")), "HEAD"));  // 7
  requests.push_back(make_request(server.url("/bytes/10")));                       // 8
  requests.push_back(make_request(server.url("/bytes/10")));                       // 9

  auto r = perform_all_answered(requests);
  CHECK(r[0].response->body == expected_bytes(10));
  CHECK(r[1].response->body == expected_bytes(10));
  CHECK(r[1].response->effective_url == server.url("/bytes/10"));
  CHECK(r[2].response->body == expected_bytes(20));
  CHECK(r[2].response->effective_url == server.url("/bytes/20"));
  CHECK(r[3].response->headers.get("X-Echo-Method") == "POST");
  CHECK(r[3].response->body == "b");
  CHECK(r[4].response->headers.get("X-Echo-Method") == "GET");
  CHECK(r[4].response->body.empty());
  CHECK_FALSE(r[4].response->headers.get("X-Echo-X-A"));
  CHECK(r[5].response->headers.get("X-Echo-Method") == "GET");
  CHECK(r[6].response->status == 200);
  CHECK(r[6].response->body == "method=GET");
  CHECK(r[6].response->redirect_count == 1);
  CHECK(r[7].response->body.empty());
  CHECK(r[8].response->body == expected_bytes(10));
  CHECK(r[9].response->body == expected_bytes(10));
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("User-Agent is the client's option unless the request sends its own", "[http]") {
  http_test_server server;
  auto echo = make_request(server.url("/echo"));
  auto with_header = echo;
  with_header.headers.add("X-Other", "x");
  auto own_agent = echo;
  own_agent.headers.add("user-agent", "mine/1");  // any case replaces the client's

  SECTION("the default") {
    auto r = perform_in_sequence({echo, with_header});
    for (auto& out : r) {
      REQUIRE(out.response);
      CHECK(out.response->headers.get("X-Echo-User-Agent") == "cofutures/0.1");
      CHECK(count_fields(*out.response, "X-Echo-User-Agent") == 1);
    }
    CHECK(r[1].response->headers.get("X-Echo-X-Other") == "x");
  }
  SECTION("http_client_options::user_agent, and a request's own in its place") {
    http_client_options options;
    options.user_agent = "crawler/2";
    auto r = perform_in_sequence({echo, own_agent, with_header, echo}, options);
    std::vector<std::string> expected{"crawler/2", "mine/1", "crawler/2", "crawler/2"};
    for (std::size_t i = 0; i < r.size(); ++i) {
      INFO("request " << i);
      REQUIRE(r[i].response);
      CHECK(r[i].response->headers.get("X-Echo-User-Agent") == expected[i]);
      CHECK(count_fields(*r[i].response, "X-Echo-User-Agent") == 1);
    }
  }
  SECTION("an empty user_agent sends none") {
    http_client_options options;
    options.user_agent = "";
    auto r = perform_in_sequence({echo, with_header, own_agent}, options);
    REQUIRE(r[0].response);
    CHECK(count_fields(*r[0].response, "X-Echo-User-Agent") == 0);
    REQUIRE(r[1].response);
    CHECK(count_fields(*r[1].response, "X-Echo-User-Agent") == 0);
    REQUIRE(r[2].response);
    CHECK(r[2].response->headers.get("X-Echo-User-Agent") == "mine/1");
  }
  SECTION("fetch() sends the default") {
    auto response = cofutures::fetch(server.url("/echo"));
    CHECK(response.headers.get("X-Echo-User-Agent") == "cofutures/0.1");
    CHECK(count_fields(response, "X-Echo-User-Agent") == 1);
  }
}

#include <cofutures/http_client.hpp>

// Against a real server: scripts/with-nginx starts Debian's nginx on free
// loopback ports and runs this test with its addresses in the environment.

#include <cofutures/event_loop.hpp>
#include <cofutures/future.hpp>
#include <cofutures/use_future.hpp>
#include <cofutures/wait.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::future;
using cofutures::http_client;
using cofutures::http_client_options;
using cofutures::http_request;
using cofutures::http_response;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) FAIL(name << " is not set: run this test through scripts/with-nginx");
  return v;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string run_tag() {
  std::random_device rd;
  return std::to_string(rd()) + std::to_string(rd());
}

// The nginx connection ids that served the requests carrying `tag`.
std::set<std::string> connections_for(const std::string& tag, std::size_t& requests, std::string& protocol) {
  std::ifstream log(env("COFUTURES_NGINX_LOG"));
  std::set<std::string> ids;
  requests = 0;
  std::string connection, count, proto, uri, status;
  while (log >> connection >> count >> proto >> uri >> status) {
    if (uri.find("run=" + tag) == std::string::npos) continue;
    ids.insert(connection);
    protocol = proto;
    ++requests;
  }
  return ids;
}

struct outcome {
  std::size_t ok = 0;
  std::size_t wrong_body = 0;
  std::size_t failed = 0;
  std::set<long> versions;
};

// n requests at once on one loop thread, as futures.
outcome get_many(const std::string& base, const std::string& tag, int n, http_request prototype,
                 const http_client_options& options) {
  auto expected = read_file(env("COFUTURES_NGINX_WWW") + "/small.html");
  outcome out;
  cofutures::event_loop loop;
  loop.run([&]() -> asio::awaitable<void> {
    http_client client(loop.get_executor(), options);
    std::vector<future<http_response>> fs;
    for (int i = 0; i < n; ++i) {
      auto request = prototype;
      request.url = base + "/small.html?run=" + tag + "&i=" + std::to_string(i);
      fs.push_back(client.async_request(std::move(request), cofutures::use_future));
    }
    co_await cofutures::async_wait(fs);
    for (auto& f : fs) {
      if (f.exception()) {
        ++out.failed;
        continue;
      }
      auto r = f.result();
      out.versions.insert(r.http_version);
      (r.status == 200 && r.body == expected ? out.ok : out.wrong_body)++;
    }
  }());
  return out;
}

}  // namespace

TEST_CASE("1000 concurrent GETs over HTTP/1.1 on a bounded number of connections", "[nginx]") {
  auto tag = run_tag();
  http_request prototype;
  prototype.version = cofutures::http_version::http1_1;
  auto out = get_many(env("COFUTURES_NGINX_HTTP"), tag, 1000, prototype, {.max_host_connections = 16});
  CHECK(out.failed == 0);
  CHECK(out.wrong_body == 0);
  CHECK(out.ok == 1000);
  CHECK(out.versions == std::set<long>{11});
  std::size_t requests = 0;
  std::string protocol;
  auto ids = connections_for(tag, requests, protocol);
  CHECK(requests == 1000);
  CHECK(protocol == "HTTP/1.1");
  CHECK(ids.size() >= 1);
  CHECK(ids.size() <= 16);  // reused, never more than the per-host limit
}

TEST_CASE("1000 concurrent GETs over HTTP/2 and TLS share one connection", "[nginx]") {
  auto tag = run_tag();
  http_request prototype;
  prototype.version = cofutures::http_version::http2_tls;
  prototype.ca_file = env("COFUTURES_NGINX_CA");  // verification stays on
  // One connection per host: the requests beyond the server's stream limit
  // queue for a free stream instead of opening more connections.
  auto out = get_many(env("COFUTURES_NGINX_HTTPS"), tag, 1000, prototype, {.max_host_connections = 1});
  CHECK(out.failed == 0);
  CHECK(out.wrong_body == 0);
  CHECK(out.ok == 1000);
  CHECK(out.versions == std::set<long>{20});
  std::size_t requests = 0;
  std::string protocol;
  auto ids = connections_for(tag, requests, protocol);
  CHECK(requests == 1000);
  CHECK(protocol == "HTTP/2.0");
  CHECK(ids.size() == 1);  // multiplexed: curl waits for the first connection (PIPEWAIT)
}

TEST_CASE("TLS verification is on by default", "[nginx]") {
  // The self-signed certificate is not in the system's store.
  auto out = get_many(env("COFUTURES_NGINX_HTTPS"), run_tag(), 1, http_request{}, {});
  CHECK(out.failed == 1);
}

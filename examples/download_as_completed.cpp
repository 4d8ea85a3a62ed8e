// "as_complete": two downloads on a thread pool, each page printed (first 25
// characters, after its URL) as soon as it is in, whatever the submit order.
// With no URL arguments the embedded loopback server answers the first
// request 300 ms late, so the second page comes first.
#include <cofutures/cofutures.hpp>

#include "support/loopback_server.hpp"

#include <iostream>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cf = cofutures;

std::string download(std::string url) { return cf::fetch(std::move(url)).body; }

int main(int argc, char** argv) {
  std::optional<cofutures_examples::loopback_server> server;
  std::vector<std::string> urls(argv + 1, argv + argc);
  if (urls.empty()) {
    server.emplace();
    urls = {server->url("/slow?delay_ms=300"), server->url("/fast")};
  }

  cf::thread_pool_executor executor;
  std::unordered_map<cf::future<std::string>, std::string> future_to_url;
  std::vector<cf::future<std::string>> futures;
  for (const auto& url : urls) {
    futures.push_back(executor.submit(download, url));
    future_to_url[futures.back()] = url;
  }
  for (const auto& f : cf::as_completed(futures))
    std::cout << future_to_url[f] << ": " << f.result().substr(0, 25) << '\n';
}

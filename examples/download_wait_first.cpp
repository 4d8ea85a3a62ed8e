// "Waiting On Futures": two downloads on a thread pool, then
// wait(return_when::first_completed) returns as soon as one page is in; only
// the done ones are printed (first 25 characters). With no URL arguments the
// embedded loopback server answers the first request 500 ms late, so the
// second one wins.
#include <cofutures/cofutures.hpp>

#include "support/loopback_server.hpp"

#include <chrono>
#include <iostream>
#include <optional>
#include <string>

namespace cf = cofutures;

std::string download(std::string url) { return cf::fetch(std::move(url)).body; }

int main(int argc, char** argv) {
  std::optional<cofutures_examples::loopback_server> server;
  std::string url1 = argc > 1 ? argv[1] : server.emplace().url("/slow?delay_ms=500");
  std::string url2 = argc > 2 ? argv[2] : server ? server->url("/fast") : url1;

  auto t1 = std::chrono::steady_clock::now();
  cf::thread_pool_executor executor;
  auto f1 = executor.submit(download, url1);
  auto f2 = executor.submit(download, url2);
  auto t2 = std::chrono::steady_clock::now();
  std::cout << std::chrono::duration<double, std::milli>(t2 - t1).count() << '\n';
  auto res = cf::wait({f1, f2}, cf::return_when::first_completed);
  std::cout << "done: " << res.done.size() << ", not done: " << res.not_done.size() << '\n';
  for (const auto& f : res.done) std::cout << f.result().substr(0, 25) << '\n';
}

// "Example 3": the same N HTTP requests (default 10) one at a time, then all
// at once with a thread pool's map; both timings. Usage:
//   http_sequential_vs_concurrent [--count N] [URL]
// With no URL the embedded loopback server answers each request 100 ms late
// (a slow API): sequential takes N x 100 ms, concurrent about 100 ms.
#include <cofutures/cofutures.hpp>

#include "support/loopback_server.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace cf = cofutures;

long get(std::string url) { return cf::fetch(std::move(url)).status; }

template <class Fn>
double milliseconds(Fn fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

int main(int argc, char** argv) {
  std::size_t n = 10;
  std::string url;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--count" && i + 1 < argc)
      n = std::stoul(argv[++i]);
    else
      url = arg;
  }
  std::optional<cofutures_examples::loopback_server> server;
  if (url.empty()) url = server.emplace().url("/api/items?delay_ms=100");
  std::vector<std::string> urls(n, url);

  std::size_t ok = 0;
  double sequential = milliseconds([&] {
    for (const auto& u : urls) ok += get(u) == 200;
  });
  std::cout << "sequential: " << n << " requests in " << static_cast<long>(sequential) << " ms, " << ok
            << " with status 200\n";

  ok = 0;
  double concurrent = milliseconds([&] {
    cf::thread_pool_executor executor(static_cast<long>(std::max<std::size_t>(n, 1)));
    for (long status : executor.map(get, urls)) ok += status == 200;
  });
  std::cout << "concurrent: " << n << " requests in " << static_cast<long>(concurrent) << " ms, " << ok
            << " with status 200\n";
  std::cout << "concurrent was faster: " << (concurrent < sequential ? "yes" : "no") << '\n';
}

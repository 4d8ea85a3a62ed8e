// "I/O-bound example": two downloads submitted to a thread pool; prints the
// time submit took (ms: it does not wait for the downloads) and the first 25
// characters of each page. `--processes` runs the same on a process pool, the
// only change being the executor (and the `if __name__ == '__main__'` line).
// Optional URL arguments; with none, an embedded loopback server stands in
// for www.example.com.
#include <cofutures/cofutures.hpp>

#include "support/loopback_server.hpp"

#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace cf = cofutures;

std::string download(std::string url) { return cf::fetch(std::move(url)).body; }

template <class Executor, class Submit>
void download_two(Executor& executor, Submit submit, const std::string& url1, const std::string& url2) {
  auto t1 = std::chrono::steady_clock::now();
  auto f1 = submit(executor, url1);
  auto f2 = submit(executor, url2);
  auto t2 = std::chrono::steady_clock::now();
  std::cout << std::chrono::duration<double, std::milli>(t2 - t1).count() << '\n';
  std::cout << f1.result().substr(0, 25) << '\n';
  std::cout << f2.result().substr(0, 25) << '\n';
}

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);  // if __name__ == '__main__':
  bool processes = false;
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--processes")
      processes = true;
    else
      urls.push_back(arg);
  }
  std::optional<cofutures_examples::loopback_server> server;
  if (urls.empty()) urls.push_back(server.emplace().url("/"));
  std::string url2 = urls.size() > 1 ? urls[1] : urls[0];

  if (processes) {
    cf::process_pool_executor executor;
    download_two(executor, [](auto& ex, const std::string& url) { return ex.template submit<&download>(url); },
                 urls[0], url2);
  } else {
    cf::thread_pool_executor executor;
    download_two(executor, [](auto& ex, const std::string& url) { return ex.submit(download, url); }, urls[0], url2);
  }
}

// The downloads of download_threads as coroutines on one event loop (the
// design card's web client): every page is `co_await client.async_get(url)`
// in its own task (asyncio.create_task), all at once on one thread, a
// progress bar (stderr) ticking as each completes, then a summary: pages,
// statuses, bytes, time, and every failed URL with its error. Usage:
//   download_async [--count N] [URL...]
// With no URLs, N pages (default 40) come from the embedded loopback server,
// each answered after its own small delay so they complete out of order. An
// argument starting with '/' is a path on the embedded server. With --count
// and URLs, N downloads cycle through the URLs.
#include <cofutures/cofutures.hpp>

#include "support/loopback_server.hpp"

#include <chrono>
#include <cstddef>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cf = cofutures;

struct page {
  std::string url;
  long status = 0;  // 0: failed, see error
  std::size_t bytes = 0;
  std::string error;
};

asio::awaitable<page> download(cf::http_client& client, std::string url, cf::progress_bar& bar) {
  page p;
  p.url = url;
  try {
    cf::http_response response = co_await client.async_get(url);
    p.status = response.status;
    p.bytes = response.body.size();
  } catch (const cf::http_error& e) {  // refused, timed out, malformed URL...: names the URL
    p.error = e.what();
  } catch (const std::exception& e) {
    p.error = std::string(e.what()) + " (" + url + ")";
  }
  bar.update();
  co_return p;
}

asio::awaitable<std::vector<page>> download_all(std::vector<std::string> urls) {
  cf::http_client client;  // on the running loop
  cf::progress_bar bar(urls.size(), "download");
  std::vector<cf::future<page>> tasks;
  for (const auto& url : urls) tasks.push_back(cf::event_loop::current()->spawn(download(client, url, bar)));
  // The tasks hold references to client and bar: both outlive them here.
  std::vector<page> pages = co_await cf::gather(tasks);
  bar.close();
  co_return pages;
}

std::string status_text(long status) {
  switch (status) {
    case 200: return "200 OK";
    case 301: return "301 Moved Permanently";
    case 302: return "302 Found";
    case 403: return "403 Forbidden";
    case 404: return "404 Not Found";
    case 500: return "500 Internal Server Error";
    case 503: return "503 Service Unavailable";
    default: return "status " + std::to_string(status);
  }
}

void print_summary(const std::vector<page>& pages, double ms) {
  std::map<long, std::size_t> statuses;  // 0: failed
  std::size_t bytes = 0;
  for (const auto& p : pages) {
    ++statuses[p.status];
    bytes += p.bytes;
  }
  std::cout << pages.size() << (pages.size() == 1 ? " page" : " pages");
  for (auto [status, n] : statuses)
    if (status != 0) std::cout << ", " << status_text(status) << ": " << n;
  if (statuses.count(0)) std::cout << ", failed: " << statuses[0];
  std::cout << ", " << bytes << " bytes in " << static_cast<long>(ms) << " ms\n";
  for (const auto& p : pages)
    if (p.status == 0) std::cout << "  failed: " << p.error << '\n';
}

int main(int argc, char** argv) {
  std::optional<std::size_t> count;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--count" && i + 1 < argc)
      count = std::stoul(argv[++i]);
    else
      args.push_back(arg);
  }
  std::optional<cofutures_examples::loopback_server> server;
  auto local = [&](const std::string& path) { return (server ? *server : server.emplace()).url(path); };
  std::vector<std::string> urls;
  if (args.empty()) {
    for (std::size_t i = 0; i < count.value_or(40); ++i)
      urls.push_back(local("/page/" + std::to_string(i) + "?delay_ms=" + std::to_string(i * 37 % 200)));
  } else {
    for (std::size_t i = 0; i < count.value_or(args.size()); ++i) {
      const std::string& arg = args[i % args.size()];
      urls.push_back(arg.starts_with('/') ? local(arg) : arg);
    }
  }

  auto start = std::chrono::steady_clock::now();
  std::vector<page> pages = cf::run(download_all(urls));
  print_summary(pages, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
}

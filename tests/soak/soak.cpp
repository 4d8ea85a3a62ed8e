// The soak test (issue 7): many futures across a thread pool and a process
// pool with random cancels, timeouts, exceptions and now and then a worker
// killed, then many HTTP requests with the test server's fault routes mixed
// in. Every future must complete exactly once with its value or the right
// error; afterwards no descriptor, child process or thread may remain, and
// peak RSS must stay bounded. Prints the counts; exits 1 on any violation.
//
//   soak [--futures N] [--http M] [--seed S]     (make soak: the full run)
#include <cofutures/cofutures.hpp>

#include "support/http_test_server.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cf = cofutures;
using namespace std::chrono_literals;

namespace {

struct options {
  long futures = 100'000;
  long http = 10'000;
  unsigned seed = 1;
};

std::vector<std::string> g_errors;

void violation(const std::string& what) {
  if (g_errors.size() < 20) std::cout << "VIOLATION: " << what << std::endl;
  g_errors.push_back(what);
}

std::size_t count_entries(const char* dir) {
  std::size_t n = 0;
  if (DIR* d = ::opendir(dir)) {
    while (auto* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

std::size_t open_fds() { return count_entries("/proc/self/fd") - 1; }  // minus opendir's own
std::size_t threads() { return count_entries("/proc/self/task"); }

std::string thread_names() {
  std::string names;
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return names;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
    std::string name;
    std::getline(comm, name);
    names += " '" + name + "'";
  }
  ::closedir(d);
  return names;
}

// Each child process left, as "pid name state", from /proc.
std::vector<std::string> child_processes() {
  std::vector<std::string> found;
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return found;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream children(std::string("/proc/self/task/") + e->d_name + "/children");
    long pid;
    while (children >> pid) {
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string line;
      std::getline(stat, line);
      auto close = line.rfind(')');
      auto open = line.find('(');
      std::string name = open != std::string::npos && close != std::string::npos ? line.substr(open + 1, close - open - 1) : "?";
      std::string state = close != std::string::npos && close + 2 < line.size() ? line.substr(close + 2, 1) : "?";
      found.push_back(std::to_string(pid) + " '" + name + "' " + state);
    }
  }
  ::closedir(d);
  return found;
}

long peak_rss_mib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

// Worker-process tasks.
long twice(long x) { return 2 * x; }
long fail_remotely(long x) { throw std::invalid_argument("remote failure " + std::to_string(x)); }
long die(long) {
  ::raise(SIGKILL);  // a worker killed mid-task
  return 0;
}

enum class kind { value, error, cancel, timeout, kill };

// One future's expectations, checked by its done-callback and at the end.
struct record {
  long input = 0;
  kind what = kind::value;
  bool process = false;
  bool cancel_won = false;
  std::atomic<int> callbacks{0};
};

struct tally {
  std::atomic<long> values{0}, errors{0}, cancelled{0}, timeouts{0}, broken{0};
};

// Checks a finished future against what its task was meant to do.
template <class T>
void check_outcome(const cf::future<T>& f, const record& r, tally& t) {
  if (f.cancelled()) {
    if (r.what != kind::cancel) violation("future " + std::to_string(r.input) + " cancelled unasked");
    ++t.cancelled;
    return;
  }
  try {
    auto v = f.result(0ms);
    long want = r.process ? 2 * r.input : r.input + 1;
    if (v != want) violation("future " + std::to_string(r.input) + " has a wrong value");
    if (r.what == kind::error || r.what == kind::kill) violation("future " + std::to_string(r.input) + " did not fail");
    ++t.values;
  } catch (const cf::broken_process_pool&) {
    if (!r.process) violation("a thread-pool future failed with broken_process_pool");
    ++t.broken;
  } catch (const std::invalid_argument& e) {
    if (r.what != kind::error) violation(std::string("unexpected error: ") + e.what());
    ++t.errors;
  } catch (const std::exception& e) {
    violation("future " + std::to_string(r.input) + ": unexpected " + e.what());
  }
}

void soak_futures(const options& o, std::mt19937& rng) {
  tally t;
  long kills = 0, pools = 1;
  cf::thread_pool_executor threads(4);
  auto processes = std::make_unique<cf::process_pool_executor>(2);
  constexpr long batch = 2000;
  std::uniform_int_distribution<int> pick(0, 999);
  // Every done-callback reports here; a batch is over when all have run.
  std::mutex mutex;
  std::condition_variable callbacks_ran;
  long callbacks = 0;
  for (long start = 0; start < o.futures; start += batch) {
    std::vector<std::unique_ptr<record>> records;
    std::vector<cf::future<long>> futures;
    for (long i = start; i < std::min(start + batch, o.futures); ++i) {
      auto r = std::make_unique<record>();
      r->input = i;
      int p = pick(rng);
      r->process = p % 2 == 1;
      r->what = p < 100 ? kind::error : p < 200 ? kind::cancel : p < 250 ? kind::timeout : kind::value;
      if (r->process && p == 999) r->what = kind::kill;
      cf::future<long> f;
      if (r->process) {
        try {
          f = r->what == kind::kill    ? processes->submit<&die>(i)
              : r->what == kind::error ? processes->submit<&fail_remotely>(i)
                                       : processes->submit<&twice>(i);
        } catch (const cf::broken_process_pool&) {
          // The pool broke under an earlier kill: Python's answer too. A new pool.
          processes = std::make_unique<cf::process_pool_executor>(2);
          ++pools;
          f = processes->submit<&twice>(i);
          r->what = kind::value;
        }
        kills += r->what == kind::kill;
      } else {
        f = r->what == kind::error
                ? threads.submit([i]() -> long { throw std::invalid_argument("failure " + std::to_string(i)); })
                : threads.submit([i] { return i + 1; });
      }
      f.add_done_callback([rec = r.get(), &mutex, &callbacks, &callbacks_ran](const cf::future<long>&) {
        ++rec->callbacks;
        std::lock_guard lock(mutex);  // the batch's count is shared by every completing thread
        ++callbacks;
        callbacks_ran.notify_all();
      });
      if (r->what == kind::cancel) r->cancel_won = f.cancel();
      if (r->what == kind::timeout) {
        try {
          (void)f.result(0ms);  // done already, or timeout_error: both fine, nothing lost
        } catch (const cf::timeout_error&) {
          ++t.timeouts;
        } catch (...) {
        }
      }
      futures.push_back(f);
      records.push_back(std::move(r));
    }
    auto [done, not_done] = cf::wait(futures, 60s);
    if (!not_done.empty()) violation(std::to_string(not_done.size()) + " futures never completed");
    for (std::size_t k = 0; k < futures.size(); ++k) {
      check_outcome(futures[k], *records[k], t);
      if (records[k]->cancel_won && !futures[k].cancelled()) violation("a won cancel did not stick");
    }
    {
      // Callbacks run just after a future is set, on the completing thread.
      std::unique_lock lock(mutex);  // see the callback
      bool all = callbacks_ran.wait_for(lock, 60s, [&] { return callbacks >= static_cast<long>(futures.size()); });
      if (!all) violation("done-callbacks missing: " + std::to_string(futures.size() - callbacks));
      callbacks = 0;
    }
    for (auto& r : records) {
      int c = r->callbacks.load();
      if (c != 1) violation("future " + std::to_string(r->input) + " ran its callback " + std::to_string(c) + " times");
    }
  }
  processes.reset();
  std::cout << "futures: " << o.futures << " (values " << t.values << ", errors " << t.errors << ", cancelled "
            << t.cancelled << ", broken_process_pool " << t.broken << ", result(0) timeouts " << t.timeouts
            << "), workers killed " << kills << ", process pools " << pools << std::endl;
}

struct http_tally {
  long ok = 0, errors = 0, statuses = 0, completions = 0;
};

void soak_http(const options& o, std::mt19937& rng) {
  cf::test::http_test_server server;
  http_tally t;
  std::vector<int> completions(static_cast<std::size_t>(o.http), 0);
  asio::io_context ctx;
  std::function<void()> start;  // outlives the client, whose destructor completes what is left
  {
    cf::http_client client(ctx.get_executor());
    const char* routes[] = {"/bytes/3000", "/status/503", "/empty", "/reset", "/drop/10/100", "/redirect/302/2",
                            "/close",      "/stall/10",   "/bytes/10"};
    std::uniform_int_distribution<int> pick(0, 99);
    long next = 0;
    start = [&] {
      long i = next++;
      if (i >= o.http) return;
      int p = pick(rng);
      // Mostly good pages; a fifth from the fault routes.
      int route = p < 80 ? (p % 2 ? 0 : 8) : 1 + p % 7;
      cf::http_request req;
      req.url = server.url(routes[route]);
      req.timeout = route == 7 ? 300ms : 30s;  // /stall: a timeout error
      client.async_request(std::move(req), [&, i, route](std::exception_ptr e, cf::http_response r) {
        ++completions[static_cast<std::size_t>(i)];
        ++t.completions;
        bool fault = (route >= 2 && route <= 4) || route == 7;
        if (e) {
          if (!fault) violation("request " + std::to_string(i) + " to " + routes[route] + " failed");
          ++t.errors;
        } else if (route == 1) {
          if (r.status != 503) violation("/status/503 gave " + std::to_string(r.status));
          ++t.statuses;
        } else {
          if (fault) violation(std::string("fault route ") + routes[route] + " succeeded");
          std::size_t len = route == 0 ? 3000 : route == 8 ? 10 : r.body.size();
          if (r.status != 200 || r.body.size() != len ||
              ((route == 0 || route == 8) && r.body != cf::test::expected_bytes(len))) {
            violation("request " + std::to_string(i) + " to " + routes[route] + ": wrong response");
          }
          ++t.ok;
        }
        start();
      });
    };
    for (int k = 0; k < 64; ++k) start();
    ctx.run();
  }
  for (long i = 0; i < o.http; ++i) {
    if (completions[static_cast<std::size_t>(i)] != 1) violation("request " + std::to_string(i) + " completed " +
                                                                  std::to_string(completions[i]) + " times");
  }
  std::cout << "http: " << o.http << " requests (ok " << t.ok << ", 503 " << t.statuses << ", transport errors "
            << t.errors << "), " << server.connections_accepted() << " connections" << std::endl;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--futures") o.futures = std::stol(argv[i + 1]);
    else if (a == "--http") o.http = std::stol(argv[i + 1]);
    else if (a == "--seed") o.seed = static_cast<unsigned>(std::stoul(argv[i + 1]));
    else throw std::invalid_argument("unknown option " + a);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  auto o = parse(argc, argv);
  std::mt19937 rng(o.seed);
  auto fds = open_fds();
  // ThreadSanitizer starts a background thread of its own with the first
  // thread of the program: let it exist before counting.
  std::thread([] {}).join();
  auto threads_before = threads();
  auto started = std::chrono::steady_clock::now();
  soak_futures(o, rng);
  soak_http(o, rng);
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto fds_after = open_fds();
  auto threads_after = threads();
  auto children = child_processes();
  if (fds_after != fds) violation("descriptors: " + std::to_string(fds) + " before, " + std::to_string(fds_after) + " after");
  if (threads_after != threads_before) {
    violation(std::to_string(threads_after) + " threads remain (" + std::to_string(threads_before) +
              " before):" + thread_names());
  }
  if (!children.empty()) {
    std::string list;
    for (auto& c : children) list += " [" + c + "]";
    violation(std::to_string(children.size()) + " child processes remain:" + list);
  }
  long rss = peak_rss_mib();
  if (rss > 512) violation("peak RSS " + std::to_string(rss) + " MiB");
  std::cout << "after: descriptors " << fds_after << " (before " << fds << "), threads " << threads_after
            << " (before " << threads_before << "), child processes " << children.size() << ", peak RSS " << rss << " MiB, " << seconds << " s" << std::endl;
  std::cout << (g_errors.empty() ? "soak: passed" : "soak: FAILED (" + std::to_string(g_errors.size()) + " violations)")
            << std::endl;
  return g_errors.empty() ? 0 : 1;
}

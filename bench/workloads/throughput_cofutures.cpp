// throughput, cofutures: a million trivial tasks on a thread pool, their
// futures awaited on the loop, either all at once (async_wait, then each
// result) or through done-callbacks that run on the loop thread.
//   throughput_cofutures --n 1000000 --workers 2 --mode wait|callbacks
#include "common.hpp"

#include <cofutures/cofutures.hpp>

#include <vector>

namespace cf = cofutures;

namespace {

long with_wait(cf::thread_pool_executor& pool, long n) {
  long sum = 0;
  cf::run([&]() -> asio::awaitable<void> {
    auto trivial = [] { return 1; };
    std::vector<cf::future<int>> fs;
    fs.reserve(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) fs.push_back(pool.submit(trivial));
    co_await cf::async_wait(fs);
    for (auto& f : fs) sum += f.result();
  }());
  return sum;
}

long with_callbacks(cf::thread_pool_executor& pool, long n) {
  long sum = 0;
  long left = n;
  cf::run([&]() -> asio::awaitable<void> {
    auto trivial = [] { return 1; };
    cf::promise<void> all_done;
    auto finished = all_done.get_future();
    // The futures are bound to this loop: callbacks run on its thread, so
    // sum and left need no synchronization.
    auto on_done = [&](cf::future<int> f) {
      sum += f.result();
      if (--left == 0) all_done.set_result();
    };
    for (long i = 0; i < n; ++i) pool.submit(trivial).add_done_callback(on_done);
    co_await finished.async_result();
  }());
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  bench::args args(argc, argv);
  const long n = args.number("n", 1000000);
  const long workers = args.number("workers", 2);
  const std::string mode = args.text("mode", "wait");
  cf::thread_pool_executor pool(workers);
  with_wait(pool, 1000);  // start the threads
  bench::stopwatch clock;
  long sum = mode == "callbacks" ? with_callbacks(pool, n) : with_wait(pool, n);
  double seconds = clock.seconds();
  bench::check(sum == n, "every task ran once");
  bench::result("throughput", mode == "callbacks" ? "cofutures_callbacks" : "cofutures_wait").print(seconds, n);
}

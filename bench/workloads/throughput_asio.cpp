// throughput, raw Asio baseline: post a million trivial tasks to an
// asio::thread_pool; each posts its result back to the loop, which counts.
//   throughput_asio --n 1000000 --workers 2
#include "common.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

namespace {

long batch(asio::io_context& loop, asio::thread_pool& pool, long n) {
  loop.restart();
  auto guard = asio::make_work_guard(loop);
  long sum = 0;
  long left = n;
  for (long i = 0; i < n; ++i) {
    asio::post(pool, [&] {
      int r = 1;  // the trivial task
      // sum and left are touched on the loop thread only.
      asio::post(loop, [&, r] {
        sum += r;
        if (--left == 0) guard.reset();
      });
    });
  }
  loop.run();
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  bench::args args(argc, argv);
  const long n = args.number("n", 1000000);
  const long workers = args.number("workers", 2);
  asio::io_context loop;
  asio::thread_pool pool(static_cast<std::size_t>(workers));
  batch(loop, pool, 1000);
  bench::stopwatch clock;
  long sum = batch(loop, pool, n);
  double seconds = clock.seconds();
  pool.join();
  bench::check(sum == n, "every task ran once");
  bench::result("throughput", "asio").print(seconds, n);
}

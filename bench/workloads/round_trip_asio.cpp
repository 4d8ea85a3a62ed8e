// round trip, raw Asio baseline: post a trivial task from the loop to a
// thread pool of one, post its result back, repeat. Nothing else.
//   round_trip_asio --n 200000
#include "common.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

namespace {

struct ping {
  asio::io_context& loop;
  asio::thread_pool& pool;
  asio::executor_work_guard<asio::io_context::executor_type>& guard;
  long& left;
  long& sum;

  // On the loop: one more hop, or let loop.run() return. left and sum are
  // touched on the loop thread only; the pool side just posts back.
  void operator()() const {
    if (left-- == 0) {
      guard.reset();
      return;
    }
    asio::post(pool, [self = *this] {
      int r = 1;  // the trivial task
      asio::post(self.loop, [self, r] {
        self.sum += r;
        self();
      });
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  bench::args args(argc, argv);
  const long n = args.number("n", 200000);
  const long warmup = args.number("warmup", 1000);
  asio::io_context loop;
  asio::thread_pool pool(1);
  long sum = 0;
  auto run = [&](long count) {
    loop.restart();
    auto guard = asio::make_work_guard(loop);
    long left = count;
    asio::post(loop, ping{loop, pool, guard, left, sum});
    loop.run();
  };
  run(warmup);
  bench::stopwatch clock;
  run(n);
  double seconds = clock.seconds();
  pool.join();
  bench::check(sum == warmup + n, "every task ran once");
  bench::result("round_trip", "asio").print(seconds, n);
}

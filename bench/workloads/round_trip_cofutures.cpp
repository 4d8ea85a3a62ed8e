// round trip, cofutures: a coroutine on the loop awaits one trivial task on
// a thread pool of one, again and again.
//   round_trip_cofutures --n 200000 [--signals 0]
// --signals 0: an event_loop without asyncio.run's SIGINT/SIGTERM handling
// (cf::run has it; its signal_set makes the loop sleep in epoll).
#include "common.hpp"

#include <cofutures/cofutures.hpp>

namespace cf = cofutures;

int main(int argc, char** argv) {
  bench::args args(argc, argv);
  const long n = args.number("n", 200000);
  const long warmup = args.number("warmup", 1000);
  cf::thread_pool_executor pool(1);
  auto trivial = [] { return 1; };
  const bool signals = args.number("signals", 1) != 0;
  long sum = 0;
  double seconds = 0;
  cf::event_loop loop({.handle_signals = signals});
  loop.run([&]() -> asio::awaitable<void> {
    bench::stopwatch clock;
    for (long i = 0; i < warmup + n; ++i) {
      if (i == warmup) clock.restart();  // the pool's thread has started by now
      auto f = pool.submit(trivial);
      sum += co_await f.async_result();
    }
    seconds = clock.seconds();
  }());
  bench::check(sum == warmup + n, "every task ran once");
  bench::result("round_trip", signals ? "cofutures" : "cofutures_no_signals").print(seconds, n);
}

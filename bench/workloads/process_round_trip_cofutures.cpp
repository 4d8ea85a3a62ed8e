// process round trip, cofutures: one trivial task to a process pool of
// one worker and its result back, again and again.
//   process_round_trip_cofutures --n 20000
#include "common.hpp"

#include <cofutures/cofutures.hpp>

namespace cf = cofutures;

int trivial(int x) { return x + 1; }

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  bench::args args(argc, argv);
  const long n = args.number("n", 20000);
  const long warmup = args.number("warmup", 100);
  cf::process_pool_executor pool(1);
  long sum = 0;
  bench::stopwatch clock;
  for (long i = 0; i < warmup + n; ++i) {
    if (i == warmup) clock.restart();  // the worker has started by now
    sum += pool.submit<&trivial>(1).result();
  }
  double seconds = clock.seconds();
  bench::check(sum == 2 * (warmup + n), "every task ran once");
  bench::result("process_round_trip", "cofutures").print(seconds, n);
}

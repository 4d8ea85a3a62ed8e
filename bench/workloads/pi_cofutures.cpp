// pi, cofutures: examples/pi.cpp's two halves of the series on a process
// pool of `workers` (1 or 2); bench/run compares the two.
//   pi_cofutures --workers 2 --n 10000000 --reps 10
#include "common.hpp"

#include <cofutures/cofutures.hpp>

#include <cmath>
#include <numbers>

namespace cf = cofutures;

double my_pi(long m, long n) {
  double pi = 0;
  for (long k = m; k <= n; ++k) {
    double s = k % 2 ? 1.0 : -1.0;
    pi += s / static_cast<double>(2 * k - 1);
  }
  return pi * 4;
}

namespace {

double compute(cf::process_pool_executor& pool, long n) {
  auto f1 = pool.submit<&my_pi>(1L, n / 2);
  auto f2 = pool.submit<&my_pi>(n / 2 + 1, n);
  return f1.result() + f2.result();
}

}  // namespace

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  bench::args args(argc, argv);
  const long n = args.number("n", 10000000);
  const long workers = args.number("workers", 2);
  const long reps = args.number("reps", 10);
  cf::process_pool_executor pool(workers);
  // Not timed: one full round, long enough that both halves run at once,
  // so every worker has started.
  compute(pool, n);
  bench::stopwatch clock;
  for (long i = 0; i < reps; ++i) {
    double pi = compute(pool, n);
    bench::check(std::abs(pi - std::numbers::pi) < 1e-5, "pi is right");
  }
  double seconds = clock.seconds();
  bench::result("pi", "workers_" + std::to_string(workers)).print(seconds, reps);
}

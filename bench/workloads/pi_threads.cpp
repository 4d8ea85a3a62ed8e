// pi, raw threads (no baseline in the issue, for reference): the same two
// halves of the series as pi_cofutures, on `workers` plain std::threads
// started once (1: one thread computes both halves). What two vCPUs give
// two compute loops at all, with no pool, process or message around them.
//   pi_threads --workers 2 --n 10000000 --reps 10
#include "common.hpp"

#include <barrier>
#include <cmath>
#include <numbers>
#include <thread>

namespace {

double my_pi(long m, long n) {  // pi_cofutures' task, as examples/pi.cpp has it
  double pi = 0;
  for (long k = m; k <= n; ++k) {
    double s = k % 2 ? 1.0 : -1.0;
    pi += s / static_cast<double>(2 * k - 1);
  }
  return pi * 4;
}

}  // namespace

int main(int argc, char** argv) {
  bench::args args(argc, argv);
  const long n = args.number("n", 10000000);
  const long workers = args.number("workers", 2);
  const long reps = args.number("reps", 10);
  bench::check(workers == 1 || workers == 2, "--workers is 1 or 2");
  double halves[2] = {0, 0};
  // Each rep: both threads pass the barrier, compute their half, pass it again.
  std::barrier turn(2);
  bool done = false;  // written before a barrier, read after it
  std::thread second;
  if (workers == 2) {
    second = std::thread([&] {
      for (;;) {
        turn.arrive_and_wait();
        if (done) return;
        halves[1] = my_pi(n / 2 + 1, n);
        turn.arrive_and_wait();
      }
    });
  }
  auto rep = [&] {
    if (workers == 2) {
      turn.arrive_and_wait();
      halves[0] = my_pi(1, n / 2);
      turn.arrive_and_wait();
    } else {
      halves[0] = my_pi(1, n / 2);
      halves[1] = my_pi(n / 2 + 1, n);
    }
    return halves[0] + halves[1];
  };
  rep();  // not timed: the thread has run once
  bench::stopwatch clock;
  for (long i = 0; i < reps; ++i) bench::check(std::abs(rep() - std::numbers::pi) < 1e-5, "pi is right");
  double seconds = clock.seconds();
  if (workers == 2) {
    done = true;
    turn.arrive_and_wait();
    second.join();
  }
  bench::result("pi", "threads_" + std::to_string(workers)).print(seconds, reps);
}

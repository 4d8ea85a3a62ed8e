// "Computing pi with futures": myPi over two halves of the series on a
// process pool of two; `--threads` runs the same on a thread pool (in C++
// threads run in parallel too: no GIL).
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <cstring>
#include <iomanip>
#include <iostream>

namespace cf = cofutures;

double my_pi(long m, long n) {
  double pi = 0;
  for (long k = m; k <= n; ++k) {
    double s = k % 2 ? 1.0 : -1.0;
    pi += s / static_cast<double>(2 * k - 1);
  }
  return pi * 4;
}

template <class Executor, class Submit>
void compute(Executor& execute, Submit submit) {
  constexpr long N = 10000000;
  auto t1 = std::chrono::steady_clock::now();
  auto f1 = submit(execute, 1L, N / 2);
  auto f2 = submit(execute, N / 2 + 1, N);
  double PI = f1.result();
  PI += f2.result();
  auto t2 = std::chrono::steady_clock::now();
  std::cout << std::chrono::duration<double, std::milli>(t2 - t1).count() << '\n';
  std::cout << std::setprecision(15) << PI << '\n';
}

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);  // if __name__ == '__main__':
  if (argc > 1 && std::strcmp(argv[1], "--threads") == 0) {
    cf::thread_pool_executor execute(2);
    compute(execute, [](auto& ex, long m, long n) { return ex.submit(my_pi, m, n); });
  } else {
    cf::process_pool_executor execute(2);
    compute(execute, [](auto& ex, long m, long n) { return ex.template submit<&my_pi>(m, n); });
  }
}

// PyMOTW futures_thread_pool_submit.py: one task, its future printed before
// and after the result.
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <iostream>
#include <syncstream>
#include <thread>

namespace cf = cofutures;

double task(int n) {
  std::osyncstream(std::cout) << cf::current_thread_name() << ": sleeping " << n << '\n';
  std::this_thread::sleep_for(std::chrono::milliseconds(100 * n));
  std::osyncstream(std::cout) << cf::current_thread_name() << ": done with " << n << '\n';
  return n / 10.0;
}

int main() {
  cf::thread_pool_executor ex(2);
  std::osyncstream(std::cout) << "main: starting\n";
  auto f = ex.submit(task, 5);
  std::osyncstream(std::cout) << "main: future: " << f << '\n';
  std::osyncstream(std::cout) << "main: waiting for results\n";
  auto result = f.result();
  std::osyncstream(std::cout) << "main: result: " << result << '\n';
  std::osyncstream(std::cout) << "main: future after result: " << f << '\n';
}

// PyMOTW futures_thread_pool_map.py: map() on a thread pool of two workers.
// Results come back in input order even though the tasks finish out of it.
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <iostream>
#include <syncstream>
#include <thread>
#include <vector>

namespace cf = cofutures;

double task(int n) {
  std::osyncstream(std::cout) << cf::current_thread_name() << ": sleeping " << n << '\n';
  std::this_thread::sleep_for(std::chrono::milliseconds(100 * n));  // time.sleep(n / 10)
  std::osyncstream(std::cout) << cf::current_thread_name() << ": done with " << n << '\n';
  return n / 10.0;
}

int main() {
  cf::thread_pool_executor ex(2);
  std::cout << "main: starting" << std::endl;
  auto results = ex.map(task, std::vector{5, 4, 3, 2, 1});  // range(5, 0, -1)
  std::osyncstream(std::cout) << "main: unprocessed results " << &results << '\n';
  std::osyncstream(std::cout) << "main: waiting for real results\n";
  std::vector<double> real_results(results.begin(), results.end());
  std::osyncstream out(std::cout);
  out << "main: results: [";
  for (std::size_t i = 0; i < real_results.size(); ++i) out << (i ? ", " : "") << real_results[i];
  out << "]\n";
}

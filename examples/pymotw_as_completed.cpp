// PyMOTW futures_as_completed.py: five tasks with random sleeps, results
// printed in the order they complete.
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <iostream>
#include <random>
#include <thread>
#include <utility>
#include <vector>

namespace cf = cofutures;

std::pair<int, double> task(int n) {
  thread_local std::mt19937 rng{std::random_device{}()};
  std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(0, 999)(rng)));
  return {n, n / 10.0};
}

int main() {
  cf::thread_pool_executor ex(5);
  std::cout << "main: starting\n";
  std::vector<cf::future<std::pair<int, double>>> wait_for;
  for (int i = 5; i > 0; --i) wait_for.push_back(ex.submit(task, i));
  for (const auto& f : cf::as_completed(wait_for)) {
    auto [n, value] = f.result();
    std::cout << "main: result: (" << n << ", " << value << ")\n";
  }
}

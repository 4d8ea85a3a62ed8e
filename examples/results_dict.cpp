// "Storing results in a dictionary": the pass-through recipe (the task
// returns its input with its output) and the futures-as-keys recipe (a map
// from future to input) build the same map.
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <iostream>
#include <map>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cf = cofutures;

double long_computation(double x) {
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(x * 10)));  // time.sleep(x / 2), shortened
  return x * x;
}

std::pair<double, double> long_computation_pass(double x) { return {x, long_computation(x)}; }

void print(const char* name, const std::map<double, double>& results) {
  std::cout << name << ": {";
  bool first = true;
  for (auto [k, v] : results) std::cout << (std::exchange(first, false) ? "" : ", ") << k << ": " << v;
  std::cout << "}\n";
}

int main() {
  std::map<double, double> pass_through;
  {
    cf::thread_pool_executor pool;
    std::vector<cf::future<std::pair<double, double>>> futures;
    for (int i = 0; i < 10; ++i) futures.push_back(pool.submit(long_computation_pass, i));
    for (const auto& future : futures) {
      auto [i, res] = future.result();
      pass_through[i] = res;
    }
  }
  print("pass-through", pass_through);

  std::map<double, double> keyed;
  {
    cf::thread_pool_executor pool;
    std::unordered_map<cf::future<double>, double> futures;  // futures are the keys
    for (int i = 0; i < 10; ++i) futures[pool.submit(long_computation, i)] = i;
    for (const auto& [future, i] : futures) keyed[i] = future.result();
  }
  print("futures as keys", keyed);
  std::cout << "same results: " << (pass_through == keyed ? "yes" : "no") << '\n';
}

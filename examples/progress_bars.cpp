// "Progress Bars": four tqdm recipes. A bar over the futures in submit
// order, one over as_completed (told the total), a manual bar whose
// description names the last result, and a bar driven by done-callbacks
// that know their input because it is bound (functools.partial), not
// captured late. The bars draw on stderr, as tqdm does; stdout gets a line
// per recipe.
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cf = cofutures;

double long_computation(double x) {
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(x * 20)));  // time.sleep(x / 2), shortened
  return x * x;
}

std::pair<double, double> long_computation_pass(double x) { return {x, long_computation(x)}; }

constexpr int n_tasks = 10;

void report(const char* recipe, const std::map<double, double>& results) {
  bool correct = results.size() == n_tasks;
  for (auto [x, res] : results) correct = correct && res == x * x;
  std::cout << recipe << ": " << results.size() << " results, " << (correct ? "all correct" : "WRONG") << '\n';
}

// for future in tqdm(futures): stuck on a slow first task, then 0-100% at once.
std::map<double, double> submit_order() {
  std::map<double, double> results;
  cf::thread_pool_executor pool;
  std::vector<cf::future<std::pair<double, double>>> futures;
  for (int i = 0; i < n_tasks; ++i) futures.push_back(pool.submit(long_computation_pass, i));
  for (auto& future : cf::progress(futures)) {
    auto [i, res] = future.result();
    results[i] = res;
  }
  return results;
}

// for future in tqdm(as_completed(futures), total=len(futures))
std::map<double, double> completion_order() {
  std::map<double, double> results;
  cf::thread_pool_executor pool;
  std::vector<cf::future<std::pair<double, double>>> futures;
  for (int i = 0; i < n_tasks; ++i) futures.push_back(pool.submit(long_computation_pass, i));
  for (auto& future : cf::progress(cf::as_completed(futures), futures.size())) {
    auto [i, res] = future.result();
    results[i] = res;
  }
  return results;
}

// with tqdm(total=n_tasks) as pbar, ThreadPoolExecutor() as pool: the bar is
// declared first, so it closes after the pool has finished.
std::map<double, double> manual_bar() {
  std::map<double, double> results;
  cf::progress_bar pbar(n_tasks);
  cf::thread_pool_executor pool;
  std::vector<cf::future<std::pair<double, double>>> futures;
  for (int i = 0; i < n_tasks; ++i) futures.push_back(pool.submit(long_computation_pass, i));
  for (auto& future : cf::as_completed(futures)) {
    auto [i, res] = future.result();
    results[i] = res;
    pbar.set_description("Calculated " + std::to_string(static_cast<int>(i)));
    pbar.update();
  }
  return results;
}

// The callback's state (the seed's Callbacker): callbacks run on the pool
// threads as each task completes.
struct collector {
  std::map<double, double>& results;
  cf::progress_bar& pbar;
  std::mutex mutex;  // callbacks of different tasks run on different pool threads at once

  void operator()(double x, const cf::future<double>& future) {
    double res = future.result();
    {
      std::lock_guard lock(mutex);  // results is shared by every callback
      results[x] = res;
    }
    pbar.set_description("Calculated " + std::to_string(static_cast<int>(x)), false);  // the bar locks itself
    pbar.update();
  }
};

// future.add_done_callback(partial(_callback, x=i)): each callback carries
// its own x, so each records results[x] for the task it belongs to.
std::map<double, double> callbacks() {
  std::map<double, double> results;
  cf::progress_bar pbar(n_tasks);
  collector collect{results, pbar, {}};
  {
    cf::thread_pool_executor pool;
    for (int i = 0; i < n_tasks; ++i) {
      auto future = pool.submit(long_computation, i);
      future.add_done_callback(std::bind_front(std::ref(collect), i));
    }
  }  // the pool's shutdown waits for every task, and so for every callback
  return results;
}

int main() {
  report("submit order", submit_order());
  report("as_completed", completion_order());
  report("manual bar", manual_bar());
  report("callbacks", callbacks());
}

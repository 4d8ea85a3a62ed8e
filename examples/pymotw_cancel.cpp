// PyMOTW futures_future_callback_cancel.py: ten tasks on two workers,
// cancelled newest first: the eight still queued cancel, the two running
// do not.
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <latch>
#include <syncstream>
#include <thread>
#include <utility>
#include <vector>

namespace cf = cofutures;

std::latch both_workers_busy(2);

double task(int n) {
  std::osyncstream(std::cout) << n << ": sleeping\n";
  both_workers_busy.count_down();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::osyncstream(std::cout) << n << ": done\n";
  return n / 10.0;
}

void done(int arg, const cf::future<double>& fn) {
  if (fn.cancelled()) {
    std::osyncstream(std::cout) << arg << ": canceled\n";
  } else if (fn.done()) {
    std::osyncstream(std::cout) << arg << ": not canceled\n";
  }
}

int main() {
  cf::thread_pool_executor ex(2);
  std::osyncstream(std::cout) << "main: starting\n";
  std::vector<std::pair<int, cf::future<double>>> tasks;
  for (int i = 10; i > 0; --i) {
    std::osyncstream(std::cout) << "main: submitting " << i << '\n';
    auto f = ex.submit(task, i);
    f.add_done_callback(std::bind_front(done, i));
    tasks.emplace_back(i, f);
  }
  // Python relies on both workers having picked up 10 and 9 by now; we
  // make sure, so the output does not depend on thread start-up time.
  both_workers_busy.wait();
  for (auto it = tasks.rbegin(); it != tasks.rend(); ++it) {
    auto& [i, t] = *it;
    if (!t.cancel()) std::osyncstream(std::cout) << "main: did not cancel " << i << '\n';
  }
  ex.shutdown();
}

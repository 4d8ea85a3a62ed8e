// "Using a process manager to share resources": two worker processes add
// 10000 each to a shared counter under a shared lock: 20000. With
// --no-lock the read-modify-write races and some additions are lost.
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

namespace cf = cofutures;

void counter(cf::shared_value<int> count, cf::process_lock lock, bool use_lock) {
  for (int i = 0; i < 10000; ++i) {
    std::unique_lock guard(lock, std::defer_lock);
    if (use_lock) guard.lock();
    int temp = count.load() + 1;
    std::this_thread::yield();  // Python's proxy calls are slow: widen the window the same way
    count.store(temp);
  }
}

void warm_up() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  bool use_lock = !(argc > 1 && std::strcmp(argv[1], "--no-lock") == 0);
  cf::manager man;
  cf::process_pool_executor execute(2);
  // Start both workers first, so the two counters really run side by side.
  cf::wait(std::vector{execute.submit<&warm_up>(), execute.submit<&warm_up>()});
  auto my_counter = man.value(0);
  auto my_lock = man.lock();
  auto t1 = std::chrono::steady_clock::now();
  auto f1 = execute.submit<&counter>(my_counter, my_lock, use_lock);
  auto f2 = execute.submit<&counter>(my_counter, my_lock, use_lock);
  cf::wait(std::vector{f1, f2}, cf::return_when::all_completed);
  auto t2 = std::chrono::steady_clock::now();
  std::cout << my_counter.load() << '\n';
  std::cout << std::chrono::duration<double, std::milli>(t2 - t1).count() << '\n';
}

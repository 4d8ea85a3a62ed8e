// "Sharing futures and deadlock": taskA waits on f2 while taskB waits on f1,
// on a pool of two threads. In Python this hangs for ever; here each wait
// has a timeout, so the program reports the deadlock instead of hanging.
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <iostream>
#include <latch>

namespace cf = cofutures;
using namespace std::chrono_literals;

cf::future<int> f1, f2;          // global, as in the Python program
std::latch both_submitted(1);    // Python sleeps 1 s so that f2 exists

int taskA() {
  both_submitted.wait();
  return f2.result(1s);  // Python: f2.result(), which never returns
}

int taskB() {
  both_submitted.wait();
  return f1.result(1s);
}

int main() {
  cf::thread_pool_executor execute(2);
  f1 = execute.submit(taskA);
  f2 = execute.submit(taskB);
  both_submitted.count_down();
  cf::wait({f1, f2}, cf::return_when::all_completed);
  for (auto [name, f] : {std::pair{"f1", f1}, std::pair{"f2", f2}}) {
    try {
      auto value = f.result();
      std::cout << name << ": " << value << '\n';
    } catch (const cf::timeout_error&) {
      std::cout << name << ": timed out waiting for the other task's future\n";
    }
  }
  std::cout << "deadlock: each task was waiting for the other's future\n";
}

// PyMOTW futures_context_manager.py: leaving the executor's scope waits for
// every submitted task (Python's `with ThreadPoolExecutor() as ex:`).
#include <cofutures/cofutures.hpp>

#include <iostream>
#include <syncstream>

namespace cf = cofutures;

void task(int n) { std::osyncstream(std::cout) << n << '\n'; }

int main() {
  {
    cf::thread_pool_executor ex(2);
    std::osyncstream(std::cout) << "main: starting\n";
    ex.submit(task, 1);
    ex.submit(task, 2);
    ex.submit(task, 3);
    ex.submit(task, 4);
  }
  std::osyncstream(std::cout) << "main: done\n";
}

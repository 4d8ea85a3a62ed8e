// PyMOTW futures_future_callback.py: a done-callback told which input it
// belongs to by binding the argument (functools.partial), not by a lambda
// capturing a loop variable late.
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <syncstream>
#include <thread>

namespace cf = cofutures;

double task(int n) {
  std::osyncstream(std::cout) << n << ": sleeping\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::osyncstream(std::cout) << n << ": done\n";
  return n / 10.0;
}

void done(int arg, const cf::future<double>& fn) {
  std::osyncstream out(std::cout);
  if (fn.cancelled()) {
    out << arg << ": canceled\n";
  } else if (fn.done()) {
    if (auto error = fn.exception()) {
      out << arg << ": error returned\n";
    } else {
      out << arg << ": value returned: " << fn.result() << '\n';
    }
  }
}

int main() {
  cf::thread_pool_executor ex(2);
  std::osyncstream(std::cout) << "main: starting\n";
  auto f = ex.submit(task, 5);
  f.add_done_callback(std::bind_front(done, 5));
  auto result = f.result();
  (void)result;
}

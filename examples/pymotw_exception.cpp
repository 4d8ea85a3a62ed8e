// PyMOTW futures_future_exception.py: an exception raised in a task comes
// back through the future: exception() returns it, result() rethrows it.
#include <cofutures/cofutures.hpp>

#include <iostream>
#include <stdexcept>
#include <string>
#include <syncstream>

namespace cf = cofutures;

int task(int n) {
  std::osyncstream(std::cout) << n << ": starting\n";
  throw std::invalid_argument("the value " + std::to_string(n) + " is no good");  // ValueError
}

std::string message(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  }
}

int main() {
  cf::thread_pool_executor ex(2);
  std::osyncstream(std::cout) << "main: starting\n";
  auto f = ex.submit(task, 5);
  auto error = f.exception();
  std::osyncstream(std::cout) << "main: error: " << message(error) << '\n';
  try {
    auto result = f.result();
    (void)result;
  } catch (const std::invalid_argument& e) {
    std::osyncstream(std::cout) << "main: saw error \"" << e.what() << "\" when accessing result\n";
  }
}

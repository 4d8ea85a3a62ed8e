// "Example 2": a two-second job on a process pool of three; done() is false
// at once, true once the job is over, then result().
#include <cofutures/cofutures.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

namespace cf = cofutures;

std::string work() {
  std::this_thread::sleep_for(std::chrono::seconds(2));
  return "work completed after 2 seconds";
}

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  cf::process_pool_executor executor(3);
  auto start = std::chrono::steady_clock::now();
  auto future = executor.submit<&work>();
  std::cout << "done right after submit: " << std::boolalpha << future.done() << '\n';
  cf::wait({future});
  auto waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "done after " << static_cast<int>(waited) << " s: " << future.done() << '\n';
  std::cout << future.result() << '\n';
}

// Ctrl-C as in asyncio.run: cofutures::run() cancels the main coroutine on
// SIGINT or SIGTERM, the pools drop their queued work (cancel_futures) and
// the worker processes are stopped and reaped; main() exits with status 130
// (143 for SIGTERM). A second Ctrl-C ends the program at once.
//   ctrl_c              long jobs on both pools until interrupted
//   ctrl_c --stubborn   a task that ignores the interrupt: the pool's
//                       shutdown waits for it, so only a second Ctrl-C ends it
#include <cofutures/cofutures.hpp>

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>

namespace cf = cofutures;
using namespace std::chrono_literals;

// CPU work in a worker process for up to `seconds` (bounded: nothing may
// run forever if a test goes wrong).
long burn(long seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  long spins = 0;
  while (std::chrono::steady_clock::now() < end) ++spins;
  return spins;
}

asio::awaitable<void> work(cf::thread_pool_executor& threads, cf::process_pool_executor& processes, bool stubborn) {
  auto long_job = processes.submit<&burn>(60L);
  auto other_job = processes.submit<&burn>(60L);
  if (stubborn) threads.submit([] { std::this_thread::sleep_for(30s); });
  std::vector<cf::future<void>> queued;
  for (int i = 0; i < 1000; ++i) queued.push_back(threads.submit([] { std::this_thread::sleep_for(5ms); }));
  std::cout << "ready: press Ctrl-C" << std::endl;
  try {
    co_await long_job.async_result();
  } catch (const std::exception& e) {
    std::cout << "main coroutine: cancelled (" << e.what() << ")" << std::endl;
    std::size_t cancelled = 0;
    for (auto& f : queued) cancelled += f.cancelled();
    std::cout << "thread pool: queued tasks cancelled: " << (cancelled > 0 ? "yes" : "no") << std::endl;
    throw;
  }
}

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  bool stubborn = argc > 1 && std::strcmp(argv[1], "--stubborn") == 0;
  cf::thread_pool_executor threads(2);
  cf::process_pool_executor processes(2);
  try {
    cf::run(work(threads, processes, stubborn));
  } catch (const cf::keyboard_interrupt& e) {
    std::cout << "main: " << e.what() << std::endl;
    threads.shutdown();  // waits for running tasks (the stubborn one: 30 s)
    processes.shutdown();
    std::cout << "main: pools shut down, exit status " << e.exit_status() << std::endl;
    return e.exit_status();
  }
}

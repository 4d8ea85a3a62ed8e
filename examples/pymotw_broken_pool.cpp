// PyMOTW futures_process_pool_broken.py: killing a worker breaks the pool;
// the next task cannot start and says why.
#include <cofutures/cofutures.hpp>

#include <signal.h>
#include <unistd.h>

#include <iostream>

namespace cf = cofutures;

int get_pid() { return static_cast<int>(::getpid()); }

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  cf::process_pool_executor ex(2);
  std::cout << "getting the pid for one worker" << std::endl;
  auto f1 = ex.submit<&get_pid>();
  int pid1 = f1.result();
  std::cout << "killing process " << pid1 << std::endl;
  ::kill(pid1, SIGHUP);
  std::cout << "submitting another task" << std::endl;
  try {
    // Python raises here or at result(), depending on whether the pool has
    // noticed the death yet; so do we.
    auto f2 = ex.submit<&get_pid>();
    int pid2 = f2.result();
    std::cout << "unexpectedly got " << pid2 << std::endl;
  } catch (const cf::broken_process_pool& e) {
    std::cout << "could not start new tasks: " << e.what() << std::endl;
  }
}

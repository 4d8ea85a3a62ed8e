// PyMOTW futures_process_pool_map.py: map() on a pool of worker processes;
// each result carries the pid of the process that computed it.
#include <cofutures/cofutures.hpp>

#include <unistd.h>

#include <iostream>
#include <utility>
#include <vector>

namespace cf = cofutures;

std::pair<int, int> task(int n) { return {n, static_cast<int>(::getpid())}; }

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  cf::process_pool_executor ex(2);
  auto results = ex.map<&task>(std::vector{5, 4, 3, 2, 1});
  for (auto [n, pid] : results) std::cout << "ran task " << n << " in process " << pid << '\n';
  std::cout << "main process is " << ::getpid() << '\n';
}

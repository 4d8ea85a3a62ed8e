// A program that forgot cofutures::process_worker_main in main(): its
// spawned worker runs this main() again. The pool must fail with an error
// naming the fix, not hang or start workers without end. Exits 1 when the
// task failed (the expected outcome), 0 if it somehow ran.
#include <cofutures/process_pool_executor.hpp>

#include <chrono>
#include <cstdio>
#include <exception>

namespace no_guard {
int answer() { return 42; }
}  // namespace no_guard

int main() {
  try {
    cofutures::process_pool_executor pool(1);
    int v = pool.submit<&no_guard::answer>().result(std::chrono::seconds(20));
    std::printf("task returned %d\n", v);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "no_guard_program: %s\n", e.what());
    return 1;
  }
}

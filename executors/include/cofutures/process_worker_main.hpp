#pragma once
/// @file process_worker_main.hpp
/// process_worker_main: Python's `if __name__ == '__main__':` guard.

namespace cofutures {

/// Call it first in main(). In the program itself it returns at once; in
/// a worker process a process_pool_executor spawned (the same executable,
/// started again) it serves tasks and exits the process, never returning.
///
/// Without it, a spawned worker would run your main(): process pools detect
/// that and fail with an error naming this function instead of hanging or
/// spawning workers without end.
void process_worker_main(int argc, char** argv);

}  // namespace cofutures

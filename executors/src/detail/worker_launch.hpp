#pragma once
// Starting one worker process: two pipes for the channel (with the pool's
// shared memory: worker_bells.hpp), the process itself (posix_spawn of this
// executable, or fork), and a pidfd to watch it die without polling.

#include <cofutures/process_pool_options.hpp>

#include <sys/types.h>

#include <string>

namespace cofutures::detail {

struct launched_worker {
  pid_t pid = -1;
  int pidfd = -1;    // owned by the caller
  int tasks = -1;    // the write end of the worker's task pipe, owned by the caller
  int replies = -1;  // the read end of its reply pipe, owned by the caller
};

/// @throws std::system_error naming the failing call.
/// `bells_fd` and `slot`: the pool's page of wake-up words and the new
/// worker's word in it (worker_bells.hpp).
launched_worker launch_worker(start_method method, long max_tasks, int bells_fd, int slot);

/// pidfd_signal: a signal to the process behind a pidfd (which, unlike a
/// pid, cannot name a recycled process). Returns 0 or -1 with errno.
int pidfd_signal(int pidfd, int sig) noexcept;

/// "exited with status 3", "was killed by signal 9 (SIGKILL)".
std::string describe_exit(int code, int status);

/// Exit status a worker uses when it finds itself running the user's main
/// instead of serving (process_worker_main was not called first).
inline constexpr int missing_guard_exit_status = 70;

}  // namespace cofutures::detail

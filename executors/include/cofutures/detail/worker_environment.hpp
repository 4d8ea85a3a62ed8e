#pragma once
// How a parent tells a spawned executable that it is a worker: an
// environment variable naming the channel and the parent.

#include <optional>
#include <string>
#include <sys/types.h>

namespace cofutures::detail {

inline constexpr const char* worker_env_name = "COFUTURES_PROCESS_WORKER";
/// The channel is always these descriptors in a worker: a pipe it reads
/// large tasks from, a pipe it writes its replies to, and the pool's shared
/// memory, where it takes the other tasks from its ring and sleeps while
/// there are none (executors/src/detail/worker_bells.hpp).
inline constexpr int worker_tasks_fd = 3;
inline constexpr int worker_replies_fd = 4;
inline constexpr int worker_bells_fd = 5;
/// The highest of them.
inline constexpr int worker_last_fd = worker_bells_fd;

struct worker_settings {
  pid_t parent = 0;
  long max_tasks = 0;  // 0: no limit
  int slot = 0;        // its word in the page of wake-up words
};

std::string format_worker_env(const worker_settings& s);
std::optional<worker_settings> parse_worker_env(const char* value);

/// True in a process started as a worker that has not (yet) entered
/// process_worker_main: the user's main is running by mistake.
bool started_as_worker_without_guard() noexcept;

/// The program's argv[0], as process_worker_main saw it ("" before).
const std::string& program_argv0() noexcept;

/// Runs the worker protocol (tasks read from `tasks_fd`, replies written to
/// `replies_fd`, sleeping on slot `settings.slot` of the page behind
/// `bells_fd` while no task is there) until told to stop; returns the exit
/// status for the process. (Also the body of a forked worker.)
int serve_worker(int tasks_fd, int replies_fd, int bells_fd, const worker_settings& settings) noexcept;
/// A worker ignores SIGINT and dies of SIGTERM (see process_worker.cpp).
void worker_signal_dispositions() noexcept;

}  // namespace cofutures::detail

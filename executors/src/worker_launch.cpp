#include "detail/worker_launch.hpp"

#include <cofutures/detail/worker_environment.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <vector>

extern char** environ;

namespace cofutures::detail {
namespace {

// Through syscall(): glibc 2.36's <sys/pidfd.h> lacks C linkage in C++.
int pidfd_open_syscall(pid_t pid) noexcept { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

[[noreturn]] void throw_errno(int error, const char* what) {
  throw std::system_error(error, std::generic_category(), std::string("starting a worker process: ") + what);
}

// Owns a descriptor until released.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

// The worker's ends of the channel, numbered above the descriptors they
// become in the worker, so that putting one in place never overwrites another.
struct child_ends {
  fd_guard tasks;     // read end of the task pipe
  fd_guard replies;   // write end of the reply pipe
  fd_guard bells;     // the page of wake-up words (the pool's memfd)
};

// fd itself if above worker_last_fd, else a copy there (fd is closed).
int above_worker_fds(int fd) {
  if (fd > worker_last_fd) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, worker_last_fd + 1);
  int error = errno;
  ::close(fd);
  if (moved < 0) throw_errno(error, "fcntl F_DUPFD_CLOEXEC");
  return moved;
}

pid_t spawn_self(const child_ends& ends, const worker_settings& settings) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The channel becomes descriptors 3, 4 and 5; stdin is /dev/null (Python
  // does the same); nothing else of ours leaks into the worker.
  posix_spawn_file_actions_adddup2(&actions, ends.tasks.fd, worker_tasks_fd);
  posix_spawn_file_actions_adddup2(&actions, ends.replies.fd, worker_replies_fd);
  posix_spawn_file_actions_adddup2(&actions, ends.bells.fd, worker_bells_fd);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, worker_last_fd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

  std::string env_entry = std::string(worker_env_name) + "=" + format_worker_env(settings);
  std::vector<char*> env;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, worker_env_name, std::strlen(worker_env_name)) != 0) env.push_back(*e);
  }
  env.push_back(env_entry.data());
  env.push_back(nullptr);
  std::string argv0 = program_argv0().empty() ? std::string("cofutures-worker") : program_argv0();
  char* argv[] = {argv0.data(), nullptr};

  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv, env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw_errno(rc, "posix_spawn /proc/self/exe");
  return pid;
}

pid_t fork_self(const child_ends& ends, const worker_settings& settings) {
  std::fflush(nullptr);  // or buffered output would be printed twice
  pid_t pid = ::fork();
  if (pid < 0) throw_errno(errno, "fork");
  if (pid > 0) return pid;
  // Child: only this thread exists now. Keep to plain system calls until
  // the serve loop, which uses nothing another thread could have locked.
  ::dup2(ends.tasks.fd, worker_tasks_fd);  // all three are above 5: see child_ends
  ::dup2(ends.replies.fd, worker_replies_fd);
  ::dup2(ends.bells.fd, worker_bells_fd);
  ::close_range(worker_last_fd + 1, ~0U, 0);
  ::fcntl(worker_tasks_fd, F_SETFD, FD_CLOEXEC);  // not for the tasks' own children
  ::fcntl(worker_replies_fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(worker_bells_fd, F_SETFD, FD_CLOEXEC);
  // The manager thread forking us blocks SIGPIPE (see process_pool_core's
  // run_manager); a worker and its tasks get the default back, as a
  // spawned worker does.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  ::sigprocmask(SIG_UNBLOCK, &pipe_signal, nullptr);
  int null = ::open("/dev/null", O_RDONLY);
  if (null >= 0 && null != 0) {
    ::dup2(null, 0);
    ::close(null);
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  worker_signal_dispositions();
  int status = serve_worker(worker_tasks_fd, worker_replies_fd, worker_bells_fd, settings);
  std::fflush(nullptr);
  ::_exit(status);
}

}  // namespace

launched_worker launch_worker(start_method method, long max_tasks, int bells_fd, int slot) {
  // Pipes, not a socketpair (the tasks that do not fit the worker's ring,
  // and the replies): a write to a pipe appends to the page already there,
  // where a unix socket allocates and charges a buffer for every frame.
  // Measured on the 2-vCPU VM, 24-byte writev to a reader in another
  // process: 1.7 us per write and 1.1 us to read it, against 2.3 and 1.9.
  int tasks[2];
  int replies[2];
  if (::pipe2(tasks, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  fd_guard parent_tasks{tasks[1]};
  child_ends child;
  child.tasks.fd = tasks[0];
  if (::pipe2(replies, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  fd_guard parent_replies{replies[0]};
  child.replies.fd = replies[1];
  child.bells.fd = ::fcntl(bells_fd, F_DUPFD_CLOEXEC, worker_last_fd + 1);
  if (child.bells.fd < 0) throw_errno(errno, "fcntl F_DUPFD_CLOEXEC");
  child.tasks.fd = above_worker_fds(child.tasks.release());
  child.replies.fd = above_worker_fds(child.replies.release());
  worker_settings settings{::getpid(), max_tasks, slot};
  pid_t pid = method == start_method::fork ? fork_self(child, settings) : spawn_self(child, settings);
  int pidfd = pidfd_open_syscall(pid);
  if (pidfd < 0) {
    int error = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw_errno(error, "pidfd_open");
  }
  return {pid, pidfd, parent_tasks.release(), parent_replies.release()};
}

int pidfd_signal(int pidfd, int sig) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

std::string describe_exit(int code, int status) {
  if (code == CLD_EXITED) return "exited with status " + std::to_string(status);
  const char* abbrev = ::sigabbrev_np(status);
  std::string name = abbrev ? std::string(" (SIG") + abbrev + ")" : std::string();
  return std::string(code == CLD_DUMPED ? "dumped core on" : "was killed by") + " signal " + std::to_string(status) +
         name;
}

}  // namespace cofutures::detail

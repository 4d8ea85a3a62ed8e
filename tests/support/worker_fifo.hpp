#pragma once
// How a process-pool test learns that a task is running, and lets it end.
// Tasks write their worker's pid into a FIFO the test reads (ready_fifo);
// report_then_wait also blocks until the test writes a byte into a second
// FIFO (release). The tasks are inline: every worker, the same executable,
// registers them by name.

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

namespace worker_fifo_tasks {

inline bool tell_pid(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  pid_t pid = ::getpid();
  bool told = ::write(fd, &pid, sizeof pid) == sizeof pid;
  ::close(fd);
  return told;
}

// Writes this worker's pid into the FIFO at `path` (the test's proof that
// the task is running), then stays busy for `ms`.
inline int report_then_sleep(std::string path, int ms) {
  tell_pid(path);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return static_cast<int>(::getpid());
}

// Writes this worker's pid into `ready`, then waits for one byte written
// into `go` (or for its end of file, when the test lets go of the FIFO).
inline int report_then_wait(std::string ready, std::string go) {
  int fd = ::open(go.c_str(), O_RDONLY | O_CLOEXEC);  // before telling: the test may release at once
  tell_pid(ready);
  char byte = 0;
  if (fd >= 0) {
    (void)!::read(fd, &byte, 1);
    ::close(fd);
  }
  return static_cast<int>(::getpid());
}

}  // namespace worker_fifo_tasks

namespace worker_fifo {

// A FIFO that worker tasks write their pid into, or read a go-ahead from.
// The test keeps both ends open itself, so reads never see end-of-file
// between writers and poll does not spin.
class fifo {
 public:
  explicit fifo(const char* prefix)
      : m_path(std::string("/tmp/cofutures-") + prefix + "-" + std::to_string(::getpid()) + "-" +
               std::to_string(s_made++)) {
    ::unlink(m_path.c_str());  // left by a crashed run with our pid
    REQUIRE(::mkfifo(m_path.c_str(), 0600) == 0);
    m_read = ::open(m_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    m_write = ::open(m_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE((m_read >= 0 && m_write >= 0));
  }
  ~fifo() { ::close(m_read), ::close(m_write), ::unlink(m_path.c_str()); }
  fifo(const fifo&) = delete;
  fifo& operator=(const fifo&) = delete;

  const std::string& path() const { return m_path; }

  // The next worker pid written, or -1 after `guard`. A write of at most
  // PIPE_BUF bytes is atomic: one read gets the whole pid.
  pid_t wait_pid(std::chrono::milliseconds guard) {
    pollfd pfd{m_read, POLLIN, 0};
    pid_t pid = -1;
    if (::poll(&pfd, 1, static_cast<int>(guard.count())) == 1 && ::read(m_read, &pid, sizeof pid) == sizeof pid) {
      return pid;
    }
    return -1;
  }

  // Lets `n` report_then_wait tasks waiting on this FIFO go on.
  void release(int n) {
    for (int i = 0; i < n; ++i) (void)!::write(m_write, "g", 1);
  }

 private:
  static inline int s_made = 0;
  std::string m_path;
  int m_read = -1, m_write = -1;
};

// Releases a FIFO's waiting tasks when the scope ends, however it ends:
// declared after the pool, it runs before the pool's destructor waits.
struct release_at_exit {
  fifo& go;
  int n;
  ~release_at_exit() { go.release(n); }
};

}  // namespace worker_fifo

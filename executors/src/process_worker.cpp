// The worker process: process_worker_main's serve loop. Tasks from its
// ring in the pool's shared memory (large ones from the task pipe), a
// sleep on the pool's futex while the ring is empty (worker_bells.hpp),
// and blocking writes to the reply pipe; one task at a time (the parent
// may have queued more: they wait in the ring until this one is answered).

#include "detail/frame_decoder.hpp"
#include "detail/worker_bells.hpp"
#include "detail/wire_messages.hpp"

#include <cofutures/detail/cpu_relax.hpp>
#include <cofutures/detail/remote_exception.hpp>
#include <cofutures/detail/task_registry.hpp>
#include <cofutures/detail/wire.hpp>
#include <cofutures/detail/worker_environment.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/process_worker_main.hpp>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <variant>

namespace cofutures {
namespace detail {
namespace {

std::string g_argv0;           // written once by process_worker_main, before any thread
bool g_entered_guard = false;  // likewise

constexpr std::size_t read_chunk = 64 * 1024;  // bytes per read(); the buffer grows as frames need
// How long a worker that answered a lane task looks at its ring before it
// sleeps: the thread that waited for that answer usually submits the next
// task within microseconds (a loop of round trips), and a sleeping worker
// would cost a wake-up, about 10-20 us on a VM.
constexpr auto lane_spin = std::chrono::microseconds(100);
// How long a worker that answered a lane task with no parent thread
// watching looks for one to start, or for the answer to be taken, before
// it tells the manager: the thread that submitted usually starts waiting
// within a microsecond or two, and the word to the manager costs a write
// and a wake-up of the manager thread.
constexpr auto lane_taker_wait = std::chrono::microseconds(5);

// Writes a frame (header + fields) and an optional payload after it.
bool write_all(int fd, std::string_view frame, std::string_view payload = {}) {
  iovec parts[2] = {{const_cast<char*>(frame.data()), frame.size()},
                    {const_cast<char*>(payload.data()), payload.size()}};
  int count = payload.empty() ? 1 : 2;
  iovec* v = parts;
  while (count > 0) {
    auto put = ::writev(fd, v, count);
    if (put < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto n = static_cast<std::size_t>(put);
    while (count > 0 && n >= v->iov_len) {
      n -= v->iov_len;
      ++v;
      --count;
    }
    if (count > 0) {
      v->iov_base = static_cast<char*>(v->iov_base) + n;
      v->iov_len -= n;
    }
  }
  return true;
}

// Runs a named task; the encoded result, or the exception's description.
bool run_task(std::string_view name, std::string_view args, std::string& result, exception_info& failure) {
  auto invoker = find_task(name);
  try {
    if (invoker == nullptr) {
      throw invalid_state_error("unknown task '" + std::string(name) +
                                "': no function of that name is registered in the worker process");
    }
    capture_throw_stacks(true);
    result = invoker(args);
    capture_throw_stacks(false);
    return true;
  } catch (...) {
    capture_throw_stacks(false);
    failure = describe_exception(std::current_exception(), take_throw_stack());
    return false;
  }
}

// The worker's tasks: records from its ring in the pool's shared memory
// (worker_bells.hpp), a frame each or a note that the frame follows in the
// task pipe; it sleeps on its bell while the ring is empty.
class task_reader {
 public:
  task_reader(int tasks_fd, int bells_fd, int slot) : m_fd(tasks_fd), m_bell(bells_fd, slot), m_ring(m_bell.ring()) {}

  /// The next frame from the parent; nullopt when the parent is done with
  /// this worker, or gone. @throws protocol_error on a record of no known kind.
  std::optional<frame> next_frame() {
    m_lane = false;
    for (;;) {
      if (auto f = m_decoder.next()) return f;
      if (auto r = m_ring.front()) {
        if (r->what == task_ring::kind::frame || r->what == task_ring::kind::lane) {
          if (r->what == task_ring::kind::lane) {
            // A lane record holds one task frame, alone in the decoder.
            if (m_decoder.buffered() != 0) throw protocol_error("a lane task after a partial frame");
            m_lane = true;
          }
          auto room = m_decoder.prepare(r->size);
          m_ring.read_front(room.first(r->size));
          m_decoder.commit(r->size);
          m_ring.pop(*r);
        } else if (r->what == task_ring::kind::in_pipe) {
          m_ring.pop(*r);
          if (!read_from_pipe(r->size)) return std::nullopt;
        } else {
          throw protocol_error("unknown task record kind " + std::to_string(static_cast<unsigned>(r->what)));
        }
        continue;
      }
      if (m_bell.closed()) return std::nullopt;
      if (m_spin_next) {
        m_spin_next = false;
        if (spin_for_record()) continue;
      }
      m_bell.wait();
    }
  }

  /// Whether a parent thread watches for the lane reply of task `id`, or
  /// has taken it, within lane_taker_wait.
  bool lane_reply_taker(std::uint64_t id) noexcept {
    const auto until = std::chrono::steady_clock::now() + lane_taker_wait;
    for (;;) {
      for (int i = 0; i < 16; ++i) {
        if (m_bell.parent_watching() || m_bell.lane().taken(id)) return true;
        cpu_relax();
      }
      if (std::chrono::steady_clock::now() >= until) return false;
    }
  }

  /// Whether the frame last returned came through the lane.
  bool from_lane() const noexcept { return m_lane; }
  /// Looks at the ring for lane_spin before the next sleep.
  void spin_next() noexcept { m_spin_next = true; }
  worker_bell& bell() noexcept { return m_bell; }

 private:
  // A frame too large for the ring: exactly `n` bytes from the pipe, which
  // the parent writes right after announcing them.
  bool read_from_pipe(std::size_t n) {
    while (n > 0) {
      auto room = m_decoder.prepare(std::min(n, read_chunk));
      auto got = ::read(m_fd, room.data(), room.size());
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;  // end of file: the parent closed the channel
      m_decoder.commit(static_cast<std::size_t>(got));
      n -= static_cast<std::size_t>(got);
    }
    return true;
  }

  bool spin_for_record() const noexcept {
    const auto until = std::chrono::steady_clock::now() + lane_spin;
    for (;;) {
      for (int i = 0; i < 64; ++i) {  // about 3 us of pauses between clock reads
        if (m_ring.front()) return true;
        cpu_relax();
      }
      if (std::chrono::steady_clock::now() >= until) return false;
    }
  }

  int m_fd;
  worker_bell m_bell;
  task_ring m_ring;
  frame_decoder m_decoder;
  bool m_lane = false;
  bool m_spin_next = false;
};

// Runs a task and sends its result or error: down the reply pipe, or for
// a lane task in the lane's reply (lane_reply.hpp) if it fits there. Then
// if no thread of the parent is watching for it, a word down the pipe
// tells the manager to take it.
bool answer_task(int fd, const task_message& task, task_reader& tasks) {
  std::string result;
  exception_info failure;
  std::string frame;
  if (run_task(task.name, task.arguments, result, failure)) {
    frame = frame_writer(frame_type::result).u64(task.id).finish(result.size());
  } else {
    frame_writer w(frame_type::error);
    w.u64(task.id);
    write_exception(w, failure);
    frame = std::move(w).finish();
    result.clear();
  }
  if (tasks.from_lane()) {
    tasks.spin_next();
    if (tasks.bell().lane().publish(task.id, frame, result)) {
      return tasks.lane_reply_taker(task.id) || write_all(fd, frame_writer(frame_type::lane_reply).finish());
    }
  }
  return write_all(fd, frame, result);
}

// Runs the initializer; false (after telling the parent) if it failed.
bool run_initializer(int fd, const init_message& init) {
  std::string ignored;
  exception_info failure;
  if (run_task(init.name, init.arguments, ignored, failure)) return true;
  frame_writer w(frame_type::init_failed);
  write_exception(w, failure);
  write_all(fd, std::move(w).finish());
  return false;
}

int serve(int tasks_fd, int replies_fd, int bells_fd, const worker_settings& settings) {
  if (!write_all(replies_fd, frame_writer(frame_type::hello).i32(static_cast<std::int32_t>(::getpid())).finish())) {
    return 1;
  }
  long done = 0;
  const long max_tasks = settings.max_tasks;
  task_reader tasks(tasks_fd, bells_fd, settings.slot);
  while (auto f = tasks.next_frame()) {
    auto message = parse_parent_message(f->type, f->body);  // f->body lives until the next read
    if (std::holds_alternative<shutdown_message>(message)) return 0;
    if (auto* init = std::get_if<init_message>(&message)) {
      if (!run_initializer(replies_fd, *init)) return 1;
      continue;
    }
    if (!answer_task(replies_fd, std::get<task_message>(message), tasks)) return 0;
    if (max_tasks > 0 && ++done >= max_tasks) return 0;  // recycled: the parent starts another
  }
  return 0;  // parent gone
}

}  // namespace

bool started_as_worker_without_guard() noexcept {
  return !g_entered_guard && std::getenv(worker_env_name) != nullptr;
}

const std::string& program_argv0() noexcept { return g_argv0; }

int serve_worker(int tasks_fd, int replies_fd, int bells_fd, const worker_settings& settings) noexcept {
  try {
    return serve(tasks_fd, replies_fd, bells_fd, settings);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cofutures worker %d: %s\n", static_cast<int>(::getpid()), e.what());
    return 1;
  } catch (...) {
    return 1;
  }
}

}  // namespace detail

namespace detail {

void worker_signal_dispositions() noexcept {
  // A terminal's Ctrl-C reaches the whole process group: the parent decides
  // what stops a worker (terminate_workers on its interrupt, or PDEATHSIG).
  ::signal(SIGINT, SIG_IGN);
  // terminate_workers' SIGTERM must end the worker, even when forked from a
  // parent whose event loop had a handler installed.
  ::signal(SIGTERM, SIG_DFL);
}

}  // namespace detail

void process_worker_main(int argc, char** argv) {
  if (argc > 0 && argv && argv[0]) detail::g_argv0 = argv[0];
  const char* env = std::getenv(detail::worker_env_name);
  if (env == nullptr) return;  // the program itself
  detail::g_entered_guard = true;
  auto settings = detail::parse_worker_env(env);
  ::unsetenv(detail::worker_env_name);  // the tasks' own children are not workers
  if (!settings) {
    std::fprintf(stderr, "cofutures: malformed %s=%s\n", detail::worker_env_name, env);
    std::_Exit(2);
  }
  // Die with the parent; and if it already died, do not serve an orphan.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != settings->parent) std::_Exit(1);
  detail::worker_signal_dispositions();
  // A task's own child processes must not inherit the channel (they would
  // keep it open after this worker dies).
  ::fcntl(detail::worker_tasks_fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(detail::worker_replies_fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(detail::worker_bells_fd, F_SETFD, FD_CLOEXEC);
  int status = detail::serve_worker(detail::worker_tasks_fd, detail::worker_replies_fd, detail::worker_bells_fd,
                                    *settings);
  std::fflush(nullptr);
  std::exit(status);
}

}  // namespace cofutures

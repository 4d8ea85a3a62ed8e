// The worker process: process_worker_main's serve loop. Plain blocking
// reads and writes on the channel; one task at a time.

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

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace cofutures {
namespace detail {
namespace {

std::string g_argv0;           // written once by process_worker_main, before any thread
bool g_entered_guard = false;  // likewise

// Reads exactly n bytes; false on end of file (the parent is gone).
bool read_exact(int fd, char* p, std::size_t n) {
  while (n > 0) {
    auto got = ::read(fd, p, n);
    if (got == 0) return false;
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

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

int serve(int fd, long max_tasks) {
  if (!write_all(fd, frame_writer(frame_type::hello).i32(static_cast<std::int32_t>(::getpid())).finish())) return 1;
  long done = 0;
  std::string body;
  for (;;) {
    char header[frame_header_size];
    if (!read_exact(fd, header, sizeof header)) return 0;  // parent gone
    auto h = parse_frame_header(header);
    body.resize(h.body_length);
    if (!read_exact(fd, body.data(), body.size())) return 0;
    frame_reader r(body);
    switch (h.type) {
      case frame_type::shutdown: return 0;
      case frame_type::init: {
        auto name = r.str();
        auto args = r.rest();
        std::string ignored;
        exception_info failure;
        if (!run_task(name, args, ignored, failure)) {
          frame_writer w(frame_type::init_failed);
          write_exception(w, failure);
          write_all(fd, std::move(w).finish());
          return 1;
        }
        break;
      }
      case frame_type::task: {
        auto id = r.u64();
        auto name = r.str();
        auto args = r.rest();
        std::string result;
        exception_info failure;
        bool ok = run_task(name, args, result, failure);
        std::string frame;
        if (ok) {
          frame = frame_writer(frame_type::result).u64(id).finish(result.size());
        } else {
          frame_writer w(frame_type::error);
          w.u64(id);
          write_exception(w, failure);
          frame = std::move(w).finish();
          result.clear();
        }
        if (!write_all(fd, frame, result)) return 0;
        if (max_tasks > 0 && ++done >= max_tasks) return 0;  // recycled: the parent starts another
        break;
      }
      default:
        throw protocol_error("unexpected frame type " + std::to_string(static_cast<int>(h.type)) +
                             " from the parent");
    }
  }
}

}  // namespace

bool started_as_worker_without_guard() noexcept {
  return !g_entered_guard && std::getenv(worker_env_name) != nullptr;
}

const std::string& program_argv0() noexcept { return g_argv0; }

int serve_worker(int fd, long max_tasks) noexcept {
  try {
    return serve(fd, max_tasks);
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
  ::fcntl(detail::worker_channel_fd, F_SETFD, FD_CLOEXEC);
  int status = detail::serve_worker(detail::worker_channel_fd, settings->max_tasks);
  std::fflush(nullptr);
  std::exit(status);
}

}  // namespace cofutures

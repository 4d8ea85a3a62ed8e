#include "detail/worker_connection.hpp"

#include <asio/buffer.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <span>

namespace cofutures::detail {

worker_connection::worker_connection(asio::io_context& ctx, launched_worker launched, worker_bells& bells, int slot,
                                     worker_events& events)
    : m_hello_timer(ctx),
      m_pid(launched.pid),
      m_tasks(ctx, launched.tasks),
      m_replies(ctx, launched.replies),
      m_bells(bells),
      m_slot(slot),
      m_pidfd(ctx, launched.pidfd),
      m_events(events),
      m_drain_timer(ctx) {}

worker_connection::~worker_connection() {
  if (!m_channel_open) return;  // told then
  asio::error_code ignored;
  m_tasks.close(ignored);
  m_bells.close(m_slot);
}

void worker_connection::start() {
  read_frames();
  watch_exit();
}

void worker_connection::read_frames() {
  constexpr std::size_t chunk = 64 * 1024;  // per read; the buffer grows as frames need
  // Handlers hold the connection: it lives until its last operation ends.
  asio::mutable_buffer room(m_decoder.prepare(chunk).data(), chunk);
  m_replies.async_read_some(room, [self = shared_from_this()](asio::error_code ec, std::size_t n) {
    if (!self->m_channel_open) return;
    if (ec) return self->read_failed(ec.message());
    self->m_decoder.commit(n);
    try {
      while (auto f = self->m_decoder.next()) {
        self->m_events.on_frame(*self, f->type, f->body);
        if (!self->m_channel_open) return;
      }
    } catch (const protocol_error& e) {
      return self->read_failed(e.what());
    }
    if (!self->m_writes.empty()) self->place_writes();  // the worker has taken records out: room, perhaps
    self->read_frames();
  });
}

void worker_connection::read_failed(const std::string& reason) {
  close_channel();
  m_events.on_channel_lost(*this, reason);
  if (m_exit) report_exit();  // drained: the exit can be told now
}

void worker_connection::send(std::string frame, std::shared_ptr<const std::string> payload) {
  if (!m_channel_open) return;
  m_writes.push_back({std::move(frame), std::move(payload)});
  // Placed once the manager's current step is over, with whatever else the
  // step queued for this worker, and with the other workers' tasks of the
  // step: one ring for them all, and one system call to wake the sleepers.
  if (m_writes.size() == 1) asio::post(m_drain_timer.get_executor(), [self = shared_from_this()] { self->place_writes(); });
}

void worker_connection::place_writes() {
  if (!m_channel_open) return;
  // A frame up to a quarter of the ring goes in it; a larger one down the
  // pipe, announced in the ring at its place in the order.
  auto tasks = m_bells.ring_of(m_slot);
  const std::size_t most_in_ring = tasks.capacity() / 4;
  bool placed = false;
  while (!m_writes.empty()) {
    auto& w = m_writes.front();
    std::string_view payload = w.payload ? std::string_view(*w.payload) : std::string_view();
    const std::size_t size = w.frame.size() + payload.size();  // a frame's body is at most max_frame_body
    if (size <= most_in_ring) {
      if (!tasks.put(task_ring::kind::frame, static_cast<std::uint32_t>(size), {w.frame, payload})) break;
    } else {
      if (!tasks.put(task_ring::kind::in_pipe, static_cast<std::uint32_t>(size), {})) break;
      m_pipe_writes.push_back(std::move(w));
      if (m_pipe_writes.size() == 1) write_pipe();
    }
    m_writes.pop_front();
    placed = true;
  }
  // Left over when the ring is full: placed again when the worker, having
  // taken records out, answers (read_frames).
  if (placed && m_bells.ring(m_slot)) {
    // The wake waits for the other workers' writes of this step, posted
    // before it: one system call wakes them all.
    asio::post(m_drain_timer.get_executor(), [&bells = m_bells] { bells.wake_sleepers(); });
  }
}

void worker_connection::write_pipe() {
  // Everything queued so far goes in one write, up to max_frames_per_write
  // (the buffers fit one writev's iovecs).
  constexpr std::size_t max_frames_per_write = 32;
  m_gather.clear();
  std::size_t frames = 0;
  for (auto& w : m_pipe_writes) {
    if (frames == max_frames_per_write) break;
    m_gather.push_back(asio::buffer(w.frame));
    if (w.payload && !w.payload->empty()) m_gather.push_back(asio::buffer(*w.payload));
    ++frames;
  }
  // m_gather and the queued frames stay untouched until the handler: the
  // span the write holds points into them.
  std::span<const asio::const_buffer> buffers(m_gather);
  asio::async_write(m_tasks, buffers, [self = shared_from_this(), frames](asio::error_code ec, std::size_t) {
    if (!self->m_channel_open) return;
    if (ec) return self->m_events.on_channel_lost(*self, ec.message());
    self->m_pipe_writes.erase(self->m_pipe_writes.begin(),
                              self->m_pipe_writes.begin() + static_cast<std::ptrdiff_t>(frames));
    if (!self->m_pipe_writes.empty()) self->write_pipe();
  });
}

void worker_connection::close_channel() noexcept {
  if (!m_channel_open) return;
  m_channel_open = false;
  asio::error_code ignored;
  m_tasks.close(ignored);  // aborts the writes in flight; a worker reading the pipe reads end of file
  m_bells.close(m_slot);   // one waiting on its ring wakes, and exits once it is empty
  m_replies.close(ignored);  // aborts the read in flight
  m_writes.clear();
  m_pipe_writes.clear();
  if (m_exit) {
    // Not from inside the caller (the pool may be iterating its workers).
    asio::post(m_drain_timer.get_executor(), [self = shared_from_this()] { self->report_exit(); });
  }
}

void worker_connection::report_exit() {
  if (m_exit_reported || !m_exit) return;
  m_exit_reported = true;
  m_drain_timer.cancel();
  m_events.on_exit(*this, m_exit->first, m_exit->second);
}

void worker_connection::signal(int sig) noexcept {
  // pidfd, not pid: cannot hit a recycled pid once the worker is reaped.
  if (m_pidfd.is_open()) pidfd_signal(m_pidfd.native_handle(), sig);
}

void worker_connection::watch_exit() {
  m_pidfd.async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](asio::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    siginfo_t info{};
    int rc;
    do {
      rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(self->m_pidfd.native_handle()), &info, WEXITED);
    } while (rc != 0 && errno == EINTR);
    // Readable yet not waitable: a zombie still traced (ASan's leak checker
    // ptrace-attaches at exit) is reaped by its parent only once the tracer
    // lets go, and the pidfd is notified again then. The descriptor is
    // non-blocking (Asio set it so), hence EAGAIN rather than a wait.
    if (rc != 0 && errno == EAGAIN) return self->watch_exit();
    if (rc != 0) {
      info.si_code = CLD_KILLED;
      info.si_status = 0;
    }
    self->m_hello_timer.cancel();
    self->m_exit.emplace(info.si_code, info.si_status);
    if (!self->m_channel_open) return self->report_exit();
    // Read what it wrote before dying (end of file follows); a descendant
    // still holding the channel must not delay the news for long.
    self->m_drain_timer.expires_after(std::chrono::milliseconds(500));
    self->m_drain_timer.async_wait([self](asio::error_code e) {
      if (!e) self->report_exit();
    });
  });
}

}  // namespace cofutures::detail

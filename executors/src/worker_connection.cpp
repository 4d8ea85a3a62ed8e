#include "detail/worker_connection.hpp"

#include <asio/buffer.hpp>
#include <asio/post.hpp>

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
      m_drain_timer(ctx) {
  asio::error_code ignored;
  m_tasks.non_blocking(true, ignored);  // write_tasks writes at once, or waits for room itself
}

worker_connection::~worker_connection() {
  if (!m_channel_open) return;  // rung then
  // As close_channel: the worker sees the end of its pipe once rung.
  asio::error_code ignored;
  m_tasks.close(ignored);
  ring_now();
}

void worker_connection::ring() {
  // The wake waits for the writes queued behind this one (other workers'
  // tasks of the same step): one system call wakes them all.
  if (m_bells.ring(m_slot)) asio::post(m_drain_timer.get_executor(), [&bells = m_bells] { bells.wake_sleepers(); });
}

void worker_connection::ring_now() noexcept {
  m_bells.ring(m_slot);
  m_bells.wake_sleepers();  // a wake already posted for it finds nothing left to do
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
  // Written once the manager's current step is over, with whatever else
  // the step queued for this worker: one write and one ring for them all.
  if (m_writes.size() == 1) asio::post(m_drain_timer.get_executor(), [self = shared_from_this()] { self->write_next(); });
}

void worker_connection::write_next() {
  if (!m_channel_open) return;
  // Everything queued so far goes in one write: the frames the manager
  // queued while the last write was in flight (several tasks for one
  // worker in one step) then cost one writev, not one each. At most
  // max_frames_per_write, so the buffers fit one writev's iovecs.
  constexpr std::size_t max_frames_per_write = 32;
  m_gather.clear();
  std::size_t frames = 0;
  for (auto& w : m_writes) {
    if (frames == max_frames_per_write) break;
    m_gather.push_back(asio::buffer(w.frame));
    if (w.payload && !w.payload->empty()) m_gather.push_back(asio::buffer(*w.payload));
    ++frames;
  }
  write_gathered(frames);
}

void worker_connection::write_gathered(std::size_t frames) {
  // m_gather and the queued frames stay untouched until the last byte is
  // written: m_gather points into them. The worker sleeps on its bell
  // once it finds its pipe empty, so every write that put bytes in the
  // pipe rings it (a frame larger than the pipe takes several writes, the
  // worker emptying the pipe between them).
  for (;;) {
    asio::error_code ec;
    std::size_t n = m_tasks.write_some(m_gather, ec);
    if (n > 0) ring();
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      m_tasks.async_wait(asio::posix::stream_descriptor::wait_write, [self = shared_from_this(), frames](asio::error_code e) {
        if (!self->m_channel_open) return;
        if (e) return self->m_events.on_channel_lost(*self, e.message());
        self->write_gathered(frames);
      });
      return;
    }
    if (ec) {
      // Told from the event loop, as an asynchronous write's failure was:
      // the caller of send() has not finished its step with this worker.
      asio::post(m_drain_timer.get_executor(), [self = shared_from_this(), reason = ec.message()] {
        if (self->m_channel_open) self->m_events.on_channel_lost(*self, reason);
      });
      return;
    }
    skip_written(n);
    if (m_gather.empty()) break;
  }
  m_writes.erase(m_writes.begin(), m_writes.begin() + static_cast<std::ptrdiff_t>(frames));
  if (!m_writes.empty()) write_next();
}

void worker_connection::skip_written(std::size_t n) {
  auto done = m_gather.begin();
  for (; done != m_gather.end() && n >= done->size(); ++done) n -= done->size();
  if (done != m_gather.end()) *done += n;
  m_gather.erase(m_gather.begin(), done);
}

void worker_connection::close_channel() noexcept {
  if (!m_channel_open) return;
  m_channel_open = false;
  asio::error_code ignored;
  m_tasks.close(ignored);  // aborts the writes in flight; the worker reads end of file
  ring_now();              // once it wakes to look
  m_replies.close(ignored);  // aborts the read in flight
  m_writes.clear();
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

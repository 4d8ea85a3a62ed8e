#pragma once
// One worker process as the manager thread sees it: its channel (frames
// read in a loop from its reply pipe; tasks put in its ring, the large ones
// written to its task pipe), its pidfd (readable when it exits) and
// the bookkeeping the pool keeps for it. Used on the manager thread only.

#include "frame_decoder.hpp"
#include "worker_bells.hpp"
#include "worker_launch.hpp"
#include "worker_pace.hpp"

#include <cofutures/detail/process_work.hpp>
#include <cofutures/detail/wire.hpp>

#include <asio/buffer.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cofutures::detail {

class worker_connection;

/// What a connection reports to its pool (on the manager thread).
class worker_events {
 public:
  virtual void on_frame(worker_connection& w, frame_type type, std::string_view body) = 0;
  /// The channel failed (end of file, reset, malformed frame).
  virtual void on_channel_lost(worker_connection& w, const std::string& reason) = 0;
  /// The process exited and was reaped.
  virtual void on_exit(worker_connection& w, int code, int status) = 0;

 protected:
  ~worker_events() = default;
};

class worker_connection : public std::enable_shared_from_this<worker_connection> {
 public:
  /// `slot`: the worker's slot (its ring and bell) in `bells`, which
  /// outlives the connection.
  worker_connection(asio::io_context& ctx, launched_worker launched, worker_bells& bells, int slot,
                    worker_events& events);
  ~worker_connection();

  /// Starts reading frames and watching for the exit.
  void start();
  /// Queues a frame (and a payload sent right after it, kept alive here).
  void send(std::string frame, std::shared_ptr<const std::string> payload = {});
  /// Stops reading and writing (pending writes are dropped).
  void close_channel() noexcept;
  void signal(int sig) noexcept;

  pid_t pid() const noexcept { return m_pid; }
  /// Frames queued here and not yet in the worker's ring.
  bool writes_queued() const noexcept { return !m_writes.empty(); }
  int slot() const noexcept { return m_slot; }
  int pidfd() noexcept { return m_pidfd.native_handle(); }

  // The pool's bookkeeping for this worker.
  // The tasks sent to it, oldest first: the front one runs, the others
  // wait in its channel (see process_pool_core's step()).
  std::deque<std::unique_ptr<process_work>> m_assigned;
  long m_tasks_done = 0;
  worker_pace m_pace;  // how many tasks it may be sent ahead
  bool m_said_hello = false;
  bool m_exit_expected = false;  // told to stop, or reached max_tasks_per_child
  bool m_shutdown_sent = false;
  bool m_lent = false;  // to the pool's lane: its ring is the lane's, not the manager's (process_pool_core)
  asio::steady_timer m_hello_timer;

 private:
  struct pending_write {
    std::string frame;
    std::shared_ptr<const std::string> payload;
  };

  void read_frames();
  void read_failed(const std::string& reason);
  void place_writes();
  void write_pipe();
  void watch_exit();
  void report_exit();

  pid_t m_pid;
  asio::posix::stream_descriptor m_tasks;    // the write end of the worker's task pipe (large frames)
  asio::posix::stream_descriptor m_replies;  // the read end of its reply pipe
  worker_bells& m_bells;                     // its task ring, and its bell, rung after each put
  int m_slot;
  asio::posix::stream_descriptor m_pidfd;
  worker_events& m_events;
  frame_decoder m_decoder;
  std::deque<pending_write> m_writes;       // not in the ring yet (queued this step, or it was full)
  std::deque<pending_write> m_pipe_writes;  // announced in the ring; the front ones are being written
  std::vector<asio::const_buffer> m_gather;  // the buffers of the pipe write in flight
  bool m_channel_open = true;
  // The exit is reported only after the channel is drained: a worker's last
  // words (a result, an initializer failure) arrive before its death.
  std::optional<std::pair<int, int>> m_exit;  // si_code, si_status once reaped
  bool m_exit_reported = false;
  asio::steady_timer m_drain_timer;
};

}  // namespace cofutures::detail

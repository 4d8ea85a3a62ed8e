// The process pool's parent side. Submitters queue work under m_mutex; one
// manager thread runs an io_context that owns every worker connection,
// sends work to idle workers (and, in a backlog, a few tasks ahead to busy
// ones), completes futures from their replies, and notices a worker's
// death through its pidfd the moment it happens.
//
// While nothing is queued, the manager lends one idle worker to the
// submitters: the lane (process_lane.hpp), which takes a round trip off
// the manager thread.

#include <cofutures/detail/process_pool_core.hpp>
#include <cofutures/detail/remote_exception.hpp>
#include <cofutures/detail/worker_environment.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/thread_name.hpp>

#include "detail/process_lane.hpp"
#include "detail/wire_messages.hpp"
#include "detail/worker_connection.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace cofutures::detail {
namespace {

constexpr auto hello_timeout = std::chrono::seconds(10);
// The backlog that warrants sending tasks ahead (see find_worker_to_queue_on;
// how many a worker may hold: worker_pace).
constexpr std::size_t backlog_per_queued = 8;
constexpr auto manager_spin = std::chrono::microseconds(50);  // see run_events
const char* const abrupt_message =
    "A process in the process pool was terminated abruptly while the future was running or pending";
const char* const broken_message = "A child process terminated abruptly, the process pool is not usable anymore";

std::size_t default_max_workers() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

std::size_t checked_positive(const std::optional<long>& v, const char* name, std::size_t fallback) {
  if (!v) return fallback;
  if (*v <= 0) throw std::invalid_argument(std::string(name) + " must be greater than 0 (got " + std::to_string(*v) + ")");
  return static_cast<std::size_t>(*v);
}

}  // namespace

class process_pool_core final : public std::enable_shared_from_this<process_pool_core>,
                                private worker_events,
                                private wait_assist {
 public:
  explicit process_pool_core(process_pool_options o)
      : m_max_workers(checked_positive(o.max_workers, "max_workers", default_max_workers())),
        m_max_tasks(static_cast<long>(checked_positive(o.max_tasks_per_child, "max_tasks_per_child", 0))),
        m_method(o.method),
        m_initializer(std::move(o.initializer)) {
    if (m_method == start_method::fork && m_max_tasks > 0) {
      throw std::invalid_argument("max_tasks_per_child is incompatible with the fork start method; use spawn");
    }
    if (m_method == start_method::spawn && started_as_worker_without_guard()) {
      std::fprintf(stderr,
                   "cofutures: this worker process is running main() instead of serving tasks: call "
                   "cofutures::process_worker_main(argc, argv) first in main()\n");
      std::_Exit(missing_guard_exit_status);  // no pool here: that way lie workers without end
    }
  }

  ~process_pool_core() {
    if (m_thread.joinable()) m_thread.detach();  // only when the manager thread itself let go last
  }

  std::size_t max_workers() const noexcept { return m_max_workers; }

  void check_accepting() const {
    std::lock_guard lock(m_mutex);  // m_broken and m_shutdown change under it
    check_accepting_locked();
  }

  void enqueue(std::unique_ptr<process_work> work) {
    std::lock_guard lock(m_mutex);  // the queue, the flags, the lane and the manager's context
    check_accepting_locked();
    work->m_id = m_next_id++;
    if (m_lane.lent() && !m_lane.busy()) {
      if (m_pending.empty() && m_lane.open(*m_bells, m_live.size()) && m_lane.send(*m_bells, work, assist())) return;
      m_lane.release();  // the manager's to send, on the worker the lane held
    }
    m_pending.push_back(std::move(work));
    if (!m_thread.joinable()) {
      // The thread co-owns the core: submitters may drop the executor first.
      m_thread = std::thread([self = shared_from_this()] { self->run_manager(); });
      m_manager_id = m_thread.get_id();
    }
    wake_locked();
  }

  void shutdown(bool wait, bool cancel_futures) {
    std::deque<std::unique_ptr<process_work>> cancelled;
    {
      std::lock_guard lock(m_mutex);  // the queue and the flags are shared with submitters
      m_shutdown = true;
      if (cancel_futures) cancelled.swap(m_pending);
      wake_locked();
    }
    for (auto& w : cancelled) w->cancel();
    if (wait) join_manager();
  }

  void force_shutdown(int sig) {
    shutdown(false, true);
    std::lock_guard lock(m_mutex);  // the manager closes pidfds only after removing them here
    // pidfd, not pid: cannot hit a recycled pid.
    for (auto& [pid, pidfd] : m_live) pidfd_signal(pidfd, sig);
  }

 private:
  void check_accepting_locked() const {
    if (!m_broken.empty()) throw broken_process_pool(m_broken);
    if (m_shutdown) throw invalid_state_error("cannot schedule new futures after shutdown");
  }

  void wake_locked() {
    // Posted under m_mutex: the manager clears m_ctx under it before the
    // io_context dies, so this never posts to a dead one.
    if (m_ctx == nullptr || m_wake_posted) return;
    m_wake_posted = true;
    asio::post(*m_ctx, [this] { on_wake(); });
  }

  void join_manager() {
    std::lock_guard join_lock(m_join_mutex);  // one joiner at a time
    if (m_thread.joinable() && std::this_thread::get_id() != m_manager_id) m_thread.join();
  }

  // ---------------------------------------------------------------- the lane

  // For a lane task's future: its waiters may take the reply. It holds
  // this core until the future is done.
  std::shared_ptr<wait_assist> assist() {
    return std::shared_ptr<wait_assist>(shared_from_this(), static_cast<wait_assist*>(this));
  }

  // The lane's task, answered or lost; the worker goes back to the manager
  // if work is queued or the pool is closing (the manager is woken for it).
  std::unique_ptr<process_work> take_lane_work_locked() {
    auto work = m_lane.take();
    give_back_lane_if_wanted_locked();
    return work;
  }

  void give_back_lane_if_wanted_locked() {
    if (!m_pending.empty() || m_shutdown || !m_broken.empty()) {
      m_lane.release();
      wake_locked();
    }
  }

  // Takes the lane task's reply if it is in shared memory, and completes
  // the future (outside the lock: its callbacks may submit). A malformed
  // reply ends the worker, whose exit the manager handles as any crash.
  void take_lane_reply() noexcept {
    std::optional<process_lane::answered> answer;
    pid_t pid = 0;
    {
      std::lock_guard lock(m_mutex);  // the lane is shared by submitters, waiters and the manager
      try {
        answer = m_lane.take_answered(*m_bells);
      } catch (...) {
        return;  // no memory for the copy: taken later (the worker's word, or a later poll)
      }
      if (!answer) return;
      pid = m_lane.pid();
      give_back_lane_if_wanted_locked();
    }
    if (!deliver_lane_reply(*answer->work, answer->reply, pid)) kill_worker(pid);
  }

  void kill_worker(pid_t pid) noexcept {
    std::lock_guard lock(m_mutex);  // m_live: the manager closes pidfds only after removing them under it
    if (auto it = m_live.find(pid); it != m_live.end()) pidfd_signal(it->second, SIGKILL);
  }

  // wait_assist: a thread waiting on a lane task's future.
  void watch() noexcept override { m_lane.watch(); }
  void unwatch() noexcept override { m_lane.unwatch(); }
  void poll() noexcept override {
    if (m_lane.answer_ready()) take_lane_reply();
  }

  // Manager: lends an idle worker to the lane when nothing is queued.
  void maybe_lend() {
    if (m_max_tasks > 0) return;  // each task counts toward the worker's recycling: the manager's to send
    std::shared_ptr<worker_connection> idle;
    for (auto& [pid, w] : m_workers) {
      if (w->m_assigned.empty() && w->m_said_hello && !w->m_exit_expected && !w->m_shutdown_sent && !w->m_lent &&
          !w->writes_queued()) {
        idle = w;
        break;
      }
    }
    if (!idle) return;
    std::lock_guard lock(m_mutex);  // the lane is shared with submitters
    if (m_lane.lent() || !m_pending.empty() || m_shutdown || !m_broken.empty()) return;
    m_lane.lend(*m_bells, idle->slot(), idle->pid());
    idle->m_lent = true;
  }

  // Manager: which worker the lane holds now (it returns them).
  void sync_lent() {
    int slot;
    {
      std::lock_guard lock(m_mutex);  // the lane is shared with submitters
      slot = m_lane.slot();
    }
    for (auto& [pid, w] : m_workers) w->m_lent = w->slot() == slot;
  }

  // ---------------------------------------------------------------- manager thread

  void run_manager() {
    detail::set_current_thread_name("ProcessPoolMgr");
    // A task written to a worker that has just died fails with EPIPE and
    // raises SIGPIPE at the writing thread, this one; its default action
    // would end the program. Blocked here (and only here), the write just
    // fails, and the pool reads it as the channel lost.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    asio::io_context ctx(1);
    m_guard.emplace(ctx.get_executor());
    {
      std::lock_guard lock(m_mutex);  // the manager's context is published under it
      m_ctx = &ctx;
      wake_locked();
    }
    run_events(ctx);
    std::lock_guard lock(m_mutex);  // see wake_locked
    m_ctx = nullptr;
    m_guard.reset();
  }

  // ctx.run(), except that after each event the thread polls for
  // manager_spin before it sleeps in epoll: a worker's reply, or the next
  // submit, usually follows within that time, and then costs no wake-up of
  // a sleeping thread (about 20 us each on an idle VM; a round trip has
  // two). An idle pool's manager sleeps.
  void run_events(asio::io_context& ctx) {
    for (;;) {
      auto until = std::chrono::steady_clock::now() + manager_spin;
      while (std::chrono::steady_clock::now() < until) {
        if (ctx.poll() > 0) until = std::chrono::steady_clock::now() + manager_spin;
        if (ctx.stopped()) return;  // no work left: the manager is done
      }
      if (ctx.run_one() == 0) return;  // likewise
    }
  }

  void on_wake() {
    {
      std::lock_guard lock(m_mutex);  // see wake_locked
      m_wake_posted = false;
    }
    step();
  }

  // Everything the manager does after any event: send queued work to idle
  // workers, start workers when all are busy, send tasks ahead to busy
  // workers in a backlog (find_worker_to_queue_on), finish a shutdown.
  void step() {
    sync_lent();
    for (;;) {
      auto target = find_idle_worker();
      if (!target && running_count() < m_max_workers && pending_count() > 0) target = start_worker();
      if (!target) target = find_worker_to_queue_on();
      if (!target) break;
      auto work = next_runnable_work();
      if (!work) break;
      send_work(*target, std::move(work));
    }
    maybe_finish();
    maybe_lend();
  }

  std::size_t pending_count() {
    std::lock_guard lock(m_mutex);  // submitters push under it
    return m_pending.size();
  }

  bool can_take_more(const worker_connection& w) const {
    if (w.m_exit_expected || w.m_lent) return false;
    // A worker recycled after max_tasks_per_child must not be sent a task it will not run.
    return m_max_tasks == 0 || w.m_tasks_done + static_cast<long>(w.m_assigned.size()) < m_max_tasks;
  }

  std::shared_ptr<worker_connection> find_idle_worker() {
    for (auto& [pid, w] : m_workers) {
      if (w->m_assigned.empty() && can_take_more(*w)) return w;
    }
    return nullptr;
  }

  // Python keeps up to max_workers + 1 calls in its call queue besides the
  // running ones (already marked running, so shutdown(cancel_futures) spares
  // them), and a worker that finishes a task finds the next without a round
  // trip to the manager. Here tasks queue in a busy worker's channel (up
  // to three, or fifteen for a worker whose tasks take microseconds: see
  // worker_pace), but only in a large backlog: the k-th task waiting in a
  // channel is sent only while at least backlog_per_queued * k tasks per
  // worker remain queued here. A few tasks submitted behind long-running
  // ones, and the tail of a backlog, still go to the first worker to
  // become free.
  std::shared_ptr<worker_connection> find_worker_to_queue_on() {
    const auto pending = pending_count();
    std::shared_ptr<worker_connection> best;
    for (auto& [pid, w] : m_workers) {
      const auto waiting = w->m_assigned.size();  // >= 1: idle workers were served first
      if (waiting >= w->m_pace.max_in_channel() || !can_take_more(*w)) continue;
      if (pending < backlog_per_queued * waiting * m_workers.size()) continue;
      if (!best || waiting < best->m_assigned.size()) best = w;  // the shortest queue
    }
    return best;
  }

  std::size_t running_count() const {
    return static_cast<std::size_t>(
        std::count_if(m_workers.begin(), m_workers.end(), [](auto& p) { return !p.second->m_exit_expected; }));
  }

  // The oldest queued work not cancelled meanwhile (cancelled work is dropped).
  std::unique_ptr<process_work> next_runnable_work() {
    for (;;) {
      std::unique_ptr<process_work> work;
      {
        std::lock_guard lock(m_mutex);  // submitters push under it
        if (m_pending.empty() || !m_broken.empty()) return nullptr;
        work = std::move(m_pending.front());
        m_pending.pop_front();
      }
      if (work->set_running()) return work;
    }
  }

  void send_work(worker_connection& w, std::unique_ptr<process_work> work) {
    auto frame = frame_writer(frame_type::task).u64(work->m_id).str(work->m_task_name).finish(work->m_arguments->size());
    w.send(std::move(frame), work->m_arguments);
    w.m_assigned.push_back(std::move(work));
  }

  std::shared_ptr<worker_connection> start_worker() {
    launched_worker launched;
    int slot = -1;
    try {
      // Room for every worker there can be at once (max_workers, and those
      // on their way out, not yet reaped) many times over: a slot's memory
      // is touched only once a worker uses it (worker_bells' free list).
      if (!m_bells) m_bells.emplace(4 * m_max_workers + 64);
      slot = m_bells->acquire();
      launched = launch_worker(m_method, m_max_tasks, m_bells->fd(), slot);
    } catch (const std::exception& e) {
      if (slot >= 0) m_bells->release(slot);
      break_pool(std::string("A worker process could not be started: ") + e.what(), broken_message);
      return nullptr;
    }
    auto w = std::make_shared<worker_connection>(m_guard->get_executor().context(), launched, *m_bells, slot,
                                                 static_cast<worker_events&>(*this));
    {
      std::lock_guard lock(m_mutex);  // force_shutdown signals the live ones
      m_live[w->pid()] = w->pidfd();
    }
    m_workers[w->pid()] = w;
    w->start();
    if (m_initializer) {
      w->send(frame_writer(frame_type::init).str(m_initializer->task_name).bytes(m_initializer->arguments).finish());
    }
    w->m_hello_timer.expires_after(hello_timeout);
    w->m_hello_timer.async_wait([this, weak = std::weak_ptr(w)](asio::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->m_said_hello) return;
      auto message = guard_message(*self, "did not start serving within " + std::to_string(hello_timeout.count()) + " s");
      break_pool(message, message);
      self->signal(SIGKILL);
    });
    return w;
  }

  static std::string guard_message(worker_connection& w, const std::string& what) {
    return "worker process " + std::to_string(w.pid()) + " " + what +
           ": does main() call cofutures::process_worker_main(argc, argv) before anything else?";
  }

  void on_frame(worker_connection& w, frame_type type, std::string_view body) override {
    std::visit([&](const auto& m) { on_message(w, m); }, parse_worker_message(type, body));
  }

  void on_message(worker_connection& w, const hello_message& m) {
    if (m.pid != w.pid()) throw protocol_error("hello from the wrong process");
    w.m_said_hello = true;
    w.m_hello_timer.cancel();
  }

  // The next task goes to the worker before the future completes, and an
  // idle worker is lent to the lane first: a thread that gets this result
  // and submits again finds the lane open.
  void on_message(worker_connection& w, const result_message& m) {
    auto work = take_reply(w, m.id);
    step();
    work->deliver(m.result);
  }

  void on_message(worker_connection& w, const error_message& m) {
    auto work = take_reply(w, m.id);
    step();
    work->fail(rebuild_exception(m.error));
  }

  void on_message(worker_connection&, const lane_reply_message&) {
    take_lane_reply();
    step();
  }

  void on_message(worker_connection&, const init_failed_message& m) {
    auto& info = m.error;
    break_pool("A worker's initializer failed (" + info.type_name + ": " + info.what + ")",
               "A process pool initializer failed, the process pool is not usable anymore (" + info.type_name + ": " +
                   info.what + ")");
  }

  // The task a reply is for, which the worker no longer runs.
  std::unique_ptr<process_work> take_reply(worker_connection& w, std::uint64_t id) {
    if (w.m_assigned.empty() || w.m_assigned.front()->m_id != id) {
      // A lane task's reply too large for the shared memory comes this way.
      std::lock_guard lock(m_mutex);  // the lane is shared with submitters
      if (m_lane.slot() == w.slot() && m_lane.holds(id)) return take_lane_work_locked();
      throw protocol_error("reply for a task the worker was not given");
    }
    w.m_pace.replied(std::chrono::steady_clock::now(), w.m_assigned.size() >= 2);
    if (m_max_tasks > 0 && ++w.m_tasks_done >= m_max_tasks) w.m_exit_expected = true;  // it exits now
    auto work = std::move(w.m_assigned.front());
    w.m_assigned.pop_front();
    return work;
  }

  void on_channel_lost(worker_connection& w, const std::string&) override {
    // The exit, which follows, tells what happened; a worker that is
    // still alive with a broken channel is of no use.
    if (!w.m_exit_expected) w.signal(SIGKILL);
  }

  void on_exit(worker_connection& w, int code, int status) override {
    auto keep = w.shared_from_this();
    // The lane's task, if this worker had it: answered before the worker
    // died (the answer stands), or lost with it.
    std::unique_ptr<process_work> lane_work;
    std::optional<process_lane::answered> lane_answer;
    {
      std::lock_guard lock(m_mutex);  // the lane is shared with submitters
      if (m_lane.slot() == w.slot()) {
        lane_answer = m_lane.take_answered(*m_bells);
        lane_work = m_lane.take();
        m_lane.release();
      }
    }
    if (lane_answer) deliver_lane_reply(*lane_answer->work, lane_answer->reply, w.pid());
    w.close_channel();
    {
      std::lock_guard lock(m_mutex);  // force_shutdown must not signal a closed pidfd
      m_live.erase(w.pid());
    }
    m_workers.erase(w.pid());
    m_bells->release(w.slot());  // reaped: nothing writes that word any more
    bool clean = code == CLD_EXITED && status == 0;
    if (!w.m_exit_expected || !clean || !w.m_assigned.empty() || lane_work) {
      auto how = describe_exit(code, status);
      bool never_served = !w.m_said_hello && !w.m_exit_expected;
      auto message = never_served ? guard_message(w, "exited before it started serving (" + how + ")")
                                  : std::string(abrupt_message) + " (worker process " + std::to_string(w.pid()) +
                                        " " + how + ")";
      auto lost = std::move(w.m_assigned);
      if (lane_work) lost.push_back(std::move(lane_work));
      break_pool(message, never_served ? message : broken_message);  // marks the pool broken first
      for (auto& work : lost) work->fail(std::make_exception_ptr(broken_process_pool(message)));
    }
    step();
  }

  // Python's _terminate_broken: every running and queued future fails, each
  // with its own exception; the other workers are stopped; later submits
  // raise broken_process_pool(pool_message).
  void break_pool(const std::string& future_message, const std::string& pool_message) {
    std::deque<std::unique_ptr<process_work>> pending;
    {
      std::lock_guard lock(m_mutex);  // submitters read the flags under it
      if (m_broken.empty()) m_broken = pool_message;
      m_shutdown = true;
      pending.swap(m_pending);
      if (auto lane_work = m_lane.take()) pending.push_front(std::move(lane_work));
      m_lane.release();
    }
    for (auto& [pid, w] : m_workers) w->m_lent = false;
    for (auto& [pid, w] : m_workers) {
      w->close_channel();
      w->m_exit_expected = true;
      w->signal(SIGKILL);
      for (auto& work : w->m_assigned) work->fail(std::make_exception_ptr(broken_process_pool(future_message)));
      w->m_assigned.clear();
    }
    for (auto& work : pending) work->fail(std::make_exception_ptr(broken_process_pool(future_message)));
  }

  void maybe_finish() {
    {
      std::lock_guard lock(m_mutex);  // submitters push under it
      if (!m_shutdown || !m_pending.empty()) return;
      if (m_lane.busy()) return;  // its taker wakes this thread (give_back_lane_if_wanted_locked)
      m_lane.release();
    }
    for (auto& [pid, w] : m_workers) w->m_lent = false;
    for (auto& [pid, w] : m_workers) {
      if (!w->m_assigned.empty()) return;  // still running work
    }
    for (auto& [pid, w] : m_workers) {
      if (!w->m_shutdown_sent) {
        w->m_shutdown_sent = true;
        w->m_exit_expected = true;
        w->send(frame_writer(frame_type::shutdown).finish());
      }
    }
    if (m_workers.empty()) m_guard.reset();  // all reaped: let the io_context finish
  }

  const std::size_t m_max_workers;
  const long m_max_tasks;
  const start_method m_method;
  const std::optional<process_initializer> m_initializer;

  mutable std::mutex m_mutex;  // guards the block below: shared with submitters
  std::deque<std::unique_ptr<process_work>> m_pending;
  std::uint64_t m_next_id = 0;
  bool m_shutdown = false;
  std::string m_broken;
  asio::io_context* m_ctx = nullptr;  // while the manager runs
  bool m_wake_posted = false;
  std::map<pid_t, int> m_live;  // pidfds of live workers, for force_shutdown's signals
  process_lane m_lane;

  std::thread m_thread;
  std::thread::id m_manager_id;
  std::mutex m_join_mutex;

  // Manager thread only.
  std::optional<worker_bells> m_bells;  // before m_workers: the connections use it to the last
  std::map<pid_t, std::shared_ptr<worker_connection>> m_workers;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> m_guard;
};

std::shared_ptr<process_pool_core> make_process_pool_core(process_pool_options options) {
  return std::make_shared<process_pool_core>(std::move(options));
}
void check_accepting(const process_pool_core& core) { core.check_accepting(); }
void enqueue(process_pool_core& core, std::unique_ptr<process_work> work) { core.enqueue(std::move(work)); }
void shutdown(process_pool_core& core, bool wait, bool cancel_futures) { core.shutdown(wait, cancel_futures); }
void force_shutdown(process_pool_core& core, int sig) { core.force_shutdown(sig); }
std::size_t max_workers(const process_pool_core& core) noexcept { return core.max_workers(); }

}  // namespace cofutures::detail

#include <cofutures/detail/future_state.hpp>

#include <cofutures/detail/adaptive_spin.hpp>

#include <condition_variable>
#include <mutex>

namespace cofutures::detail {

const char* to_string(future_status s) noexcept {
  switch (s) {
    case future_status::pending: return "pending";
    case future_status::running: return "running";
    case future_status::cancelled:
    case future_status::cancelled_and_notified: return "cancelled";
    case future_status::finished: return "finished";
  }
  return "unknown";
}

namespace {

// A thread blocked in result()/exception(). It sleeps on a mutex and
// condition variable of its own: the state's lock is a compact_mutex, which
// a condition variable cannot wait on without growing every state.
class blocking_waiter final : public waiter_node {
 public:
  // Called under the state's lock, after the state unlinked the node.
  void notify(state_base&) noexcept override {
    // The waiter frees the node once it reads m_fired under m_mutex, so it
    // cannot do so before this unlock: the node outlives its last use here.
    std::lock_guard lock(m_mutex);
    m_fired = true;
    m_cv.notify_one();
  }

  void wait() {
    std::unique_lock lock(m_mutex);  // m_fired is written under it
    m_cv.wait(lock, [&] { return m_fired; });
  }

  bool wait_until(state_base::clock::time_point deadline) {
    std::unique_lock lock(m_mutex);  // m_fired is written under it
    return m_cv.wait_until(lock, deadline, [&] { return m_fired; });
  }

 private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_fired = false;  // guarded by m_mutex
};

}  // namespace

void state_base::wait_pending() const {
  auto spin = spin_until_done(*this, clock::time_point::max());
  if (spin.done) return;
  park();
  wait_ended(spin, true);
}

void state_base::park() const {
  blocking_waiter waiter;
  auto& self = const_cast<state_base&>(*this);
  {
    std::lock_guard lock(m_mutex);  // the node links under the state's lock
    if (is_done(m_status.load(std::memory_order_relaxed))) return;  // relaxed: under the lock
    self.link_locked(waiter);
  }
  waiter.wait();  // notified, and unlinked, under the state's lock
}

bool state_base::wait_until_pending(clock::time_point deadline) const {
  auto spin = spin_until_done(*this, deadline);
  if (spin.done) return true;
  bool done = park_until(deadline);
  wait_ended(spin, done);
  return done;
}

bool state_base::park_until(clock::time_point deadline) const {
  blocking_waiter waiter;
  auto& self = const_cast<state_base&>(*this);
  {
    std::lock_guard lock(m_mutex);  // the node links under the state's lock
    if (is_done(m_status.load(std::memory_order_relaxed))) return true;  // relaxed: under the lock
    self.link_locked(waiter);
  }
  if (waiter.wait_until(deadline)) return true;
  // Timed out. Under the state's lock (unlink_if_linked takes it) a notify
  // is either over (the node is unlinked: the future is done) or not begun
  // (the node is unlinked here): either way it may leave this frame.
  return !self.unlink_if_linked(waiter);
}

std::exception_ptr state_base::exception_when_done() const {
  if (cancelled()) throw cancelled_error();
  return m_exception;  // immutable once done (published by the acquire in status())
}

void state_base::rethrow_if_failed() const {
  if (auto e = exception_when_done()) std::rethrow_exception(e);
}

bool state_base::cancel(const std::shared_ptr<state_base>& self) {
  std::unique_lock lock(m_mutex);  // every change but pending -> running is made under the lock
  auto s = m_status.load(std::memory_order_relaxed);  // relaxed: the CAS below decides
  if (s == future_status::running || s == future_status::finished) return false;
  if (is_cancelled(s)) return true;
  // A CAS, not a store: set_running_or_notify_cancel moves pending ->
  // running without the lock, and exactly one of the two may win.
  // release: pairs with status()'s acquire in lock-free readers.
  if (!m_status.compare_exchange_strong(s, future_status::cancelled, std::memory_order_acq_rel)) {
    return is_cancelled(s);  // it started running (or finished) meanwhile
  }
  notify_waiters_locked();
  auto hook = m_callbacks.take_cancel_hook();
  auto callbacks = std::move(m_callbacks);
  lock.unlock();  // hooks and callbacks may touch this future again
  if (hook) hook();
  dispatch_callbacks(self, std::move(callbacks));
  return true;
}

void state_base::add_done_callback(const std::shared_ptr<state_base>& self, callback cb) {
  {
    std::lock_guard lock(m_mutex);  // orders the add against completion
    if (!is_done(m_status.load(std::memory_order_relaxed))) {  // relaxed: under the lock
      m_callbacks.push(std::move(cb));
      return;
    }
  }
  callback_list one;
  one.push(std::move(cb));
  dispatch_callbacks(self, std::move(one));
}

// Lock-free: the executor's hot path. Only this call moves pending ->
// running and cancelled -> cancelled_and_notified; cancel() races it with
// a CAS of its own, and completion (under the lock) follows it.
bool state_base::set_running_or_notify_cancel() {
  auto s = future_status::pending;
  // acq_rel: running() readers acquire; a lost race reads cancel()'s release.
  if (m_status.compare_exchange_strong(s, future_status::running, std::memory_order_acq_rel)) return true;
  if (s == future_status::cancelled) {
    // Waiters were already told at cancel(); only the status moves on.
    m_status.compare_exchange_strong(s, future_status::cancelled_and_notified, std::memory_order_acq_rel);
    return false;
  }
  throw invalid_state_error(std::string("future in unexpected state: ") + to_string(s));
}

bool state_base::try_set_exception(const std::shared_ptr<state_base>& self, std::exception_ptr e) {
  auto lock = lock_if_completable();
  if (!lock.owns_lock()) return false;
  m_exception = std::move(e);
  finish_locked(self, std::move(lock));
  return true;
}

void state_base::abandon(const std::shared_ptr<state_base>& self) noexcept {
  if (done()) return;
  try_set_exception(self, std::make_exception_ptr(invalid_state_error(
                              "broken promise: the producer was destroyed without setting a result")));
}

void state_base::set_cancel_hook(std::function<void()> hook) {
  std::unique_lock lock(m_mutex);  // races a cancel() reading the hook
  if (!is_cancelled(m_status.load(std::memory_order_relaxed))) {  // relaxed: under the lock
    m_callbacks.rare_or_new().cancel_hook = std::move(hook);
    return;
  }
  lock.unlock();
  hook();  // cancelled before the operation existed: cancel it at once
}

void state_base::set_wait_assist(std::shared_ptr<wait_assist> assist) {
  std::lock_guard lock(m_mutex);  // the rare parts are moved out when the future finishes
  if (is_done(m_status.load(std::memory_order_relaxed))) return;  // relaxed: under the lock
  m_callbacks.rare_or_new().assist = std::move(assist);
}

std::shared_ptr<wait_assist> state_base::wait_assist_if_pending() const {
  std::lock_guard lock(m_mutex);  // as set_wait_assist
  if (is_done(m_status.load(std::memory_order_relaxed)) || !m_callbacks.rare) return nullptr;  // relaxed: under the lock
  return m_callbacks.rare->assist;
}

bool state_base::link_if_pending(waiter_node& node) {
  // acquire: done is final, and pairs with the completing release (a waiter
  // over a million done futures then takes no lock for them).
  if (is_done(m_status.load(std::memory_order_acquire))) return false;
  std::lock_guard lock(m_mutex);  // the list and the status change under it
  if (is_done(m_status.load(std::memory_order_relaxed))) return false;  // relaxed: under the lock
  link_locked(node);
  return true;
}

bool state_base::unlink_if_linked(waiter_node& node) {
  std::lock_guard lock(m_mutex);  // node.m_linked is guarded by it
  if (!node.m_linked) return false;
  unlink_locked(node);
  return true;
}

state_base::lock_type state_base::lock_if_completable() {
  std::unique_lock lock(m_mutex);  // the completing store and the status change are one step
  auto s = m_status.load(std::memory_order_relaxed);  // relaxed: under the lock
  if (is_done(s)) lock.unlock();
  return lock;
}

void state_base::finish_locked(const std::shared_ptr<state_base>& self,
                               lock_type lock) {
  // release: the value/exception stored under the lock is visible to any
  // lock-free reader that sees `finished`.
  m_status.store(future_status::finished, std::memory_order_release);
  notify_waiters_locked();
  auto hook = m_callbacks.take_cancel_hook();  // the operation is over: dropped below, unlocked
  auto callbacks = std::move(m_callbacks);
  lock.unlock();  // callbacks run outside the lock: they may use the future
  hook = nullptr;
  dispatch_callbacks(self, std::move(callbacks));
}

void state_base::notify_waiters_locked() noexcept {
  while (waiter_node* node = m_waiters) {
    unlink_locked(*node);
    node->notify(*this);  // may free the node: it is no longer ours
  }
}

void state_base::dispatch_callbacks(const std::shared_ptr<state_base>& self, callback_list cbs) {
  if (cbs.empty()) return;
  auto batch = [self, cbs = std::move(cbs)]() mutable {
    auto run = [&](callback& cb) {
      try {
        cb(self);
      } catch (...) {
        report_callback_exception(std::current_exception(), callback_context(*self));
      }
    };
    run(cbs.first);
    if (cbs.rare) {
      for (auto& cb : cbs.rare->more_callbacks) run(cb);
    }
  };
  static_assert(loop_core::posted_function::stores_in_place<decltype(batch)>,
                "a callback batch is queued on the loop without an allocation of its own");
  // A bound future's callbacks run on its loop's thread, in order, in one
  // posted batch; once that loop is gone they run here, like Python's.
  if (m_loop && m_loop->try_post(std::move(batch))) return;
  batch();
}

// Appends, so waiters are notified in the order they started waiting. The
// list is circular: the head's m_prev is the tail, so the state holds one
// pointer, not two (eight bytes in each of a million pending futures).
void state_base::link_locked(waiter_node& node) noexcept {
  if (m_waiters == nullptr) {
    node.m_prev = node.m_next = &node;
    m_waiters = &node;
  } else {
    waiter_node* tail = m_waiters->m_prev;
    node.m_prev = tail;
    node.m_next = m_waiters;
    tail->m_next = &node;
    m_waiters->m_prev = &node;
  }
  node.m_linked = true;
}

void state_base::unlink_locked(waiter_node& node) noexcept {
  if (node.m_next == &node) {
    m_waiters = nullptr;  // it was the only one
  } else {
    node.m_prev->m_next = node.m_next;
    node.m_next->m_prev = node.m_prev;
    if (m_waiters == &node) m_waiters = node.m_next;
  }
  node.m_prev = node.m_next = nullptr;
  node.m_linked = false;
}

}  // namespace cofutures::detail

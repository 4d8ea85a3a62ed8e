#pragma once
// The shared state behind future<T>, any_future and promise<T>: Python's
// Future state machine (pending, running, cancelled, finished), its waiters
// and done-callbacks. One mutex per state; status readable without it.

#include <cofutures/detail/compact_mutex.hpp>
#include <cofutures/detail/loop_core.hpp>
#include <cofutures/detail/small_function.hpp>
#include <cofutures/detail/wait_assist.hpp>
#include <cofutures/detail/waiter_node.hpp>
#include <cofutures/errors.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace cofutures::detail {

enum class future_status : std::uint8_t {
  pending,
  running,
  cancelled,
  cancelled_and_notified,  // the executor has seen the cancellation
  finished,
};

const char* to_string(future_status s) noexcept;

class state_base {
 public:
  /// Move-only, stored in place up to 32 bytes: no allocation per callback.
  using callback = small_function<void(const std::shared_ptr<state_base>&)>;
  using clock = std::chrono::steady_clock;
  using lock_type = std::unique_lock<compact_mutex>;

  explicit state_base(std::shared_ptr<loop_core> loop = current_loop_core()) noexcept
      : m_loop(std::move(loop)) {}
  virtual ~state_base() = default;
  state_base(const state_base&) = delete;
  state_base& operator=(const state_base&) = delete;

  // --- queries: lock-free reads of the status --------------------------
  future_status status() const noexcept {
    // acquire: a reader that sees `finished` also sees the stored value or
    // exception written before the release store in finish_locked().
    return m_status.load(std::memory_order_acquire);
  }
  bool done() const noexcept { return is_done(status()); }
  bool cancelled() const noexcept { return is_cancelled(status()); }
  bool running() const noexcept { return status() == future_status::running; }
  static bool is_done(future_status s) noexcept { return s >= future_status::cancelled; }
  static bool is_cancelled(future_status s) noexcept {
    return s == future_status::cancelled || s == future_status::cancelled_and_notified;
  }

  /// True when finished with an exception. Only meaningful once done().
  bool has_exception() const noexcept { return status() == future_status::finished && m_exception; }

  // --- consumer side ---------------------------------------------------
  /// Inline for the done case (a result read after wait/as_completed).
  void wait() const {
    if (!done()) wait_pending();
  }
  /// Waits until done or the deadline passed; returns done().
  bool wait_until(clock::time_point deadline) const { return done() || wait_until_pending(deadline); }
  /// After done(): the exception, nullptr on success; cancelled_error if cancelled.
  std::exception_ptr exception_when_done() const;
  /// After done(): rethrows the exception or cancelled_error.
  void rethrow_if_failed() const;

  bool cancel(const std::shared_ptr<state_base>& self);
  void add_done_callback(const std::shared_ptr<state_base>& self, callback cb);

  // --- producer side ---------------------------------------------------
  bool set_running_or_notify_cancel();
  /// Stores the exception unless already done; false if it was.
  bool try_set_exception(const std::shared_ptr<state_base>& self, std::exception_ptr e);
  /// The producer is gone: a future not yet done fails with
  /// invalid_state_error ("broken promise"), so no waiter hangs for ever.
  void abandon(const std::shared_ptr<state_base>& self) noexcept;
  /// Runs when cancel() succeeds, outside the lock (cancels the operation
  /// behind the future: a spawned coroutine, an Asio operation).
  void set_cancel_hook(std::function<void()> hook);
  /// Lets a waiter spinning on this future help bring its result (see
  /// wait_assist.hpp). Ignored once the future is done.
  void set_wait_assist(std::shared_ptr<wait_assist> assist);
  /// The assist, if any and the future is not done yet.
  std::shared_ptr<wait_assist> wait_assist_if_pending() const;

  // --- waiter nodes ----------------------------------------------------
  /// Links the node unless the future is done; returns whether it linked.
  bool link_if_pending(waiter_node& node);
  /// Unlinks the node if still linked; returns whether it was.
  bool unlink_if_linked(waiter_node& node);

  const std::shared_ptr<loop_core>& loop() const noexcept { return m_loop; }

 protected:
  /// Locks and checks the future can still be completed (not cancelled or
  /// finished); if it can, returns the held lock for the caller to store a
  /// value and call finish_locked.
  lock_type lock_if_completable();
  void finish_locked(const std::shared_ptr<state_base>& self, lock_type lock);

 private:
  void notify_waiters_locked() noexcept;
  void wait_pending() const;
  bool wait_until_pending(clock::time_point deadline) const;
  // The blocking part of the two above, after the spin: sleeps until done
  // (or the deadline; true if done).
  void park() const;
  bool park_until(clock::time_point deadline) const;
  // What few futures need, allocated on first use: the done-callbacks
  // after the first, the cancel hook (spawned coroutines, Asio
  // operations), and the wait assist (process tasks sent straight to a
  // worker). Kept out of the state: a pool task's future has neither,
  // and a million pending futures would carry the bytes for nothing.
  struct rare_parts {
    std::vector<callback> more_callbacks;
    std::function<void()> cancel_hook;
    std::shared_ptr<wait_assist> assist;
  };
  // The done-callbacks, in order: the first in place (the common case of
  // one costs no allocation), any others after it.
  struct callback_list {
    callback first;
    std::unique_ptr<rare_parts> rare;
    bool empty() const noexcept { return !first; }
    void push(callback cb) {
      if (!first) {
        first = std::move(cb);
        return;
      }
      rare_or_new().more_callbacks.push_back(std::move(cb));
    }
    rare_parts& rare_or_new() {
      if (!rare) rare = std::make_unique<rare_parts>();
      return *rare;
    }
    std::function<void()> take_cancel_hook() noexcept {
      return rare ? std::move(rare->cancel_hook) : std::function<void()>();
    }
  };

  void dispatch_callbacks(const std::shared_ptr<state_base>& self, callback_list cbs);
  void link_locked(waiter_node& node) noexcept;
  void unlink_locked(waiter_node& node) noexcept;

  // Four bytes, not std::mutex's forty: a million pending futures each
  // carry one. The status shares its eight bytes.
  mutable compact_mutex m_mutex;  // guards everything below but m_status reads and its pending -> running CAS
  std::atomic<future_status> m_status{future_status::pending};
  std::exception_ptr m_exception;
  waiter_node* m_waiters = nullptr;  // intrusive FIFO list, circular: the head's m_prev is the tail
  callback_list m_callbacks;  // and the cancel hook, in its rare parts
  std::shared_ptr<loop_core> m_loop;  // callbacks go to this loop's thread
};

/// Reports an exception a done-callback threw (to the handler installed with
/// cofutures::set_callback_exception_handler; stderr by default).
void report_callback_exception(std::exception_ptr e, const std::string& context) noexcept;
/// The context line for a callback of `state`.
std::string callback_context(const state_base& state);

/// The state of a future<T>: the base plus the value.
template <class T>
class state final : public state_base {
 public:
  using state_base::state_base;

  template <class U>
  bool try_set_value(const std::shared_ptr<state_base>& self, U&& value) {
    auto lock = lock_if_completable();
    if (!lock.owns_lock()) return false;
    m_value.emplace(std::forward<U>(value));
    finish_locked(self, std::move(lock));
    return true;
  }

  /// After done() and without exception.
  const T& value() const noexcept { return *m_value; }
  T& value() noexcept { return *m_value; }

 private:
  std::optional<T> m_value;  // written once under the lock before `finished`
};

template <>
class state<void> final : public state_base {
 public:
  using state_base::state_base;

  bool try_set_value(const std::shared_ptr<state_base>& self) {
    auto lock = lock_if_completable();
    if (!lock.owns_lock()) return false;
    finish_locked(self, std::move(lock));
    return true;
  }
};

}  // namespace cofutures::detail

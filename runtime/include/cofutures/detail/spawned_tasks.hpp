#pragma once
// The tasks an event_loop has spawned and not yet finished, so that its
// destructor can cancel them, and each task's cancellation signal.

#include <cofutures/detail/future_state.hpp>

#include <asio/cancellation_signal.hpp>

#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace cofutures::detail {

class task_control {
 public:
  explicit task_control(std::weak_ptr<state_base> st) : m_id(st.lock().get()), m_state(std::move(st)) {}
  /// Whether this is the task completing `st` (identity only; never dereferenced).
  bool completes(const state_base* st) const noexcept { return m_id == st; }
  asio::cancellation_slot slot() { return m_signal.slot(); }
  /// On the loop thread only (cancellation signals are not thread-safe).
  void emit_cancel() { m_signal.emit(asio::cancellation_type::terminal); }
  /// Cancels the task's future (which emits through its cancel hook).
  void cancel_future() const {
    if (auto s = m_state.lock()) s->cancel(s);
  }

 private:
  const state_base* m_id;
  asio::cancellation_signal m_signal;
  std::weak_ptr<state_base> m_state;
};

class task_registry {
 public:
  std::shared_ptr<task_control> add(std::weak_ptr<state_base> st);
  void remove(task_control& task);
  std::vector<std::shared_ptr<task_control>> snapshot() const;
  /// The unfinished task completing `st`, or nullptr.
  std::shared_ptr<task_control> find(const state_base* st) const;
  bool empty() const;

 private:
  mutable std::mutex m_mutex;  // spawn() may run on any thread
  std::unordered_set<std::shared_ptr<task_control>> m_tasks;
};

}  // namespace cofutures::detail

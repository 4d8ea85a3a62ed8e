#pragma once
// Waits on a set of futures at once: the machinery behind wait(),
// as_completed() and their async forms. One link per future goes into that
// future's state; completions are recorded here in the order they happen.

#include <cofutures/detail/future_state.hpp>
#include <cofutures/detail/waiter_node.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace cofutures::detail {

class future_set_waiter {
 public:
  enum class mode { first_completed, first_exception, all_completed, each };
  using clock = std::chrono::steady_clock;

  /// `states` must be free of duplicates, and stay alive until unlink_all()
  /// or the destructor: the caller's futures own them (the waiter holds raw
  /// pointers, so a million-future wait costs no reference counting).
  /// Links into every state; futures already done are recorded first, in
  /// input order.
  future_set_waiter(std::vector<state_base*> states, mode m);
  /// unlink_all().
  ~future_set_waiter();
  future_set_waiter(const future_set_waiter&) = delete;
  future_set_waiter& operator=(const future_set_waiter&) = delete;

  std::size_t size() const noexcept { return m_states.size(); }

  /// Unlinks from every state still linked, so no state can reach the
  /// waiter and the waiter touches no state again: the futures may go.
  /// Completions after it are not recorded. Idempotent; the waiter's own
  /// thread only.
  void unlink_all() noexcept;

  /// Blocks until the mode's condition holds or the deadline passes;
  /// returns whether it holds.
  bool wait_until(std::optional<clock::time_point> deadline);
  /// Whether the mode's condition holds now.
  bool satisfied() const;
  /// Indices of the futures seen done so far, in yield order.
  std::vector<std::size_t> finished() const;
  /// How many futures were seen done so far.
  std::size_t finished_count() const;
  /// For `each`: the next done future's index not yet taken.
  std::optional<std::size_t> take_next();
  /// Futures not yet taken by take_next().
  std::size_t untaken() const;

  /// For async waits: `wake` is called (under this waiter's lock, so it must
  /// only post) when a future finishes, once until wake_consumed().
  void set_wake(std::function<void()> wake);
  void wake_consumed();

 private:
  struct link final : waiter_node {
    future_set_waiter* m_owner = nullptr;
    std::size_t m_index = 0;
    bool m_was_linked = false;  // the waiter's own thread only: set in its constructor
    void notify(state_base& s) noexcept override { m_owner->record(m_index, s); }
  };

  void record(std::size_t index, state_base& s) noexcept;
  bool satisfied_locked() const noexcept;

  std::vector<state_base*> m_states;  // owned by the caller's futures
  bool m_unlinked = false;            // unlink_all() ran: the waiter's own thread only
  std::unique_ptr<link[]> m_links;    // one per future pending when the waiter was made
  std::size_t m_link_count = 0;
  mode m_mode;

  // Locked after a state's lock (record runs under it), never before.
  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<std::size_t> m_finished;  // yield order
  std::size_t m_taken = 0;
  bool m_saw_exception = false;
  std::function<void()> m_wake;
  bool m_wake_pending = false;
};

}  // namespace cofutures::detail

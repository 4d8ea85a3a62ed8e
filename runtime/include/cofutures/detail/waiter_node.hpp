#pragma once
// An intrusive node a waiter (blocking wait, async_result, wait/as_completed)
// links into a future's state. The state notifies it exactly once, under the
// state's lock, after unlinking it.

namespace cofutures::detail {

class state_base;

class waiter_node {
 public:
  waiter_node() = default;
  waiter_node(const waiter_node&) = delete;
  waiter_node& operator=(const waiter_node&) = delete;

  /// Called with the state's mutex held, once the node is unlinked. Must not
  /// call back into the state; may take locks that are never held while
  /// taking a state's lock.
  virtual void notify(state_base& state) noexcept = 0;

 protected:
  ~waiter_node() = default;

 private:
  friend class state_base;
  waiter_node* m_prev = nullptr;
  waiter_node* m_next = nullptr;
  bool m_linked = false;  // guarded by the owning state's mutex
};

}  // namespace cofutures::detail

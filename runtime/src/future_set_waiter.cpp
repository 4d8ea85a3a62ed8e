#include <cofutures/detail/future_set_waiter.hpp>

#include <algorithm>

namespace cofutures::detail {

future_set_waiter::future_set_waiter(std::vector<state_base*> states, mode m)
    : m_states(std::move(states)), m_mode(m) {
  // Done futures need no link: over a million of them the waiter reads each
  // one's status (acquire, see state_base::status) and allocates nothing.
  // Reserved in full: one allocation each, no regrowth copies, and pages
  // never written are never faulted in.
  std::vector<std::size_t> already_done;
  std::vector<std::size_t> pending;
  already_done.reserve(m_states.size());
  pending.reserve(m_states.size());
  // Only first_exception asks whether one raised: asked in the same pass,
  // while the state's line is in cache, not in a second one.
  const bool track_exceptions = m_mode == mode::first_exception;
  bool saw_exception = false;
  for (std::size_t i = 0; i < m_states.size(); ++i) {
    if (!m_states[i]->done()) {
      pending.push_back(i);
      continue;
    }
    already_done.push_back(i);
    if (track_exceptions && m_states[i]->has_exception()) saw_exception = true;
  }
  if (!pending.empty()) {
    m_links.reset(new link[pending.size()]);
    m_link_count = pending.size();
  }
  bool late = false;  // a future finished between the two looks
  for (std::size_t k = 0; k < pending.size(); ++k) {
    auto& l = m_links[k];
    l.m_owner = this;
    l.m_index = pending[k];
    l.m_was_linked = m_states[l.m_index]->link_if_pending(l);
    if (!l.m_was_linked) {
      already_done.push_back(l.m_index);
      late = true;
      if (track_exceptions && m_states[l.m_index]->has_exception()) saw_exception = true;
    }
  }
  if (late) std::sort(already_done.begin(), already_done.end());
  std::lock_guard lock(m_mutex);  // links may already be recording completions
  if (saw_exception) m_saw_exception = true;
  // Done futures come first, in input order, then completion order.
  if (m_finished.empty()) m_finished = std::move(already_done);  // the usual case: no copy
  else m_finished.insert(m_finished.begin(), already_done.begin(), already_done.end());
}

future_set_waiter::~future_set_waiter() { unlink_all(); }

void future_set_waiter::unlink_all() noexcept {
  if (m_unlinked) return;
  m_unlinked = true;
  // Takes each state's lock: once past it, no notify for this waiter can
  // be running or start.
  // A link never linked (its future was done already) needs no lock.
  for (std::size_t k = 0; k < m_link_count; ++k) {
    auto& l = m_links[k];
    if (l.m_was_linked) m_states[l.m_index]->unlink_if_linked(l);
  }
}

void future_set_waiter::record(std::size_t index, state_base& s) noexcept {
  std::lock_guard lock(m_mutex);  // order: the state's lock is held here
  m_finished.push_back(index);
  if (s.has_exception()) m_saw_exception = true;
  if (satisfied_locked()) m_cv.notify_all();
  if (m_wake && !m_wake_pending) {
    m_wake_pending = true;
    m_wake();
  }
}

bool future_set_waiter::satisfied_locked() const noexcept {
  switch (m_mode) {
    case mode::first_completed: return !m_finished.empty() || m_states.empty();  // Python: done == fs
    case mode::first_exception: return m_saw_exception || m_finished.size() == m_states.size();
    case mode::all_completed: return m_finished.size() == m_states.size();
    case mode::each: return m_taken < m_finished.size();
  }
  return false;
}

bool future_set_waiter::wait_until(std::optional<clock::time_point> deadline) {
  std::unique_lock lock(m_mutex);  // records arrive from completing threads under this lock
  auto ready = [this] { return satisfied_locked(); };
  if (!deadline) {
    m_cv.wait(lock, ready);
    return true;
  }
  return m_cv.wait_until(lock, *deadline, ready);
}

bool future_set_waiter::satisfied() const {
  std::lock_guard lock(m_mutex);  // counts change on completing threads
  return satisfied_locked();
}

std::vector<std::size_t> future_set_waiter::finished() const {
  std::lock_guard lock(m_mutex);  // m_finished grows on completing threads
  return m_finished;
}

std::size_t future_set_waiter::finished_count() const {
  std::lock_guard lock(m_mutex);  // m_finished grows on completing threads
  return m_finished.size();
}

std::optional<std::size_t> future_set_waiter::take_next() {
  std::lock_guard lock(m_mutex);  // the consumer's cursor and producers' appends share m_finished
  if (m_taken == m_finished.size()) return std::nullopt;
  return m_finished[m_taken++];
}

std::size_t future_set_waiter::untaken() const {
  std::lock_guard lock(m_mutex);  // m_taken is read by async wake-ups on the loop too
  return m_states.size() - m_taken;
}

void future_set_waiter::set_wake(std::function<void()> wake) {
  std::lock_guard lock(m_mutex);  // record() reads m_wake on other threads
  m_wake = std::move(wake);
  m_wake_pending = false;
}

void future_set_waiter::wake_consumed() {
  std::lock_guard lock(m_mutex);  // pairs with record()'s test of m_wake_pending
  m_wake_pending = false;
}

}  // namespace cofutures::detail

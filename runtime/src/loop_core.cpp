#include <cofutures/detail/loop_core.hpp>

#include <iterator>

namespace cofutures::detail {

void loop_core::drain() {
  std::vector<posted_function> todo;
  {
    std::lock_guard lock(m_mutex);  // the queue and the flag change together with try_post's
    todo.swap(m_queued);
    m_queued.swap(m_spare);  // empty, with the capacity of an earlier batch
    m_drain_posted = false;  // what is queued from here on needs a drain of its own
  }
  std::size_t next = 0;
  try {
    while (next < todo.size()) todo[next++]();
  } catch (...) {
    std::lock_guard lock(m_mutex);  // as above
    if (m_ctx != nullptr && next < todo.size()) {
      // The rest keep their place: ahead of anything queued meanwhile.
      m_queued.insert(m_queued.begin(), std::make_move_iterator(todo.begin() + static_cast<std::ptrdiff_t>(next)),
                      std::make_move_iterator(todo.end()));
      if (!m_drain_posted) {
        asio::post(*m_ctx, [self = shared_from_this()] { self->drain(); });
        m_drain_posted = true;
      }
    }
    throw;
  }
  todo.clear();
  std::lock_guard lock(m_mutex);  // m_spare is shared with drains to come
  if (todo.capacity() > m_spare.capacity()) m_spare.swap(todo);
}

void loop_core::close() noexcept {
  std::vector<posted_function> dropped;
  {
    std::lock_guard lock(m_mutex);  // waits out a try_post in progress
    m_ctx = nullptr;
    dropped.swap(m_queued);
  }
  // Destroyed unlocked: a destructor may try to post again (and find the loop closed).
}

}  // namespace cofutures::detail

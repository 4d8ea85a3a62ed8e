#include <cofutures/process_lock.hpp>

#include <cerrno>
#include <system_error>

namespace cofutures {

process_lock::process_lock(std::shared_ptr<detail::shared_segment> segment, std::uint32_t offset, bool create)
    : m_segment(std::move(segment)), m_offset(offset) {
  m_mutex = static_cast<pthread_mutex_t*>(m_segment->at(offset, sizeof(pthread_mutex_t)));
  if (!create) return;
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  // Robust: a holder that dies makes the next lock() return EOWNERDEAD
  // instead of blocking for ever.
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  int rc = pthread_mutex_init(m_mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "pthread_mutex_init (process_lock)");
}

process_lock process_lock::attach(const std::string& segment_name, std::uint32_t offset) {
  if (segment_name.empty()) return {};
  return process_lock(detail::shared_segment::attach(segment_name), offset, false);
}

bool process_lock::acquired(int rc) {
  if (rc == EOWNERDEAD) {
    // We hold it now; mark the state consistent so it stays usable.
    pthread_mutex_consistent(m_mutex);
    m_owner_died = true;
    return true;
  }
  if (rc == EBUSY) return false;
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "process_lock");
  m_owner_died = false;
  return true;
}

void process_lock::lock() {
  if (!m_mutex) throw std::system_error(EINVAL, std::generic_category(), "process_lock: empty handle");
  acquired(pthread_mutex_lock(m_mutex));
}

bool process_lock::try_lock() {
  if (!m_mutex) throw std::system_error(EINVAL, std::generic_category(), "process_lock: empty handle");
  return acquired(pthread_mutex_trylock(m_mutex));
}

void process_lock::unlock() {
  if (!m_mutex) throw std::system_error(EINVAL, std::generic_category(), "process_lock: empty handle");
  int rc = pthread_mutex_unlock(m_mutex);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "process_lock::unlock");
}

}  // namespace cofutures

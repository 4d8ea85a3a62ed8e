#include <cofutures/manager.hpp>

#include <stdexcept>

namespace cofutures {
namespace {
constexpr std::size_t segment_size = 1 << 20;  // sparse until touched
}

manager::~manager() {
  for (auto& segment : m_segments) segment->unlink();
}

process_lock manager::lock() {
  auto [segment, offset] = allocate(sizeof(pthread_mutex_t), alignof(pthread_mutex_t));
  return process_lock(std::move(segment), offset, true);
}

std::pair<std::shared_ptr<detail::shared_segment>, std::uint32_t> manager::allocate(std::size_t size,
                                                                                   std::size_t align) {
  if (size > segment_size / 2) throw std::length_error("shared object too large for a manager segment");
  std::lock_guard lock(m_mutex);  // see m_mutex
  if (!m_segments.empty()) {
    if (auto offset = m_segments.back()->allocate(size, align)) return {m_segments.back(), offset};
  }
  m_segments.push_back(detail::shared_segment::create(segment_size));
  return {m_segments.back(), m_segments.back()->allocate(size, align)};
}

}  // namespace cofutures

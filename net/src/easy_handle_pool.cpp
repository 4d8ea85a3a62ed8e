#include "detail/easy_handle_pool.hpp"

namespace cofutures::detail {

easy_handle_pool::~easy_handle_pool() {
  for (CURL* easy : m_idle) curl_easy_cleanup(easy);
}

CURL* easy_handle_pool::take() noexcept {
  if (m_idle.empty()) return nullptr;
  CURL* easy = m_idle.back();
  m_idle.pop_back();
  return easy;
}

void easy_handle_pool::give(CURL* easy) noexcept {
  if (easy == nullptr) return;
  if (m_idle.size() >= m_max_idle) return curl_easy_cleanup(easy);
  curl_easy_reset(easy);
  m_idle.push_back(easy);
}

}  // namespace cofutures::detail

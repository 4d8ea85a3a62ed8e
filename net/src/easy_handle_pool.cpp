#include "detail/easy_handle_pool.hpp"

namespace cofutures::detail {

easy_handle_pool::~easy_handle_pool() {
  for (CURL* easy : m_reset) curl_easy_cleanup(easy);
  for (CURL* easy : m_plain_get) curl_easy_cleanup(easy);
}

CURL* easy_handle_pool::take(bool plain_get, bool& configured) noexcept {
  configured = false;
  if (plain_get && !m_plain_get.empty()) {
    configured = true;
    CURL* easy = m_plain_get.back();
    m_plain_get.pop_back();
    return easy;
  }
  if (!m_reset.empty()) {
    CURL* easy = m_reset.back();
    m_reset.pop_back();
    return easy;
  }
  if (m_plain_get.empty()) return nullptr;
  CURL* easy = m_plain_get.back();
  m_plain_get.pop_back();
  curl_easy_reset(easy);
  return easy;
}

void easy_handle_pool::give(CURL* easy, bool plain_get) noexcept {
  if (easy == nullptr) return;
  if (m_reset.size() + m_plain_get.size() >= m_max_idle) return curl_easy_cleanup(easy);
  if (!plain_get) {
    curl_easy_reset(easy);
    m_reset.push_back(easy);
    return;
  }
  // What pointed into the finished request: its transfer, error buffer and
  // parsed URL are gone (the next request sets its own before it starts).
  curl_easy_setopt(easy, CURLOPT_PRIVATE, nullptr);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(easy, CURLOPT_CURLU, nullptr);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, nullptr);
  m_plain_get.push_back(easy);
}

}  // namespace cofutures::detail

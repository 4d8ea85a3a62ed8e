#pragma once
// Idle libcurl easy handles of one http_client, kept for its next
// requests. curl_easy_init allocates and zeroes a large handle (with its
// 16 KB receive buffer) and curl_easy_cleanup frees it again: about a
// fifth of libcurl's instructions for a small GET. A handle given back is
// curl_easy_reset at once, so it keeps no option and no pointer of the
// request that used it (connections stay in the multi handle's cache).
// Not thread-safe: used on the client's serialized executor only.

#include <curl/curl.h>

#include <cstddef>
#include <vector>

namespace cofutures::detail {

class easy_handle_pool {
 public:
  explicit easy_handle_pool(std::size_t max_idle) : m_max_idle(max_idle) { m_idle.reserve(max_idle); }
  ~easy_handle_pool();
  easy_handle_pool(const easy_handle_pool&) = delete;
  easy_handle_pool& operator=(const easy_handle_pool&) = delete;

  /// An idle handle with default options, or nullptr when none is kept.
  CURL* take() noexcept;
  /// Resets `easy` (removed from any multi handle) and keeps it, or
  /// cleans it up when max_idle handles are kept already.
  void give(CURL* easy) noexcept;

 private:
  std::vector<CURL*> m_idle;  // capacity max_idle from the start: give() never allocates
  std::size_t m_max_idle;
};

}  // namespace cofutures::detail

#pragma once
// Idle libcurl easy handles of one http_client, kept for its next
// requests. curl_easy_init allocates and zeroes a large handle (with its
// 16 KB receive buffer) and curl_easy_cleanup frees it again: about a
// fifth of libcurl's instructions for a small GET. A handle given back is
// curl_easy_reset at once, so it keeps no option of the request that used
// it (connections stay in the multi handle's cache); except one that did a
// plain GET (easy_transfer::plain_get): it keeps its options for the next
// plain GET, which then sets only what differs per request. Skipping the
// reset and the options again took a small GET from 111,900 to 96,400
// instructions (callgrind; a reset handle also sets up again what curl
// keeps per handle). Its pointers into the finished request are cleared
// at once.
// Not thread-safe: used on the client's serialized executor only.

#include <curl/curl.h>

#include <cstddef>
#include <vector>

namespace cofutures::detail {

class easy_handle_pool {
 public:
  explicit easy_handle_pool(std::size_t max_idle) : m_max_idle(max_idle) {
    m_reset.reserve(max_idle);
    m_plain_get.reserve(max_idle);
  }
  ~easy_handle_pool();
  easy_handle_pool(const easy_handle_pool&) = delete;
  easy_handle_pool& operator=(const easy_handle_pool&) = delete;

  /// An idle handle, or nullptr when none is kept. For a plain GET
  /// (`plain_get`), one still set up for a plain GET if there is one
  /// (`configured` is then true); otherwise one with default options.
  CURL* take(bool plain_get, bool& configured) noexcept;
  /// Keeps `easy` (removed from any multi handle), or cleans it up when
  /// max_idle handles are kept already. `plain_get`: it did a plain GET
  /// and is kept set up for the next; otherwise it is reset.
  void give(CURL* easy, bool plain_get = false) noexcept;

 private:
  // Capacity max_idle each from the start: give() never allocates.
  std::vector<CURL*> m_reset;      // default options
  std::vector<CURL*> m_plain_get;  // a plain GET's options
  std::size_t m_max_idle;
};

}  // namespace cofutures::detail

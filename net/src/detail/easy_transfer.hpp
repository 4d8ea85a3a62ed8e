#pragma once
// One request as a libcurl easy handle: options from the http_request,
// the write/header/progress callbacks, and the http_response (or
// http_error) built at the end. Shared by http_client and fetch().

#include <cofutures/detail/http_client_core.hpp>
#include <cofutures/http_error.hpp>
#include <cofutures/http_request.hpp>

#include "easy_handle_pool.hpp"
#include "repeated_url.hpp"
#include "user_agent_header.hpp"

#include <curl/curl.h>

#include <cstdint>
#include <exception>
#include <string>
#include <utility>

namespace cofutures::detail {

/// curl_global_init, once per process.
void ensure_curl_initialized();

class easy_transfer {
 public:
  /// Sets up a handle taken from `pool` (when given and not empty) or a
  /// new one; the transfer owns it. `user_agent` must outlive the transfer.
  /// `url`, when given, is request.url parsed (see repeated_url).
  /// @throws http_error if libcurl refuses an option.
  easy_transfer(http_request request, const user_agent_header& user_agent, easy_handle_pool* pool = nullptr,
                shared_curl_url url = nullptr);
  ~easy_transfer();
  easy_transfer(const easy_transfer&) = delete;
  easy_transfer& operator=(const easy_transfer&) = delete;

  CURL* handle() const noexcept { return m_easy; }
  /// Gives up the handle (for easy_handle_pool::give), once it is out of
  /// any multi handle and finish() has read what it needs.
  CURL* release_handle() noexcept { return std::exchange(m_easy, nullptr); }
  const http_request& request() const noexcept { return m_request; }
  /// The transfer behind a handle curl reports (its CURLOPT_PRIVATE).
  static easy_transfer* of(CURL* easy) noexcept;
  /// The client's id for the request (0 for fetch()).
  std::uint64_t id() const noexcept { return m_id; }
  void set_id(std::uint64_t id) noexcept { m_id = id; }
  bool paused() const noexcept { return m_paused; }
  /// A GET with every option at its default (no body, headers, timeouts,
  /// CA file or progress callback): the kind easy_handle_pool keeps set up.
  bool plain_get() const noexcept { return m_plain_get; }
  void unpause();

  /// The outcome once curl reports `code` for the transfer: the response,
  /// or (returned as an exception) an http_error / a callback's exception.
  std::exception_ptr finish(CURLcode code, http_response& response);

 private:
  static bool is_plain_get(const http_request& r) noexcept;
  void set_options(const user_agent_header& user_agent);
  // What differs between two plain GETs on one handle: the URL and the
  // pointers to this transfer.
  void set_request_pointers();
  void append_header(const std::string& line);
  static size_t on_write(char* data, size_t size, size_t count, void* self);
  static size_t on_header(char* data, size_t size, size_t count, void* self);
  static int on_progress(void* self, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

  http_request m_request;
  shared_curl_url m_url;  // curl reads it until the handle is reset or cleaned up (both before it goes)
  CURL* m_easy = nullptr;
  curl_slist* m_headers = nullptr;
  char m_error[CURL_ERROR_SIZE] = {};
  http_response m_response;
  std::exception_ptr m_callback_error;  // from on_chunk / on_progress
  bool m_paused = false;
  bool m_plain_get = false;
  std::uint64_t m_id = 0;
};

}  // namespace cofutures::detail

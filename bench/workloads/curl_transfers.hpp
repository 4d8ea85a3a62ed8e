#pragma once
// What the two raw libcurl baselines (http_curl, http_curl_socket) share:
// one GET per fresh easy handle, its body collected in a string that the
// handle owns (CURLOPT_PRIVATE) until curl reports it done.

#include "common.hpp"

#include <curl/curl.h>

#include <cstddef>
#include <memory>
#include <string>

namespace bench::curl {

struct transfer {
  std::string body;
};

inline std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<transfer*>(user)->body.append(data, size * count);
  return size * count;
}

struct totals {
  long ok = 0;
  long bytes = 0;
};

/// Adds a GET of url to the multi handle.
inline void start(CURLM* multi, const std::string& url) {
  CURL* easy = curl_easy_init();
  auto* t = new transfer;  // owned by the easy handle until it finishes
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
  curl_multi_add_handle(multi, easy);
}

/// Counts the finished GET of msg into out and frees its handle.
inline void finish(CURLM* multi, CURLMsg* msg, totals& out) {
  CURL* easy = msg->easy_handle;
  transfer* raw = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
  std::unique_ptr<transfer> t(raw);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  bench::check(msg->data.result == CURLE_OK, curl_easy_strerror(msg->data.result));
  if (status == 200) ++out.ok;
  out.bytes += static_cast<long>(t->body.size());
  curl_multi_remove_handle(multi, easy);
  curl_easy_cleanup(easy);
}

}  // namespace bench::curl

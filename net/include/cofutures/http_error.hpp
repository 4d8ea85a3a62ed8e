#pragma once
/// @file http_error.hpp
/// http_error: a transport failure of an HTTP request (refused, timed out,
/// reset, truncated...), with a std::error_code in the curl category and
/// the URL. HTTP 4xx/5xx are responses, not errors.

#include <cofutures/errors.hpp>

#include <string>
#include <system_error>

namespace cofutures {

/// The category of libcurl's CURLcode values (e.g. 7 "Couldn't connect to
/// server", 28 "Timeout was reached").
const std::error_category& curl_category() noexcept;

/// A CURLcode as a std::error_code.
inline std::error_code make_curl_error(int curl_code) noexcept { return {curl_code, curl_category()}; }

/// Thread safety: immutable.
class http_error : public error {
 public:
  /// @param code   curl category, or asio::error::operation_aborted for a
  ///               cancelled request
  /// @param url    the request's URL
  /// @param detail what went wrong, in words
  http_error(std::error_code code, std::string url, const std::string& detail)
      : error(detail + " (" + url + ")"), m_code(code), m_url(std::move(url)) {}

  const std::error_code& code() const noexcept { return m_code; }
  const std::string& url() const noexcept { return m_url; }

 private:
  std::error_code m_code;
  std::string m_url;
};

}  // namespace cofutures

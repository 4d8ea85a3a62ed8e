#pragma once
// A client's last URL, parsed by libcurl once it is asked for again.
// Given a URL as a string (CURLOPT_URL), curl 7.88 parses it for every
// transfer; given it parsed (CURLOPT_CURLU), curl copies the parse
// instead: a small GET of one URL again and again took 115,800 -> 111,900
// instructions (callgrind). Parsing it here costs about as much as curl's
// own parse, so a URL is parsed only when it comes a second time in a row:
// a program fetching one URL again and again gains, one never repeating a
// URL pays nothing. curl only reads a CURLU handle (its documentation says
// so), so every transfer of the URL shares one; each holds it until it ends.
// Not thread-safe: used on the client's serialized executor only.

#include <curl/curl.h>

#include <memory>
#include <string>

namespace cofutures::detail {

using shared_curl_url = std::shared_ptr<CURLU>;

class repeated_url {
 public:
  /// `url` parsed if it is the URL asked for last time (or nullptr if
  /// curl's parser refuses it now), else nullptr: pass the string then.
  shared_curl_url find(const std::string& url) {
    if (url != m_url) {
      m_url = url;
      m_parsed.reset();
      m_tried = false;
      return nullptr;
    }
    if (!m_tried) {
      m_tried = true;
      m_parsed = parse(url);
    }
    return m_parsed;
  }

 private:
  static shared_curl_url parse(const std::string& url) {
    shared_curl_url parsed(curl_url(), &curl_url_cleanup);
    // The flags validate_request checks every URL with.
    if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return nullptr;
    return parsed;
  }

  std::string m_url;
  shared_curl_url m_parsed;
  bool m_tried = false;  // m_url was parsed (m_parsed is the outcome)
};

}  // namespace cofutures::detail

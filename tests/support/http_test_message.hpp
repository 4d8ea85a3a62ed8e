#pragma once
// The HTTP/1.1 text handling of http_test_server: parsing a request head,
// and building response heads and chunks. Private to tests/support.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cofutures::test::detail {

/// Thrown for malformed input: the server answers 400 and closes.
struct bad_request {};

bool iequals(std::string_view a, std::string_view b) noexcept;
std::string_view trim(std::string_view s) noexcept;
/// The whole of `s` as a number in `base`, if it is one and <= max.
std::optional<std::size_t> to_number(std::string_view s, std::size_t max, int base = 10) noexcept;
/// "/a/b/c" -> {"a", "b", "c"}; "/" -> {""}.
std::vector<std::string_view> split_path(std::string_view path);
/// %XX sequences decoded; anything else (a stray '%' too) kept as is.
std::string percent_decode(std::string_view s);

struct request {
  std::string method, target, path, query, version;
  std::vector<std::pair<std::string, std::string>> headers;  ///< as sent, values trimmed
  std::string body;

  /// The first field of that name (any case), or nullptr.
  const std::string* header(std::string_view name) const;
  /// HTTP/1.0 or "Connection: close": the response is the connection's last.
  bool wants_close() const;
};

/// Parses the request line and header lines of `text` (each ending in
/// CRLF) into req. @throws bad_request.
void parse_head(std::string_view text, request& req);

/// "HTTP/1.1 <status> <reason>\r\n" + fields (complete lines) +
/// "Connection: close\r\n" when `close`, + the empty line.
std::string head(int status, std::string_view fields, bool close);
std::string length_field(std::size_t n);
/// One chunk of a chunked body: hex size, CRLF, data, CRLF.
std::string chunk_frame(std::string_view data);

}  // namespace cofutures::test::detail

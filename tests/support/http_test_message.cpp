#include "support/http_test_message.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cofutures::test::detail {
namespace {

const char* reason(int status) {
  static constexpr std::pair<int, const char*> reasons[] = {
      {200, "OK"},          {204, "No Content"},         {301, "Moved Permanently"},  {302, "Found"},
      {303, "See Other"},   {304, "Not Modified"},       {307, "Temporary Redirect"}, {308, "Permanent Redirect"},
      {400, "Bad Request"}, {404, "Not Found"},          {500, "Internal Server Error"},
      {503, "Service Unavailable"}};
  for (const auto& [code, text] : reasons)
    if (code == status) return text;
  return "Status";
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::size_t> to_number(std::string_view s, std::size_t max, int base) noexcept {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || value > max) return std::nullopt;
  return value;
}

const std::string* request::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return &v;
  return nullptr;
}

bool request::wants_close() const {
  const std::string* connection = header("Connection");
  return version != "HTTP/1.1" || (connection && iequals(trim(*connection), "close"));
}

void parse_head(std::string_view text, request& req) {
  auto line_end = text.find("\r\n");
  std::string_view line = text.substr(0, line_end);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp1 == 0) throw bad_request{};
  req.method = line.substr(0, sp1);
  req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  req.version = line.substr(sp2 + 1);
  if (req.target.empty() || req.target[0] != '/' || (req.version != "HTTP/1.1" && req.version != "HTTP/1.0"))
    throw bad_request{};
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  for (auto at = line_end + 2; at < text.size();) {
    auto end = text.find("\r\n", at);
    std::string_view field = text.substr(at, end - at);
    at = end + 2;
    if (field.empty()) break;
    auto colon = field.find(':');
    std::string_view name = field.substr(0, colon);
    if (colon == std::string_view::npos || name.empty() || name.find_first_of(" \t") != std::string_view::npos)
      throw bad_request{};  // also rejects obsolete line folding
    req.headers.emplace_back(std::string(name), std::string(trim(field.substr(colon + 1))));
  }
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return segments;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto hex = i + 2 < s.size() ? to_number(s.substr(i + 1, 2), 255, 16) : std::nullopt;
    if (s[i] == '%' && hex) {
      out += static_cast<char>(*hex);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string head(int status, std::string_view fields, bool close) {
  std::string s = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  s += fields;
  if (close) s += "Connection: close\r\n";
  return s + "\r\n";
}

std::string length_field(std::size_t n) { return "Content-Length: " + std::to_string(n) + "\r\n"; }

std::string chunk_frame(std::string_view data) {
  char size[32];
  auto end = std::to_chars(size, size + sizeof size, data.size(), 16).ptr;
  return std::string(size, end) + "\r\n" + std::string(data) + "\r\n";
}

}  // namespace cofutures::test::detail

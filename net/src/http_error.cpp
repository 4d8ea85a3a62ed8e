#include <cofutures/http_error.hpp>
#include <cofutures/http_request.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace cofutures {
namespace {

class curl_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "curl"; }
  std::string message(int code) const override { return curl_easy_strerror(static_cast<CURLcode>(code)); }
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const std::error_category& curl_category() noexcept {
  static const curl_error_category category;
  return category;
}

std::optional<std::string_view> http_headers::get(std::string_view name) const {
  for (auto& [n, v] : fields) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

void http_transfer_control::resume() {
  std::function<void()> action;
  {
    std::lock_guard lock(m_mutex);  // see m_mutex
    action = m_resume;
  }
  if (action) action();  // posts to the client: never calls curl here
}

void http_transfer_control::attach(std::function<void()> resume_action) {
  std::lock_guard lock(m_mutex);  // see m_mutex
  m_resume = std::move(resume_action);
}

}  // namespace cofutures

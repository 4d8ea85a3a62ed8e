#include "detail/easy_transfer.hpp"

#include <chrono>
#include <mutex>

namespace cofutures::detail {
namespace {

void set(CURL* easy, CURLoption option, auto value) {
  if (auto rc = curl_easy_setopt(easy, option, value); rc != CURLE_OK) {
    throw http_error(make_curl_error(rc), "", std::string("curl_easy_setopt: ") + curl_easy_strerror(rc));
  }
}

std::chrono::microseconds time_of(CURL* easy, CURLINFO info) {
  curl_off_t us = 0;
  curl_easy_getinfo(easy, info, &us);
  return std::chrono::microseconds(us);
}

}  // namespace

void ensure_curl_initialized() {
  static std::once_flag once;  // curl_global_init is not thread-safe
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

easy_transfer::easy_transfer(http_request request, const user_agent_header& user_agent, easy_handle_pool* pool,
                             shared_curl_url url)
    : m_request(std::move(request)), m_url(std::move(url)) {
  ensure_curl_initialized();
  m_plain_get = is_plain_get(m_request);
  bool configured = false;  // a plain GET's options are set already
  if (pool) m_easy = pool->take(m_plain_get, configured);
  if (!m_easy) m_easy = curl_easy_init();
  if (!m_easy) throw http_error(make_curl_error(CURLE_OUT_OF_MEMORY), m_request.url, "curl_easy_init failed");
  try {
    if (configured) set_request_pointers();
    else set_options(user_agent);
  } catch (...) {
    curl_easy_cleanup(m_easy);  // the destructor does not run for a constructor that throws
    curl_slist_free_all(m_headers);
    throw;
  }
}

bool easy_transfer::is_plain_get(const http_request& r) noexcept {
  static const http_request defaults;
  return r.method == "GET" && r.body.empty() && r.headers.size() == 0 && !r.timeout && !r.connect_timeout &&
         r.low_speed_limit == 0 && r.follow_redirects == defaults.follow_redirects &&
         r.max_redirects == defaults.max_redirects && r.verify_tls == defaults.verify_tls && r.ca_file.empty() &&
         r.version == defaults.version && !r.on_progress;
}

void easy_transfer::set_request_pointers() {
  // CURLOPT_CURLU wins over CURLOPT_URL: set both, one of them empty.
  set(m_easy, CURLOPT_CURLU, m_url.get());  // see repeated_url
  if (!m_url) set(m_easy, CURLOPT_URL, m_request.url.c_str());
  set(m_easy, CURLOPT_PRIVATE, this);
  set(m_easy, CURLOPT_ERRORBUFFER, m_error);
  set(m_easy, CURLOPT_WRITEDATA, this);
  set(m_easy, CURLOPT_HEADERDATA, this);
}

void easy_transfer::set_options(const user_agent_header& user_agent) {
  auto& r = m_request;
  set_request_pointers();
  set(m_easy, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM/SIGPIPE games in a threaded program
  set(m_easy, CURLOPT_PROTOCOLS_STR, "http,https");
  set(m_easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(m_easy, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  bool sends_body = !r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
  if (r.method == "HEAD") {
    set(m_easy, CURLOPT_NOBODY, 1L);
  } else if (sends_body) {
    set(m_easy, CURLOPT_POSTFIELDS, r.body.data());  // m_request keeps it alive
    set(m_easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }
  // POST is what POSTFIELDS sends; naming it as a custom method would keep
  // it across a 303, which must become a GET.
  if (r.method != "GET" && r.method != "HEAD" && r.method != "POST") {
    set(m_easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  if (r.headers.size() == 0) {
    if (user_agent.list()) set(m_easy, CURLOPT_HTTPHEADER, user_agent.list());  // the client's, shared
  } else {
    for (auto& [name, value] : r.headers) {
      // curl drops "Name:" (it means "remove this header"); "Name;" sends it empty.
      auto line = value.empty() ? name + ";" : name + ": " + value;
      append_header(line);
    }
    // The request's own User-Agent replaces the client's.
    if (!user_agent.line().empty() && !r.headers.get("User-Agent")) append_header(user_agent.line());
    set(m_easy, CURLOPT_HTTPHEADER, m_headers);
  }
  set(m_easy, CURLOPT_FOLLOWLOCATION, r.follow_redirects ? 1L : 0L);
  set(m_easy, CURLOPT_MAXREDIRS, r.max_redirects);
  if (r.timeout) set(m_easy, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout->count()));
  if (r.connect_timeout) set(m_easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout->count()));
  if (r.low_speed_limit > 0) {
    set(m_easy, CURLOPT_LOW_SPEED_LIMIT, r.low_speed_limit);
    set(m_easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(r.low_speed_time.count()));
  }
  set(m_easy, CURLOPT_SSL_VERIFYPEER, r.verify_tls ? 1L : 0L);
  set(m_easy, CURLOPT_SSL_VERIFYHOST, r.verify_tls ? 2L : 0L);
  if (!r.ca_file.empty()) set(m_easy, CURLOPT_CAINFO, r.ca_file.c_str());
  switch (r.version) {
    case http_version::any:
    case http_version::http2_tls: set(m_easy, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_2TLS)); break;
    case http_version::http1_1: set(m_easy, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_1_1)); break;
  }
  set(m_easy, CURLOPT_WRITEFUNCTION, &easy_transfer::on_write);
  set(m_easy, CURLOPT_HEADERFUNCTION, &easy_transfer::on_header);
  if (r.on_progress) {
    set(m_easy, CURLOPT_XFERINFOFUNCTION, &easy_transfer::on_progress);
    set(m_easy, CURLOPT_XFERINFODATA, this);
    set(m_easy, CURLOPT_NOPROGRESS, 0L);
  }
}

easy_transfer* easy_transfer::of(CURL* easy) noexcept {
  char* self = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &self);
  return reinterpret_cast<easy_transfer*>(self);
}

void easy_transfer::append_header(const std::string& line) {
  curl_slist* list = curl_slist_append(m_headers, line.c_str());
  if (list == nullptr) throw http_error(make_curl_error(CURLE_OUT_OF_MEMORY), m_request.url, "curl_slist_append failed");
  m_headers = list;
}

easy_transfer::~easy_transfer() {
  if (m_easy) curl_easy_cleanup(m_easy);
  curl_slist_free_all(m_headers);
}

void easy_transfer::unpause() {
  if (!m_paused) return;
  m_paused = false;
  curl_easy_pause(m_easy, CURLPAUSE_CONT);
}

size_t easy_transfer::on_write(char* data, size_t size, size_t count, void* p) {
  auto& self = *static_cast<easy_transfer*>(p);
  size_t n = size * count;
  if (!self.m_request.on_chunk) {
    self.m_response.body.append(data, n);
    return n;
  }
  try {
    if (!self.m_request.on_chunk(std::string_view(data, n))) {
      // curl hands the same data again after CURLPAUSE_CONT.
      self.m_paused = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    return n;
  } catch (...) {
    self.m_callback_error = std::current_exception();
    return 0;  // CURLE_WRITE_ERROR: the transfer ends with our exception
  }
}

size_t easy_transfer::on_header(char* data, size_t size, size_t count, void* p) {
  auto& self = *static_cast<easy_transfer*>(p);
  size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    self.m_response.headers.fields.clear();  // a new response (redirect, 100 Continue): keep the last
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    if (self.m_response.headers.fields.empty()) self.m_response.headers.fields.reserve(16);  // no regrowth for a usual head
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    self.m_response.headers.add(std::string(line.substr(0, colon)), std::string(value));
  }
  return n;
}

int easy_transfer::on_progress(void* p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  auto& self = *static_cast<easy_transfer*>(p);
  try {
    self.m_request.on_progress(http_progress{dltotal, dlnow, ultotal, ulnow});
    return 0;
  } catch (...) {
    self.m_callback_error = std::current_exception();
    return 1;  // aborts the transfer
  }
}

std::exception_ptr easy_transfer::finish(CURLcode code, http_response& response) {
  if (m_callback_error) return m_callback_error;
  if (code != CURLE_OK) {
    std::string detail = m_error[0] ? std::string(m_error) : std::string(curl_easy_strerror(code));
    return std::make_exception_ptr(http_error(make_curl_error(code), m_request.url, detail));
  }
  response = std::move(m_response);
  curl_easy_getinfo(m_easy, CURLINFO_RESPONSE_CODE, &response.status);
  char* url = nullptr;
  curl_easy_getinfo(m_easy, CURLINFO_EFFECTIVE_URL, &url);
  response.effective_url = url ? url : m_request.url;
  long version = 0;
  curl_easy_getinfo(m_easy, CURLINFO_HTTP_VERSION, &version);
  switch (version) {
    case CURL_HTTP_VERSION_1_0: response.http_version = 10; break;
    case CURL_HTTP_VERSION_1_1: response.http_version = 11; break;
    case CURL_HTTP_VERSION_2_0: response.http_version = 20; break;
    case CURL_HTTP_VERSION_3: response.http_version = 30; break;
    default: response.http_version = 0;
  }
  curl_easy_getinfo(m_easy, CURLINFO_REDIRECT_COUNT, &response.redirect_count);
  auto& t = response.timings;
  t.name_lookup = time_of(m_easy, CURLINFO_NAMELOOKUP_TIME_T);
  t.connect = time_of(m_easy, CURLINFO_CONNECT_TIME_T);
  t.tls_handshake = time_of(m_easy, CURLINFO_APPCONNECT_TIME_T);
  t.pre_transfer = time_of(m_easy, CURLINFO_PRETRANSFER_TIME_T);
  t.start_transfer = time_of(m_easy, CURLINFO_STARTTRANSFER_TIME_T);
  t.total = time_of(m_easy, CURLINFO_TOTAL_TIME_T);
  t.redirect = time_of(m_easy, CURLINFO_REDIRECT_TIME_T);
  return nullptr;
}

}  // namespace cofutures::detail

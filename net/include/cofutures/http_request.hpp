#pragma once
/// @file http_request.hpp
/// http_request and http_response: what http_client sends and gets back.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cofutures {

/// Header fields in order; names compare case-insensitively in get().
struct http_headers {
  std::vector<std::pair<std::string, std::string>> fields;

  void add(std::string name, std::string value) { fields.emplace_back(std::move(name), std::move(value)); }
  /// The first field of that name, if any.
  std::optional<std::string_view> get(std::string_view name) const;
  std::size_t size() const noexcept { return fields.size(); }
  auto begin() const noexcept { return fields.begin(); }
  auto end() const noexcept { return fields.end(); }
};

/// Bytes moved so far (totals are 0 while unknown).
struct http_progress {
  std::int64_t download_total = 0;
  std::int64_t downloaded = 0;
  std::int64_t upload_total = 0;
  std::int64_t uploaded = 0;
};

/// Resumes a streaming transfer that on_chunk paused. Every request has
/// one (http_request::control); the client attaches it when the transfer
/// starts. Thread safety: any thread.
class http_transfer_control {
 public:
  /// Continues the transfer (no-op when not paused or already finished).
  void resume();

  /// Implementation detail: the client's resume action for this transfer.
  void attach(std::function<void()> resume_action);

 private:
  std::mutex m_mutex;  // attach() on the client's thread races resume() anywhere
  std::function<void()> m_resume;
};

enum class http_version {
  any,       ///< HTTP/2 over TLS when the server offers it, else HTTP/1.1
  http1_1,   ///< HTTP/1.1 only
  http2_tls, ///< HTTP/2 over TLS, HTTP/1.1 for plain http (h2c is not used: curl#10634)
};

struct http_request {
  std::string method = "GET";
  std::string url;
  http_headers headers{};
  std::string body{};

  /// The whole transfer (curl's TIMEOUT_MS); none: no limit.
  std::optional<std::chrono::milliseconds> timeout{};
  /// Connecting (DNS, TCP, TLS); none: curl's default (300 s).
  std::optional<std::chrono::milliseconds> connect_timeout{};
  /// Abort when slower than low_speed_limit bytes/s for low_speed_time.
  long low_speed_limit = 0;
  std::chrono::seconds low_speed_time{0};

  bool follow_redirects = true;
  long max_redirects = 10;  ///< redirects go to http and https only

  bool verify_tls = true;
  std::string ca_file{};  ///< PEM bundle to verify servers with; empty: the system's
  http_version version = http_version::any;

  /// Called as bytes move (on the client's thread; must not block).
  std::function<void(const http_progress&)> on_progress{};
  /// Streaming: the body goes here, chunk by chunk, instead of into the
  /// response. Return false to pause the transfer (backpressure) until
  /// `control->resume()`; the refused chunk is delivered again after the
  /// resume. An exception thrown here fails the request.
  std::function<bool(std::string_view chunk)> on_chunk{};
  /// Keep a copy to resume a paused transfer.
  std::shared_ptr<http_transfer_control> control = std::make_shared<http_transfer_control>();
};

/// Where the time went (curl's *_TIME_T, from the start of the request).
struct http_timings {
  std::chrono::microseconds name_lookup{}, connect{}, tls_handshake{}, pre_transfer{}, start_transfer{}, total{},
      redirect{};
};

struct http_response {
  long status = 0;
  http_headers headers{};  ///< of the final response (after redirects)
  std::string body{};      ///< empty when streamed through on_chunk
  std::string effective_url{};
  http_timings timings{};
  long http_version = 0;  ///< 10, 11, 20, 30
  long redirect_count = 0;
};

}  // namespace cofutures

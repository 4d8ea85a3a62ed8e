#pragma once
// loopback_server: the network examples' stand-in for www.example.com — a
// tiny HTTP/1.1 server on 127.0.0.1 (an ephemeral port) running its own
// asio::io_context on its own thread, so the examples never need the
// internet. Every GET gets a small HTML page that names its path; the
// connection stays open for the next request (keep-alive) unless the client
// asks for `Connection: close`. A request waits `?delay_ms=N` ms (N <= 10000)
// or the constructor's delay before its answer, so concurrency shows in the
// timings. Many connections at once are fine: each is one coroutine.
//
// Thread safety: url() and port() from any thread; the destructor stops the
// server and joins its thread.

#include <asio/awaitable.hpp>
#include <asio/buffers_iterator.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace cofutures_examples {

class loopback_server {
 public:
  /// Listens on 127.0.0.1:0 and starts serving. `delay`: how long every
  /// request without a `delay_ms` query waits before its answer.
  /// @throws std::system_error if it cannot listen.
  explicit loopback_server(std::chrono::milliseconds delay = {}) : m_delay(delay) {
    asio::ip::tcp::acceptor acceptor(m_ctx, {asio::ip::make_address_v4("127.0.0.1"), 0});
    m_port = acceptor.local_endpoint().port();
    // The accept loop owns the acceptor: it lives and dies with the loop.
    asio::co_spawn(m_ctx, accept_loop(std::move(acceptor), m_delay), asio::detached);
    m_thread = std::thread([this] { m_ctx.run(); });
  }

  /// Stops at once, whatever the clients are doing, and joins the thread.
  /// The connections' coroutines (and their sockets) are destroyed with
  /// the io_context, after the thread is gone.
  ~loopback_server() {
    m_ctx.stop();  // thread-safe: run() returns on the server thread
    m_thread.join();
  }

  loopback_server(const loopback_server&) = delete;
  loopback_server& operator=(const loopback_server&) = delete;

  unsigned short port() const noexcept { return m_port; }
  /// "http://127.0.0.1:PORT" + path (path starts with '/').
  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(m_port) + std::string(path);
  }

  /// The page served for `target` (path and query): it starts like a real
  /// page ("<!doctype html><html><hea..."), names the path, and its size
  /// depends on it.
  static std::string page(std::string_view target) {
    std::string path(target.substr(0, target.find('?')));
    std::string escaped;
    for (char c : path) escaped += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
    std::string html = "<!doctype html><html><head><title>cofutures loopback: " + escaped +
                       "</title></head>\n<body>\n<h1>" + escaped + "</h1>\n";
    for (std::size_t i = 0; i <= path.size() % 7; ++i)
      html += "<p>This page is served by the cofutures examples' loopback server (paragraph " +
              std::to_string(i + 1) + ").</p>\n";
    return html + "</body></html>\n";
  }

 private:
  using tcp = asio::ip::tcp;

  struct request {
    std::string method, target;
    bool keep_alive = true;
    std::chrono::milliseconds delay{};
  };

  static std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  }

  // The request line and the fields that matter here; the head ends in
  // an empty line (a GET has no body).
  static request parse(const std::string& head, std::chrono::milliseconds default_delay) {
    request req;
    auto sp1 = head.find(' ');
    auto sp2 = head.find(' ', sp1 + 1);
    auto eol = head.find("\r\n");
    if (sp1 == std::string::npos || sp2 == std::string::npos || sp2 > eol) return req;  // method "": 400
    req.method = head.substr(0, sp1);
    req.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string fields = lower(head.substr(eol));
    bool http10 = head.compare(sp2 + 1, 8, "HTTP/1.0") == 0;
    req.keep_alive = http10 ? fields.find("\nconnection: keep-alive") != std::string::npos
                            : fields.find("\nconnection: close") == std::string::npos;
    req.delay = default_delay;
    if (auto q = req.target.find("delay_ms="); q != std::string::npos && req.target.find('?') < q) {
      long ms = std::strtol(req.target.c_str() + q + 9, nullptr, 10);
      req.delay = std::chrono::milliseconds(std::clamp(ms, 0L, 10000L));
    }
    return req;
  }

  static std::string response(const request& req) {
    bool known = req.method == "GET" || req.method == "HEAD";
    std::string body = known ? page(req.target) : req.method.empty() ? "bad request\n" : "method not allowed\n";
    std::string head = known               ? "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                       : req.method.empty() ? "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                                            : "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    head += req.keep_alive && known ? "\r\n" : "Connection: close\r\n\r\n";
    return req.method == "HEAD" ? head : head + body;
  }

  static asio::awaitable<void> serve(tcp::socket socket, std::chrono::milliseconds default_delay) {
    asio::streambuf buffer(16 * 1024);  // a longer head fails the read: the connection closes
    asio::steady_timer timer(socket.get_executor());
    try {
      for (;;) {
        std::size_t n = co_await asio::async_read_until(socket, buffer, "\r\n\r\n", asio::use_awaitable);
        std::string head(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + n);
        buffer.consume(n);  // pipelined bytes stay for the next round
        request req = parse(head, default_delay);
        if (req.delay.count() > 0) {
          timer.expires_after(req.delay);
          co_await timer.async_wait(asio::use_awaitable);
        }
        std::string answer = response(req);
        co_await asio::async_write(socket, asio::buffer(answer), asio::use_awaitable);
        if (!req.keep_alive || (req.method != "GET" && req.method != "HEAD")) break;
      }
    } catch (const std::exception&) {
      // The client closed the connection or sent garbage: it is over.
    }
    asio::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  }

  static asio::awaitable<void> accept_loop(tcp::acceptor acceptor, std::chrono::milliseconds delay) {
    asio::steady_timer backoff(acceptor.get_executor());
    for (;;) {
      asio::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {  // e.g. out of file descriptors: let connections finish, then retry
        backoff.expires_after(std::chrono::milliseconds(10));
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), delay), asio::detached);
    }
  }

  asio::io_context m_ctx;  // declared first: destroyed last, after the coroutines it owns
  std::chrono::milliseconds m_delay;
  unsigned short m_port = 0;
  std::thread m_thread;
};

}  // namespace cofutures_examples

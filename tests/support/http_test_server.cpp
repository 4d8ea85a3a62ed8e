#include "support/http_test_server.hpp"

#include "support/http_test_message.hpp"

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cofutures::test {

namespace {
// Bytes [from, from + n) of the /bytes pattern.
std::string pattern_slice(std::size_t from, std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = from; i < from + n; ++i) s[i - from] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
  return s;
}
}  // namespace

std::string expected_bytes(std::size_t n) { return pattern_slice(0, n); }

namespace {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using namespace detail;

constexpr std::size_t max_head_bytes = 64 * 1024;
constexpr std::size_t max_body_bytes = 64 * 1024 * 1024;
constexpr std::size_t write_block = 64 * 1024;

struct server_state {
  unsigned short port = 0;
  std::atomic<std::size_t> accepted{0};
  std::atomic<std::size_t> requests{0};
  std::mutex mutex;  // closed + cv: waiters must not miss a close
  std::condition_variable cv;
  std::size_t closed = 0;
};

std::string echo_fields(const request& req) {
  std::string fields = "X-Echo-Method: " + req.method + "\r\nX-Echo-Path: " + req.target + "\r\n";
  for (const auto& [name, value] : req.headers) {
    if (name.size() >= 2 && iequals(name.substr(0, 2), "X-")) fields += "X-Echo-" + name + ": " + value + "\r\n";
    if (iequals(name, "User-Agent")) fields += "X-Echo-User-Agent: " + value + "\r\n";
  }
  return fields;
}

bool is_redirect_code(std::size_t code) {
  return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

enum class ending { keep_alive, close, reset };

// One accepted connection: reads requests one after another (pipelined
// bytes stay in m_buffer) and runs each one's route.
class connection {
 public:
  connection(tcp::socket socket, server_state& state) : m_socket(std::move(socket)), m_state(state) {}

  awaitable<void> serve() {
    for (;;) {
      request req;
      bool bad = false;
      try {
        co_await read_request(req);
      } catch (const bad_request&) {
        bad = true;
      }
      if (bad) {
        std::string answer = head(400, length_field(11), true) + "bad request";
        co_await write(std::move(answer));
        close();
        co_return;
      }
      ++m_state.requests;
      m_close = req.wants_close();
      m_head_only = req.method == "HEAD";
      ending end = co_await dispatch(req);
      if (end == ending::reset) {
        reset();
        co_return;
      }
      if (end == ending::close || m_close) {
        close();
        co_return;
      }
    }
  }

 private:
  awaitable<void> read_more() {
    std::size_t n = co_await m_socket.async_read_some(asio::buffer(m_chunk), use_awaitable);
    m_buffer.append(m_chunk.data(), n);
  }

  awaitable<void> fill(std::size_t size) {
    while (m_buffer.size() < size) co_await read_more();
  }

  // The offset of the next CRLF in m_buffer.
  awaitable<std::size_t> read_line() {
    for (;;) {
      auto eol = m_buffer.find("\r\n");
      if (eol != std::string::npos) co_return eol;
      if (m_buffer.size() > max_head_bytes) throw bad_request{};
      co_await read_more();
    }
  }

  awaitable<void> read_request(request& req) {
    std::size_t end = 0;
    while ((end = m_buffer.find("\r\n\r\n")) == std::string::npos) {
      if (m_buffer.size() > max_head_bytes) throw bad_request{};
      co_await read_more();
    }
    parse_head(std::string_view(m_buffer).substr(0, end + 2), req);
    m_buffer.erase(0, end + 4);
    co_await read_body(req);
  }

  awaitable<void> read_body(request& req) {
    const std::string* encoding = req.header("Transfer-Encoding");
    const std::string* length = req.header("Content-Length");
    if (encoding) {
      if (!iequals(*encoding, "chunked") || length) throw bad_request{};
      co_await continue_if_expected(req, m_buffer.empty());
      co_await read_chunked(req.body);
      co_return;
    }
    if (!length) co_return;
    auto n = to_number(*length, max_body_bytes);
    if (!n) throw bad_request{};
    co_await continue_if_expected(req, m_buffer.size() < *n);
    co_await fill(*n);
    req.body = m_buffer.substr(0, *n);
    m_buffer.erase(0, *n);
  }

  // curl waits a second for "100 Continue" before sending a large body.
  awaitable<void> continue_if_expected(const request& req, bool body_missing) {
    const std::string* expect = req.header("Expect");
    if (!body_missing || !expect || !iequals(*expect, "100-continue")) co_return;
    std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
    co_await write(std::move(interim));
  }

  awaitable<void> read_chunked(std::string& body) {
    for (;;) {
      auto eol = co_await read_line();
      std::string_view size_text = std::string_view(m_buffer).substr(0, eol);
      auto size = to_number(trim(size_text.substr(0, size_text.find(';'))), max_body_bytes, 16);
      if (!size || body.size() + *size > max_body_bytes) throw bad_request{};
      m_buffer.erase(0, eol + 2);
      if (*size == 0) break;
      co_await fill(*size + 2);
      if (m_buffer.compare(*size, 2, "\r\n") != 0) throw bad_request{};
      body.append(m_buffer, 0, *size);
      m_buffer.erase(0, *size + 2);
    }
    for (;;) {  // trailer fields, up to the empty line
      auto eol = co_await read_line();
      m_buffer.erase(0, eol + 2);
      if (eol == 0) break;
    }
  }

  awaitable<void> write(std::string data) {
    co_await asio::async_write(m_socket, asio::buffer(data), use_awaitable);
  }

  awaitable<void> respond(int status, std::string body, std::string fields = {}) {
    fields += length_field(body.size());
    std::string answer = head(status, fields, m_close);
    if (!m_head_only) answer += body;
    co_await write(std::move(answer));
  }

  // Bytes [0, count) of the /bytes pattern, written in blocks.
  awaitable<void> write_pattern(std::size_t count) {
    for (std::size_t at = 0; at < count; at += write_block) {
      std::string block = pattern_slice(at, std::min(write_block, count - at));
      co_await asio::async_write(m_socket, asio::buffer(block), use_awaitable);
    }
  }

  awaitable<void> delay(std::size_t ms) {
    asio::steady_timer timer(m_socket.get_executor(), std::chrono::milliseconds(ms));
    co_await timer.async_wait(use_awaitable);
  }

  awaitable<ending> dispatch(const request& req) {
    auto seg = split_path(req.path);
    std::string_view route = seg.empty() ? std::string_view{} : seg[0];
    auto arg = [&seg](std::size_t i, std::size_t max) { return i < seg.size() ? to_number(seg[i], max) : std::nullopt; };
    constexpr std::size_t max_delay = 60'000;
    if (route == "bytes" && seg.size() == 2 && arg(1, 1u << 30)) co_return co_await bytes(*arg(1, 1u << 30));
    if (route == "chunked" && seg.size() == 3 && arg(1, 100'000) && arg(2, max_delay))
      co_return co_await chunked(*arg(1, 100'000), *arg(2, max_delay));
    if (route == "slow-headers" && seg.size() == 2 && arg(1, max_delay)) {
      co_await delay(*arg(1, max_delay));
      co_await respond(200, "slow");
      co_return ending::keep_alive;
    }
    if (route == "stall" && seg.size() == 2 && arg(1, max_body_bytes)) co_return co_await stall(*arg(1, max_body_bytes));
    if (route == "drop" && seg.size() == 3 && arg(1, max_body_bytes) && arg(2, max_body_bytes) &&
        *arg(1, max_body_bytes) < *arg(2, max_body_bytes)) {
      std::string answer = head(200, length_field(*arg(2, max_body_bytes)), false);
      co_await write(std::move(answer));
      co_await write_pattern(*arg(1, max_body_bytes));
      co_return ending::close;
    }
    if (req.path == "/drop-chunked") {
      std::string answer = head(200, "Transfer-Encoding: chunked\r\n", false) + chunk_frame("first\n");
      answer += chunk_frame("second\n");
      co_await write(std::move(answer));
      co_return ending::close;
    }
    if (req.path == "/empty") co_return ending::close;
    if (req.path == "/reset") co_return ending::reset;
    if (route == "redirect" && seg.size() == 3 && arg(1, 999) && is_redirect_code(*arg(1, 999)) && arg(2, 1000))
      co_return co_await redirect(req, static_cast<int>(*arg(1, 999)), *arg(2, 1000));
    if (req.path == "/redirect-to") co_return co_await redirect_to(req);
    if (req.path == "/echo") {
      co_await respond(200, req.body, echo_fields(req));
      co_return ending::keep_alive;
    }
    if (req.path == "/close") {
      m_close = true;
      co_await respond(200, "bye");
      co_return ending::close;
    }
    if (route == "status" && seg.size() == 2 && arg(1, 599) && *arg(1, 599) >= 200)
      co_return co_await status(static_cast<int>(*arg(1, 599)));
    co_await respond(404, "not found");
    co_return ending::keep_alive;
  }

  awaitable<ending> bytes(std::size_t n) {
    std::string answer = head(200, length_field(n), m_close);
    co_await write(std::move(answer));
    if (!m_head_only) co_await write_pattern(n);
    co_return ending::keep_alive;
  }

  awaitable<ending> chunked(std::size_t count, std::size_t delay_ms) {
    std::string answer = head(200, "Transfer-Encoding: chunked\r\n", m_close);
    co_await write(std::move(answer));
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0 && delay_ms > 0) co_await delay(delay_ms);
      std::string chunk = chunk_frame("chunk-" + std::to_string(i) + "\n");
      co_await write(std::move(chunk));
    }
    std::string last_chunk = "0\r\n\r\n";
    co_await write(std::move(last_chunk));
    co_return ending::keep_alive;
  }

  // Half the body, then silence until the client goes away: reading
  // detects that (EOF or reset ends the connection via an exception).
  awaitable<ending> stall(std::size_t n) {
    std::string answer = head(200, length_field(2 * n), m_close);
    co_await write(std::move(answer));
    co_await write_pattern(n);
    for (;;) co_await read_more();
  }

  awaitable<ending> redirect(const request& req, int code, std::size_t n) {
    if (n == 0) {
      co_await respond(200, "method=" + req.method);
      co_return ending::keep_alive;
    }
    std::string path = "/redirect/" + std::to_string(code) + "/" + std::to_string(n - 1);
    std::string location = path;
    if (n % 2 == 0) location = "http://127.0.0.1:" + std::to_string(m_state.port) + path;
    co_await respond(code, "", "Location: " + location + "\r\n");
    co_return ending::keep_alive;
  }

  awaitable<ending> redirect_to(const request& req) {
    std::string_view query = req.query;
    std::string target;
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view param = query.substr(0, amp);
      if (param.substr(0, 4) == "url=") target = percent_decode(param.substr(4));
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    }
    if (target.empty() || target.find_first_of("\r\n") != std::string::npos) {
      co_await respond(404, "not found");
    } else {
      co_await respond(302, "", "Location: " + target + "\r\n");
    }
    co_return ending::keep_alive;
  }

  awaitable<ending> status(int code) {
    if (code == 204 || code == 304) {
      std::string answer = head(code, "", m_close);
      co_await write(std::move(answer));
    } else {
      co_await respond(code, "status " + std::to_string(code));
    }
    co_return ending::keep_alive;
  }

  void close() {
    std::error_code ignored;
    m_socket.shutdown(tcp::socket::shutdown_send, ignored);  // FIN, not RST, when nothing is unread
    m_socket.close(ignored);
  }

  void reset() {
    std::error_code ignored;
    m_socket.set_option(asio::socket_base::linger(true, 0), ignored);
    m_socket.close(ignored);
  }

  tcp::socket m_socket;
  server_state& m_state;
  std::string m_buffer;
  std::vector<char> m_chunk = std::vector<char>(16 * 1024);
  bool m_close = false;      // this response is the connection's last
  bool m_head_only = false;  // HEAD: fixed-length responses omit their body
};

struct close_counter {
  explicit close_counter(server_state& state) : m_state(state) {}
  close_counter(const close_counter&) = delete;
  ~close_counter() {
    {
      std::lock_guard lock(m_state.mutex);
      ++m_state.closed;
    }
    m_state.cv.notify_all();
  }
  server_state& m_state;
};

awaitable<void> serve_connection(tcp::socket socket, server_state& state) {
  // Also counts a connection whose coroutine is destroyed by the server's
  // shutdown: the state outlives the io_context.
  close_counter counter{state};
  connection conn(std::move(socket), state);
  try {
    co_await conn.serve();
  } catch (const std::exception&) {
    // The peer went away or the socket failed: the connection ends here.
  }
}

awaitable<void> accept_loop(tcp::acceptor& acceptor, server_state& state) {
  for (;;) {
    tcp::socket socket(acceptor.get_executor());
    std::error_code ec;
    co_await acceptor.async_accept(socket, asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors, say: back off instead of spinning.
      asio::steady_timer timer(acceptor.get_executor(), std::chrono::milliseconds(10));
      co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    ++state.accepted;
    asio::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), state), asio::detached);
  }
}

}  // namespace

struct http_test_server::impl {
  // Declared first, destroyed last: coroutines destroyed with the
  // io_context still count their connections here.
  server_state state;
  asio::io_context ctx{1};
  tcp::acceptor acceptor{ctx};
  std::thread thread;
};

http_test_server::http_test_server() : m_impl(std::make_unique<impl>()) {
  auto& acceptor = m_impl->acceptor;
  tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
  acceptor.open(endpoint.protocol());
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  m_impl->state.port = acceptor.local_endpoint().port();
  asio::co_spawn(m_impl->ctx, accept_loop(acceptor, m_impl->state), asio::detached);
  m_impl->thread = std::thread([ctx = &m_impl->ctx] {
    for (;;) {
      try {
        ctx->run();
        return;
      } catch (...) {
        // A handler threw: keep serving the other connections.
      }
    }
  });
}

http_test_server::~http_test_server() {
  // Stopping abandons every pending operation; destroying the io_context
  // (after the join, on this thread) destroys the connections' coroutines
  // and so closes their sockets.
  m_impl->ctx.stop();
  m_impl->thread.join();
  std::error_code ignored;
  m_impl->acceptor.close(ignored);
}

unsigned short http_test_server::port() const noexcept { return m_impl->state.port; }

std::string http_test_server::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
}

std::size_t http_test_server::connections_accepted() const noexcept { return m_impl->state.accepted; }

std::size_t http_test_server::connections_closed() const noexcept {
  std::lock_guard lock(m_impl->state.mutex);
  return m_impl->state.closed;
}

std::size_t http_test_server::requests_served() const noexcept { return m_impl->state.requests; }

bool http_test_server::wait_connections_closed(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(m_impl->state.mutex);
  return m_impl->state.cv.wait_for(lock, timeout, [&] { return m_impl->state.closed >= count; });
}

}  // namespace cofutures::test

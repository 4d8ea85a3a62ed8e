// "Awaiting CPU jobs from network handlers": a small HTTP/1.1 server on the
// event loop whose /pi handler co_awaits two halves of the series on a
// process pool, while the same loop keeps answering /health at once.
//   pi_server [--port P]   serves on 127.0.0.1:P (0: any free port) until
//                          SIGINT or SIGTERM
//   pi_server --demo [--n N]  starts the server, asks it for /pi?n=N and,
//                          while that computes, for /health a few times
//                          (http_client on the same loop), then stops
// Routes: GET /pi?n=N (default 10000000), GET /health ("ok"), else 404.
#include <cofutures/cofutures.hpp>

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <csignal>
#include <cstring>
#include <exception>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace cf = cofutures;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

double my_pi(long m, long n) {
  double pi = 0;
  for (long k = m; k <= n; ++k) {
    double s = k % 2 ? 1.0 : -1.0;
    pi += s / static_cast<double>(2 * k - 1);
  }
  return pi * 4;
}

double ms_between(clock_type::time_point from, clock_type::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::string format_pi(double pi) {
  std::ostringstream out;
  out << std::setprecision(15) << pi;
  return out.str();
}

// "?n=123" in a target: 123; none or malformed: nullopt.
std::optional<long> query_n(std::string_view target) {
  auto at = target.find("?n=");
  if (at == std::string_view::npos) return std::nullopt;
  try {
    std::size_t used = 0;
    long n = std::stol(std::string(target.substr(at + 3)), &used);
    if (used != target.size() - at - 3 || n < 2 || n > 10'000'000'000) return std::nullopt;
    return n;
  } catch (const std::exception&) {  // stol: not a number, out of range
    return std::nullopt;
  }
}

std::string answer(int status, std::string_view reason, const std::string& body, bool close) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
}

// The server: every member runs on the loop thread (the acceptor, each
// connection's coroutine, stop()), so nothing here needs a lock.
class pi_server {
 public:
  pi_server(cf::event_loop& loop, cf::process_pool_executor& pool, unsigned short port)
      : m_loop(loop), m_pool(pool), m_acceptor(loop.get_executor(), {asio::ip::make_address("127.0.0.1"), port}) {}

  unsigned short port() const { return m_acceptor.local_endpoint().port(); }

  /// Accepts connections until stop(); each one is a task on the loop.
  awaitable<void> serve() {
    for (;;) {
      std::error_code ec;
      tcp::socket accepted = co_await m_acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (!m_acceptor.is_open()) co_return;  // stop() closed it
      if (ec) continue;                      // e.g. out of descriptors: this client is dropped
      std::erase_if(m_connections, [](const connection& c) { return c.task.done(); });
      auto socket = std::make_shared<tcp::socket>(std::move(accepted));
      auto task = m_loop.spawn(handle(socket));
      m_connections.push_back(connection{socket, std::move(task)});
    }
  }

  /// Closes the listener and every connection; in-flight handlers finish
  /// their job and find the socket closed.
  void stop() {
    m_acceptor.close();
    for (auto& c : m_connections) {
      std::error_code ignored;  // a connection the client already closed
      c.socket->shutdown(tcp::socket::shutdown_both, ignored);
      c.socket->close(ignored);
    }
  }

  /// Completes once every connection's coroutine has ended (after stop()).
  awaitable<void> wait_closed() {
    for (auto& c : m_connections) co_await c.task.async_result();  // handle() throws nothing
    m_connections.clear();
  }

 private:
  struct connection {
    std::shared_ptr<tcp::socket> socket;  // shared with handle(): stop() closes it under the coroutine
    cf::future<void> task;
  };

  // Requests one after another on a kept-alive connection, until the
  // client closes it (or stop() does).
  awaitable<void> handle(std::shared_ptr<tcp::socket> socket) {
    std::string buffer;
    try {
      for (;;) {
        std::size_t end = co_await asio::async_read_until(*socket, asio::dynamic_buffer(buffer, 64 * 1024),
                                                          "\r\n\r\n", use_awaitable);
        std::string head = buffer.substr(0, end);
        buffer.erase(0, end);
        bool close = false;
        std::string response = co_await respond(head, close);
        co_await asio::async_write(*socket, asio::buffer(response), use_awaitable);
        if (close) co_return;
      }
    } catch (const std::exception&) {
      // EOF, reset, closed by stop(), or a head over 64 KiB: the connection ends.
    }
  }

  awaitable<std::string> respond(const std::string& head, bool& close) {
    std::istringstream line(head.substr(0, head.find("\r\n")));
    std::string method, target, version;
    line >> method >> target >> version;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    close = version != "HTTP/1.1" || lower.find("\r\nconnection: close") != std::string::npos;
    if (method != "GET") {
      close = true;  // a body may follow, and we do not read bodies
      co_return answer(404, "Not Found", "not found\n", close);
    }
    if (target == "/health") co_return answer(200, "OK", "ok\n", close);
    if (target == "/pi" || target.starts_with("/pi?")) {
      auto n = target == "/pi" ? std::optional<long>(10'000'000) : query_n(target);
      if (!n) co_return answer(400, "Bad Request", "n must be a number from 2 to 10^10\n", close);
      try {
        double pi = co_await compute_pi(*n);
        co_return answer(200, "OK", format_pi(pi) + "\n", close);
      } catch (const std::exception& e) {  // broken_process_pool, ...
        co_return answer(500, "Internal Server Error", std::string(e.what()) + "\n", close);
      }
    }
    co_return answer(404, "Not Found", "not found\n", close);
  }

  // pi.py's two halves, awaited: the coroutine is suspended, the loop free.
  awaitable<double> compute_pi(long n) {
    auto f1 = m_pool.submit<&my_pi>(1L, n / 2);
    auto f2 = m_pool.submit<&my_pi>(n / 2 + 1, n);
    double pi = co_await f1.async_result();
    pi += co_await f2.async_result();
    co_return pi;
  }

  cf::event_loop& m_loop;
  cf::process_pool_executor& m_pool;
  tcp::acceptor m_acceptor;
  std::vector<connection> m_connections;
};

// Without --demo: serves until SIGINT or SIGTERM.
awaitable<void> serve_until_signal(cf::event_loop& loop, pi_server& server) {
  asio::signal_set signals(co_await asio::this_coro::executor, SIGINT, SIGTERM);
  auto serving = loop.spawn(server.serve());
  int signal_number = co_await signals.async_wait(use_awaitable);
  std::cout << "signal " << signal_number << ": shutting down" << std::endl;
  server.stop();
  co_await serving.async_result();
  co_await server.wait_closed();
}

struct timed_response {
  cf::http_response response;
  clock_type::time_point started, finished;
};

awaitable<timed_response> timed_get(cf::http_client& client, std::string url) {
  timed_response r;
  r.started = clock_type::now();
  r.response = co_await client.async_get(std::move(url));
  r.finished = clock_type::now();
  co_return r;
}

// When `f` completes: a task that wakes up then, as the loop is free.
awaitable<clock_type::time_point> completion_time(cf::future<cf::http_response> f) {
  try {
    co_await f.async_result();
  } catch (const std::exception&) {  // the caller gets the error from f itself
  }
  co_return clock_type::now();
}

// --demo: a client on the same loop asks for pi, then for /health every
// 20 ms while pi computes. Each /health must be answered at once, well
// before the /pi response arrives.
awaitable<bool> demo(cf::event_loop& loop, pi_server& server, long n) {
  constexpr int min_health_requests = 3;
  auto serving = loop.spawn(server.serve());
  bool responsive = false;
  {
    cf::http_client client(loop.get_executor());
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    const std::string pi_path = "/pi?n=" + std::to_string(n);
    std::cout << "GET " << pi_path << ": two halves on a pool of 2 processes" << std::endl;
    auto pi_started = clock_type::now();
    auto pi = client.async_get(base + pi_path, cf::use_future);  // started now, before any /health
    auto pi_done = loop.spawn(completion_time(pi));
    std::vector<timed_response> health;
    asio::steady_timer pace(loop.get_executor());
    for (int i = 0; i < 1000 && !pi.done(); ++i) {
      // A probe every 20 ms, as a monitor would; the check below does not
      // depend on it: it compares real timestamps.
      pace.expires_after(std::chrono::milliseconds(i == 0 ? 0 : 20));
      co_await pace.async_wait(use_awaitable);
      auto h = co_await timed_get(client, base + "/health");
      if (i < 3) {
        std::cout << "GET /health -> " << h.response.status << " " << h.response.body.substr(0, 2) << " in "
                  << std::fixed << std::setprecision(1) << ms_between(h.started, h.finished) << " ms (sent at +"
                  << ms_between(pi_started, h.started) << " ms)" << std::endl;
      }
      health.push_back(std::move(h));
    }
    double slowest = 0;
    for (const auto& h : health) slowest = std::max(slowest, ms_between(h.started, h.finished));
    std::cout << "GET /health x " << health.size() << ": the slowest answer took " << std::fixed
              << std::setprecision(1) << slowest << " ms" << std::endl;
    cf::http_response pi_response = co_await pi.async_result();
    clock_type::time_point pi_finished = co_await pi_done.async_result();
    std::string value = pi_response.body.substr(0, pi_response.body.find('\n'));
    std::cout << "GET " << pi_path << " -> " << value << " in " << std::fixed << std::setprecision(1)
              << ms_between(pi_started, pi_finished) << " ms" << std::endl;
    int during = 0;
    for (const auto& h : health) {
      if (h.response.status == 200 && h.started > pi_started && h.finished < pi_finished) ++during;
    }
    // Only the last probe may straddle the /pi response.
    responsive = during >= min_health_requests && during + 1 >= static_cast<int>(health.size());
    std::cout << "health answered " << during << " times while /pi was computing: " << (responsive ? "yes" : "no")
              << std::endl;
  }  // the client closes its kept-alive connections
  server.stop();
  co_await serving.async_result();
  co_await server.wait_closed();
  std::cout << "server stopped" << std::endl;
  co_return responsive;
}

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);  // if __name__ == '__main__':
  bool demo_mode = false;
  unsigned short port = 0;
  long n = 500'000'000;  // about 0.4 s on two idle cores
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--demo") == 0) {
      demo_mode = true;
    } else if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = static_cast<unsigned short>(std::stoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
      n = std::stol(argv[++i]);
    } else {
      std::cerr << "usage: " << argv[0] << " [--port P] [--demo [--n N]]\n";
      return 2;
    }
  }
  cf::process_pool_executor pool(2);
  cf::event_loop loop;
  pi_server server(loop, pool, port);  // after the loop: closed before it
  std::cout << "listening on http://127.0.0.1:" << server.port() << std::endl;
  if (!demo_mode) {
    loop.run(serve_until_signal(loop, server));
    return 0;
  }
  return loop.run(demo(loop, server, n)) ? 0 : 1;
}

#pragma once
/// @file http_test_server.hpp
/// http_test_server: an in-process HTTP/1.1 server on 127.0.0.1 for the
/// net tests. It runs its own asio::io_context on its own thread, so a test
/// can block its own thread (or run its own event loop) while the server
/// answers. Every misbehaviour a client must survive (stalls, truncation,
/// resets, redirect loops) is a route, so tests never sleep to provoke it.
///
/// Routes (all responses are HTTP/1.1; connections are kept alive unless a
/// route says otherwise or the request asks for `Connection: close`):
///
///   GET /bytes/N            200, Content-Length N, body expected_bytes(N).
///   GET /chunked/C/D        200, Transfer-Encoding: chunked; C chunks
///                           "chunk-<i>\n" (i = 0..C-1), D ms between them.
///   GET /slow-headers/D     waits D ms before sending anything, then 200 "slow".
///   GET /stall/N            200, Content-Length 2N; sends expected_bytes(N),
///                           then nothing until the client closes the
///                           connection (or the server stops).
///   GET /drop/N/M           200, Content-Length M; sends the first N (< M)
///                           bytes of expected_bytes(M), then closes (FIN).
///   GET /drop-chunked       200, chunked; sends the chunks "first\n" and
///                           "second\n", then closes without the 0-chunk.
///   GET /empty              closes the connection without answering (FIN).
///   GET /reset              aborts the connection (SO_LINGER {1,0}: RST).
///   ANY /redirect/CODE/N    CODE in 301 302 303 307 308, N >= 1: answers
///                           CODE with an empty body and a Location to
///                           /redirect/CODE/N-1: relative ("/redirect/...")
///                           when N is odd, absolute ("http://127.0.0.1:PORT/
///                           redirect/...") when N is even. N = 0: 200 with
///                           body "method=<METHOD>". Another CODE: 404.
///   ANY /redirect-to?url=U  302 with Location: U percent-decoded.
///   ANY /echo               200; body = the request body exactly; headers
///                           X-Echo-Method: <method>, X-Echo-Path: <target as
///                           sent, query included>, and for every request
///                           header whose name starts with "X-" (any case)
///                           "X-Echo-<name as sent>: <value>"; for every
///                           User-Agent header "X-Echo-User-Agent: <value>".
///   GET /close              200 "bye" with Connection: close, then closes.
///   GET /status/CODE        CODE (200..599) with body "status CODE" (no
///                           body for 204 and 304).
///   anything else           404 "not found".
///
/// A HEAD request gets the route's head without the body (routes with a
/// Content-Length only: /bytes, /slow-headers, /echo, /close, /status...).
///
/// Requests are parsed properly: request line, headers (64 KiB at most),
/// Content-Length and chunked request bodies (`Expect: 100-continue` is
/// answered), pipelined requests served one after another. Malformed input
/// gets 400 and the connection closed. A request's numbers out of range
/// (/bytes beyond 1 GiB, more than 100000 chunks, delays beyond 60 s) are 404.
///
/// Thread safety: every member function may be called from any thread.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace cofutures::test {

/// The body of /bytes/N: byte i is 'a' + (i*7 + i/26) % 26 — every letter,
/// and a shift every 26 bytes, so a misplaced or repeated block shows.
std::string expected_bytes(std::size_t n);

class http_test_server {
 public:
  /// Listens on an ephemeral port of 127.0.0.1 and starts serving.
  /// @throws std::system_error if it cannot listen.
  http_test_server();
  /// Stops at once: closes the listener and every connection, joins the
  /// server thread. Returns promptly whatever the clients are doing.
  ~http_test_server();
  http_test_server(const http_test_server&) = delete;
  http_test_server& operator=(const http_test_server&) = delete;

  unsigned short port() const noexcept;
  /// "http://127.0.0.1:PORT" + path.
  std::string url(std::string_view path) const;

  /// TCP connections accepted so far.
  std::size_t connections_accepted() const noexcept;
  /// Accepted connections that have since ended (closed by either side).
  std::size_t connections_closed() const noexcept;
  /// Complete requests received (each one then goes to its route).
  std::size_t requests_served() const noexcept;

  /// Blocks until connections_closed() >= count or the timeout passes.
  /// @returns whether the count was reached.
  bool wait_connections_closed(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  struct impl;
  std::unique_ptr<impl> m_impl;
};

}  // namespace cofutures::test

#pragma once
// What the net tests share: one request's outcome (response or error code),
// a port nobody listens on, and error codes that Catch can print.

#include <cofutures/event_loop.hpp>
#include <cofutures/http_client.hpp>
#include <cofutures/http_error.hpp>
#include <cofutures/http_request.hpp>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace Catch {
template <>
struct StringMaker<std::error_code> {
  static std::string convert(const std::error_code& ec) {
    return std::string(ec.category().name()) + ":" + std::to_string(ec.value()) + " (" + ec.message() + ")";
  }
};
}  // namespace Catch

namespace cofutures::test {

/// A request's outcome: the response, or the code of the http_error.
struct outcome {
  std::optional<http_response> response;
  std::error_code code;  ///< set when an http_error was thrown
  std::string message;   ///< its what()
  std::chrono::milliseconds elapsed{};
};

inline http_request make_request(std::string url) {
  http_request request;
  request.url = std::move(url);
  return request;
}

/// Runs one request on `client`; any exception but http_error propagates.
inline asio::awaitable<outcome> attempt(http_client& client, http_request request) {
  outcome out;
  auto start = std::chrono::steady_clock::now();
  try {
    out.response = co_await client.async_request(std::move(request));
  } catch (const http_error& e) {
    out.code = e.code();
    out.message = e.what();
  }
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  co_return out;
}

/// One request on a fresh event_loop and http_client.
inline outcome perform(http_request request) {
  event_loop loop;
  http_client client(loop.get_executor());
  return loop.run(attempt(client, std::move(request)));
}

inline outcome perform(std::string url) { return perform(make_request(std::move(url))); }

/// Several requests through one client, one after another.
inline asio::awaitable<std::vector<outcome>> in_sequence(http_client& client, std::vector<http_request> requests) {
  std::vector<outcome> outcomes;
  for (auto& request : requests) outcomes.push_back(co_await attempt(client, std::move(request)));
  co_return outcomes;
}

/// in_sequence on a fresh event_loop and a client with these options.
inline std::vector<outcome> perform_in_sequence(std::vector<http_request> requests,
                                                const http_client_options& options = {}) {
  event_loop loop;
  http_client client(loop.get_executor(), options);
  return loop.run(in_sequence(client, std::move(requests)));
}

/// A loopback port that was free a moment ago and is closed now: connecting
/// to it is refused.
inline unsigned short closed_port() {
  asio::io_context ctx;
  asio::ip::tcp::acceptor acceptor(ctx, asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

}  // namespace cofutures::test

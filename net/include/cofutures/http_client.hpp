#pragma once
/// @file http_client.hpp
/// http_client: an asynchronous HTTP client on the event loop — libcurl's
/// multi_socket API driven by Asio, so many downloads run at once on one
/// thread, each a coroutine (`co_await client.async_get(url)`) or a future
/// (`client.async_get(url, cofutures::use_future)`).

#include <cofutures/detail/http_client_core.hpp>
#include <cofutures/detail/http_completion.hpp>
#include <cofutures/http_error.hpp>
#include <cofutures/http_request.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace cofutures {

struct http_client_options {
  long max_total_connections = 0;  ///< 0: no limit
  long max_host_connections = 0;   ///< per host; 0: no limit
  bool multiplex = true;           ///< HTTP/2 streams share a connection (curl waits for it: PIPEWAIT)
  std::string user_agent = "cofutures/0.1";
};

/// One libcurl multi handle per client. Connections are kept alive and
/// reused between requests. Every request is an Asio asynchronous
/// operation with signature void(std::exception_ptr, http_response):
/// transport failures complete with http_error; cancelling the operation
/// through its cancellation slot (e.g. a `||` race with a timer) removes
/// the transfer and completes it with operation_aborted.
///
/// Thread safety: requests may be started from any thread (they are posted
/// to the client's executor). Destroy the client on its executor's thread
/// (or when that io_context is not running): transfers still in flight
/// complete with an error, and nothing of the client runs afterwards.
class http_client {
 public:
  explicit http_client(asio::any_io_executor executor, const http_client_options& options = {})
      : m_core(detail::make_http_client_core(std::move(executor), options)) {}
  /// On the running event_loop. @throws invalid_state_error without one.
  http_client();
  explicit http_client(const http_client_options& options);
  ~http_client() { detail::close_client(*m_core); }
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// GET url. @throws http_error at the call for a malformed URL or a
  /// scheme other than http/https.
  template <class Token = asio::use_awaitable_t<>>
  auto async_get(std::string url, Token&& token = {}) {
    http_request request;
    request.url = std::move(url);
    return async_request(std::move(request), std::forward<Token>(token));
  }

  /// Any method, headers and body. @throws http_error as async_get.
  template <class Token = asio::use_awaitable_t<>>
  auto async_request(http_request request, Token&& token = {}) {
    detail::validate_request(request);
    return asio::async_initiate<Token, void(std::exception_ptr, http_response)>(initiation{m_core}, token,
                                                                                std::move(request));
  }

  asio::any_io_executor get_executor() const { return detail::client_executor(*m_core); }

 private:
  struct initiation {
    std::shared_ptr<detail::http_client_core> m_core;

    // use_future cancels through the operation's executor (this one).
    asio::any_io_executor get_executor() const { return detail::client_executor(*m_core); }

    template <class Handler>
    void operator()(Handler&& handler, http_request request) const {
      auto id = detail::next_request_id(*m_core);
      std::weak_ptr<detail::http_client_core> weak = m_core;
      auto completion = std::make_unique<detail::http_completion_op<std::decay_t<Handler>>>(
          std::forward<Handler>(handler), [weak, id] { detail::cancel_request(weak, id); },
          detail::client_executor(*m_core));
      detail::start_request(m_core, id, std::move(request), std::move(completion));
    }
  };

  std::shared_ptr<detail::http_client_core> m_core;
};

}  // namespace cofutures

#include <cofutures/detail/http_client_core.hpp>
#include <cofutures/fetch.hpp>

#include "detail/easy_transfer.hpp"

namespace cofutures {

http_response fetch(std::string url) {
  http_request request;
  request.url = std::move(url);
  return fetch(std::move(request));
}

http_response fetch(http_request request) {
  detail::validate_request(request);
  const detail::user_agent_header agent("cofutures/0.1");  // outlives the transfer
  detail::easy_transfer transfer(std::move(request), agent);
  auto code = curl_easy_perform(transfer.handle());  // blocking: this thread waits, others run
  http_response response;
  if (auto e = transfer.finish(code, response)) std::rethrow_exception(e);
  return response;
}

}  // namespace cofutures

#pragma once
// The shared part of an http_client: one libcurl multi handle driven by
// the client's executor (a strand of it unless one thread runs it); kept
// in src/ and reached through these functions.

#include <cofutures/detail/http_completion.hpp>
#include <cofutures/http_request.hpp>

#include <asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace cofutures {
struct http_client_options;
}

namespace cofutures::detail {

class http_client_core;

std::shared_ptr<http_client_core> make_http_client_core(asio::any_io_executor executor,
                                                        const http_client_options& options);
/// Checks the URL with libcurl's parser (a URL the calling thread checked
/// last is not parsed again). @throws http_error for a malformed URL, a
/// scheme other than http(s) or an empty method.
void validate_request(const http_request& request);
/// A fresh id for a request (for cancellation).
std::uint64_t next_request_id(http_client_core& core) noexcept;
/// Starts the transfer on the client's thread (posted: never inside curl).
void start_request(const std::shared_ptr<http_client_core>& core, std::uint64_t id, http_request request,
                   std::unique_ptr<http_completion> completion);
/// Removes the transfer and completes it with operation_aborted, if running.
void cancel_request(const std::weak_ptr<http_client_core>& core, std::uint64_t id);
/// Completes every transfer with an error and releases libcurl.
void close_client(http_client_core& core) noexcept;
asio::any_io_executor client_executor(const http_client_core& core);

}  // namespace cofutures::detail

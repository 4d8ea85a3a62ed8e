#pragma once
/// @file fetch.hpp
/// fetch: a blocking HTTP request, for code on a thread pool (Python's
/// urllib.request.urlopen(url).read()).

#include <cofutures/http_error.hpp>
#include <cofutures/http_request.hpp>

#include <string>

namespace cofutures {

/// GETs url and returns the response (4xx/5xx included).
/// @throws http_error for a malformed URL or a transport failure.
/// Thread safety: any thread; calls are independent.
http_response fetch(std::string url);
http_response fetch(http_request request);

}  // namespace cofutures

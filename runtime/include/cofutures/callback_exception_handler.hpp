#pragma once
/// @file callback_exception_handler.hpp
/// Where exceptions thrown by done-callbacks (and call_soon_threadsafe
/// functions) go: Python logs them ("exception calling callback for ..."),
/// we print them to stderr unless a handler is installed.

#include <exception>
#include <functional>
#include <string>

namespace cofutures {

/// Receives the exception and a description of the future it came from.
using callback_exception_handler = std::function<void(std::exception_ptr, const std::string& context)>;

/// Installs `handler` (empty: back to printing on stderr); returns the
/// previous one. Thread safety: may be called from any thread; a handler
/// may be invoked concurrently from several threads.
callback_exception_handler set_callback_exception_handler(callback_exception_handler handler);

}  // namespace cofutures

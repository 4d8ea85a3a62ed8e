#pragma once
/// @file thread_name.hpp
/// The calling thread's name (Python's threading.current_thread().name):
/// a pool worker's full name, else the OS thread name.

#include <string>

namespace cofutures {

/// Thread safety: reads the calling thread's own name only.
std::string current_thread_name();

namespace detail {
/// Names the calling thread (full name kept; the OS gets 15 characters).
void set_current_thread_name(const std::string& name);
}  // namespace detail

}  // namespace cofutures

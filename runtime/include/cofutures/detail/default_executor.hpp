#pragma once
// The executor a completion handler without one of its own runs on: the
// event_loop running on the calling thread, else Asio's system executor.

#include <asio/any_io_executor.hpp>

namespace cofutures::detail {

asio::any_io_executor default_completion_executor() noexcept;

}  // namespace cofutures::detail

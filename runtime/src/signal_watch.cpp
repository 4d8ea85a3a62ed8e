#include "detail/signal_watch.hpp"

#include <asio/post.hpp>

#include <utility>

namespace cofutures::detail {

signal_watch::signal_watch(std::function<void(int)> on_signal) {
  m_signals.async_wait([this, on_signal = std::move(on_signal)](const std::error_code& ec, int signal_number) {
    if (ec) return;  // the destructor cancelled the wait
    // Unregistered, SIGINT and SIGTERM have their default action again:
    // a second Ctrl-C ends the process at once.
    m_signals.clear();
    on_signal(signal_number);
  });
  // The thread only runs this io_context, which the destructor stops.
  m_thread = std::thread([this] { m_ctx.run(); });
}

signal_watch::~signal_watch() {
  // The set belongs to the watch thread: cancel it there, then let run() end.
  asio::post(m_ctx, [this] { m_signals.clear(); m_signals.cancel(); });
  m_thread.join();
}

}  // namespace cofutures::detail

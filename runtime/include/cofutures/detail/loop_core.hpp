#pragma once
// The part of an event_loop that futures bound to it share: a way to post
// callbacks to the loop thread that fails cleanly once the loop is gone.

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <memory>
#include <mutex>
#include <utility>

namespace cofutures::detail {

class loop_core {
 public:
  explicit loop_core(asio::io_context& ctx) noexcept : m_ctx(&ctx) {}

  /// Posts fn to the loop thread. Returns false (fn untouched) if the loop
  /// has been closed; then nothing will ever run there again.
  template <class Fn>
  bool try_post(Fn&& fn) {
    // The lock orders this post against close(): once close() returned, no
    // post reaches an io_context that is being destroyed.
    std::lock_guard lock(m_mutex);
    if (m_ctx == nullptr) return false;
    asio::post(*m_ctx, std::forward<Fn>(fn));
    return true;
  }

  /// Called by the event_loop before its io_context is destroyed.
  void close() noexcept {
    std::lock_guard lock(m_mutex);  // waits out a try_post in progress
    m_ctx = nullptr;
  }

  bool closed() const noexcept {
    std::lock_guard lock(m_mutex);  // m_ctx is written by close() on another thread
    return m_ctx == nullptr;
  }

  /// The io_context, for code running on the loop thread only (where the
  /// loop cannot close underneath it).
  asio::io_context* context_on_loop_thread() const noexcept { return m_ctx; }

 private:
  mutable std::mutex m_mutex;
  asio::io_context* m_ctx;  // null once closed
};

/// The loop a future created on this thread is bound to: the event_loop
/// running here, or the one a run_in_executor call names.
std::shared_ptr<loop_core> current_loop_core() noexcept;

/// Makes `core` the binding for futures created on this thread while alive.
class loop_binding_scope {
 public:
  explicit loop_binding_scope(std::shared_ptr<loop_core> core) noexcept;
  ~loop_binding_scope();
  loop_binding_scope(const loop_binding_scope&) = delete;
  loop_binding_scope& operator=(const loop_binding_scope&) = delete;

 private:
  std::shared_ptr<loop_core> m_previous;
};

}  // namespace cofutures::detail

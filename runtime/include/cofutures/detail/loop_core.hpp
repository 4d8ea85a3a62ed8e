#pragma once
// The part of an event_loop that futures bound to it share: a way to post
// callbacks to the loop thread that fails cleanly once the loop is gone.

#include <cofutures/detail/small_function.hpp>

#include <asio/execution/context.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/query.hpp>

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace cofutures::detail {

class loop_core : public std::enable_shared_from_this<loop_core> {
 public:
  /// What try_post queues: a future's callback batch (its state and the
  /// callback list) fits in place.
  using posted_function = small_function<void(), 80>;

  explicit loop_core(asio::io_context& ctx) noexcept : m_ctx(&ctx) {}

  /// Queues fn to run on the loop thread, after everything queued before
  /// it here. Returns false (fn untouched) if the loop has been closed;
  /// then nothing will ever run there again.
  ///
  /// One Asio post carries every function queued until the loop gets to
  /// it: a pool completing futures by the thousand costs the loop one
  /// handler per burst, not one per future.
  template <class Fn>
  bool try_post(Fn&& fn) {
    // The lock covers the whole post: Asio signals its wake-up after
    // releasing its own lock, so without ours the loop could finish and
    // destroy the io_context while this thread is still inside it. It
    // also orders the queue and the drain flag.
    std::lock_guard lock(m_mutex);
    if (m_ctx == nullptr) return false;
    m_queued.emplace_back(std::forward<Fn>(fn));
    if (!m_drain_posted) {
      // The handler co-owns the core: an unrun one is destroyed with the
      // io_context, which may outlive the event_loop's reference.
      asio::post(*m_ctx, [self = shared_from_this()] { self->drain(); });
      m_drain_posted = true;
    }
    return true;
  }
  /// As try_post, through `executor` (which runs on this loop).
  template <class Executor, class Fn>
  bool try_post(const Executor& executor, Fn&& fn) {
    std::lock_guard lock(m_mutex);  // as above: the post must finish before close()
    if (m_ctx == nullptr) return false;
    asio::post(executor, std::forward<Fn>(fn));
    return true;
  }
  /// Called by the event_loop before its io_context is destroyed. What is
  /// still queued is destroyed unrun, as Asio does with its handlers.
  void close() noexcept;
  bool closed() const noexcept {
    std::lock_guard lock(m_mutex);  // m_ctx is written by close() on another thread
    return m_ctx == nullptr;
  }
  /// The io_context, for code running on the loop thread only (where the
  /// loop cannot close underneath it).
  asio::io_context* context_on_loop_thread() const noexcept { return m_ctx; }

 private:
  /// On the loop thread: runs what was queued up to now, in order. If one
  /// throws, the rest stay queued (behind a new drain) and the exception
  /// leaves io_context::run, as from any Asio handler.
  void drain();

  mutable std::mutex m_mutex;
  asio::io_context* m_ctx;  // null once closed
  std::vector<posted_function> m_queued;  // guarded by m_mutex, run by drain()
  std::vector<posted_function> m_spare;   // guarded by m_mutex: a drained vector's capacity, for reuse
  bool m_drain_posted = false;            // guarded by m_mutex: a drain is queued in Asio and has not begun
};

/// The loop a future created on this thread is bound to: the event_loop
/// running here, or the one a run_in_executor call names.
std::shared_ptr<loop_core> current_loop_core() noexcept;

/// The core of the event_loop running on this thread, or nullptr.
std::shared_ptr<loop_core> running_loop_core() noexcept;

/// The running loop's core if `executor` runs on that loop, else nullptr
/// (then posting to it follows Asio's rule: its context must outlive us).
template <class Executor>
std::shared_ptr<loop_core> loop_core_of(const Executor& executor) {
  if constexpr (asio::can_query<const Executor&, asio::execution::context_t>::value) {
    auto core = running_loop_core();
    if (core && static_cast<void*>(&asio::query(executor, asio::execution::context)) ==
                    static_cast<void*>(core->context_on_loop_thread())) {
      return core;
    }
  }
  return nullptr;
}

/// Posts fn through `executor`, under `core`'s lock when it has one.
/// Returns false (fn untouched) if that loop is closed.
template <class Executor, class Fn>
bool guarded_post(const std::shared_ptr<loop_core>& core, const Executor& executor, Fn&& fn) {
  if (core) return core->try_post(executor, std::forward<Fn>(fn));
  asio::post(executor, std::forward<Fn>(fn));
  return true;
}

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

#pragma once
// future<T>::async_result(): an Asio asynchronous operation that completes
// when the future is done. The hot path: one node linked into the future's
// state, one post to the handler's executor on completion, no coroutine.

#include <cofutures/detail/default_executor.hpp>
#include <cofutures/detail/future_state.hpp>

#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/system_error.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace cofutures::detail {

template <class T>
struct async_result_signature_of {
  using type = void(std::exception_ptr, T);
};
template <>
struct async_result_signature_of<void> {
  using type = void(std::exception_ptr);
};
template <class T>
using async_result_signature = typename async_result_signature_of<T>::type;

template <class T, class Handler>
class async_result_op final : public waiter_node {
  using executor_type = asio::associated_executor_t<Handler, asio::any_io_executor>;
  // Tracked work keeps the handler's io_context from running out of work
  // (and its run() from returning) while the future is pending.
  using work_executor =
      std::decay_t<decltype(asio::prefer(std::declval<executor_type>(),
                                         asio::execution::outstanding_work.tracked))>;
  // The completing thread posts through an untracked copy: destroying a
  // tracked one there could touch an io_context the loop thread has
  // already finished with and destroyed.
  using post_executor =
      std::decay_t<decltype(asio::prefer(std::declval<executor_type>(),
                                         asio::execution::outstanding_work.untracked))>;

 public:
  static void start(std::shared_ptr<state<T>> st, Handler handler) {
    auto executor = asio::get_associated_executor(handler, default_completion_executor());
    auto core = loop_core_of(executor);
    std::unique_ptr<async_result_op> op(
        new async_result_op(std::move(st), std::move(handler), std::move(executor), std::move(core)));
    auto slot = asio::get_associated_cancellation_slot(op->m_handler);
    // Installed before linking: the initiating thread is the handler's
    // executor thread, so a completion (posted there) runs after this.
    if (slot.is_connected()) slot.template emplace<canceller>(op.get());
    auto& s = *op->m_state;
    // Once linked, the state's list owns the op until notify() or a
    // successful unlink hands it back.
    if (s.link_if_pending(*op)) {
      op.release();
      return;
    }
    post_completion(std::move(op), false);  // already done: complete via post, never inline
  }

  void notify(state_base&) noexcept override {
    post_completion(std::unique_ptr<async_result_op>(this), false);
  }

 private:
  struct canceller {
    explicit canceller(async_result_op* op) noexcept : m_op(op) {}
    async_result_op* m_op;
    void operator()(asio::cancellation_type_t) const {
      // The wait has no side effects, so every cancellation type stops it;
      // the future itself is left alone. Runs on the handler's executor,
      // like the completion, so m_op is alive (it clears the slot first).
      if (m_op->m_state->unlink_if_linked(*m_op)) {
        post_completion(std::unique_ptr<async_result_op>(m_op), true);
      }
    }
  };

  async_result_op(std::shared_ptr<state<T>> st, Handler handler, executor_type executor,
                  std::shared_ptr<loop_core> core)
      : m_state(std::move(st)),
        m_handler(std::move(handler)),
        m_work(asio::prefer(executor, asio::execution::outstanding_work.tracked)),
        m_executor(asio::prefer(std::move(executor), asio::execution::outstanding_work.untracked)),
        m_core(std::move(core)) {}

  struct completion {
    std::unique_ptr<async_result_op> m_op;
    bool m_aborted;
    void operator()() { complete(std::move(m_op), m_aborted); }
  };

  static void post_completion(std::unique_ptr<async_result_op> op, bool aborted) noexcept {
    post_executor executor = op->m_executor;
    auto core = op->m_core;
    // Hands the op (and its tracked work) to the loop thread, which alone
    // releases it.
    completion c{std::move(op), aborted};
    if (!guarded_post(core, executor, std::move(c))) {
      // The loop is gone (a coroutine it never finished waited here).
      // Releasing the op's work would touch the destroyed io_context: leak.
      (void)c.m_op.release();
    }
  }

  static void complete(std::unique_ptr<async_result_op> op, bool aborted) {
    auto slot = asio::get_associated_cancellation_slot(op->m_handler);
    if (slot.is_connected()) slot.clear();  // the canceller points at op
    auto st = std::move(op->m_state);
    Handler handler = std::move(op->m_handler);
    auto work = std::move(op->m_work);  // released after the handler ran
    op.reset();  // free the op before the upcall (Asio's rule for handler memory)
    std::exception_ptr e;
    if (aborted) {
      e = std::make_exception_ptr(asio::system_error(asio::error::operation_aborted));
    } else {
      try {
        e = st->exception_when_done();
      } catch (...) {
        e = std::current_exception();  // cancelled_error
      }
    }
    if constexpr (std::is_void_v<T>) {
      std::move(handler)(e);
    } else if (e) {
      std::move(handler)(e, T{});
    } else {
      std::move(handler)(e, st->value());
    }
  }

  std::shared_ptr<state<T>> m_state;
  Handler m_handler;
  work_executor m_work;
  post_executor m_executor;
  std::shared_ptr<loop_core> m_core;  // set when the handler runs on an event_loop
};

template <class T>
struct initiate_async_result {
  std::shared_ptr<state<T>> m_state;

  template <class Handler>
  void operator()(Handler&& handler) const {
    async_result_op<T, std::decay_t<Handler>>::start(m_state, std::forward<Handler>(handler));
  }
};

}  // namespace cofutures::detail

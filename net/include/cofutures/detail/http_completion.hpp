#pragma once
// How a finished transfer reaches the code that asked for it: an Asio
// completion handler, kept type-erased by the client, posted to its own
// executor (never run inside libcurl), cancellable through its slot.

#include <cofutures/detail/default_executor.hpp>
#include <cofutures/http_request.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <utility>

namespace cofutures::detail {

class http_completion {
 public:
  virtual ~http_completion() = default;
  /// Delivers the outcome on the handler's executor (always via post).
  virtual void complete(std::exception_ptr e, http_response r) = 0;
};

template <class Handler>
class http_completion_op final : public http_completion {
  using executor_type = asio::associated_executor_t<Handler, asio::any_io_executor>;
  // Tracked: the handler's io_context keeps running while the request is
  // in flight, even if libcurl has no socket open at the moment.
  using work_executor = std::decay_t<decltype(asio::prefer(std::declval<executor_type>(),
                                                           asio::execution::outstanding_work.tracked))>;

 public:
  /// `cancel` is called (on the handler's thread) when the slot emits.
  /// A handler without an associated executor completes on `io_executor`,
  /// the client's (Asio's rule for I/O objects).
  http_completion_op(Handler handler, std::function<void()> cancel, const asio::any_io_executor& io_executor)
      : m_handler(std::move(handler)),
        m_work(asio::prefer(asio::get_associated_executor(m_handler, io_executor),
                            asio::execution::outstanding_work.tracked)) {
    auto slot = asio::get_associated_cancellation_slot(m_handler);
    if (slot.is_connected()) {
      slot.template emplace<canceller>(std::move(cancel));
    }
  }

  void complete(std::exception_ptr e, http_response r) override {
    auto executor = m_work;
    asio::post(executor, [handler = std::move(m_handler), work = std::move(m_work), e = std::move(e),
                          r = std::move(r)]() mutable {
      auto slot = asio::get_associated_cancellation_slot(handler);
      if (slot.is_connected()) slot.clear();  // before the upcall: its canceller names this request
      std::move(handler)(e, std::move(r));
    });
  }

 private:
  struct canceller {
    explicit canceller(std::function<void()> cancel) : m_cancel(std::move(cancel)) {}
    void operator()(asio::cancellation_type_t) const { m_cancel(); }  // no side effects: any type
    std::function<void()> m_cancel;
  };

  Handler m_handler;
  work_executor m_work;
};

}  // namespace cofutures::detail

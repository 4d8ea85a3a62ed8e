#pragma once
// The asynchronous side of waiting on a set of futures: a composed Asio
// operation that sleeps on a steady_timer which completions cancel to wake
// it (a post to the operation's executor, so the timer is only touched on
// its own thread), and which the deadline expires.

#include <cofutures/detail/future_set_waiter.hpp>
#include <cofutures/detail/loop_core.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/prefer.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/system_error.hpp>

#include <memory>
#include <optional>
#include <utility>

namespace cofutures::detail {

/// What an async set wait shares with the wake-ups it posts.
struct async_set_wait_state {
  /// `futures` owns the states (a shared_ptr to the caller's vector of
  /// futures): the waiter, destroyed first, may touch them to the end.
  async_set_wait_state(std::shared_ptr<const void> futures, std::vector<state_base*> states,
                       future_set_waiter::mode m, std::optional<future_set_waiter::clock::time_point> deadline)
      : m_futures(std::move(futures)), m_waiter(std::move(states), m), m_deadline(deadline) {}

  std::shared_ptr<const void> m_futures;  // declared before m_waiter: outlives it
  future_set_waiter m_waiter;
  std::optional<future_set_waiter::clock::time_point> m_deadline;
  std::optional<asio::steady_timer> m_timer;  // on the waiting operation's executor
};

/// Step function for asio::async_compose. `Finish` is called as
/// finish(self, state, aborted, timed_out) once the wait ends; `Ready`
/// says whether the wait can end.
template <class Ready, class Finish>
struct async_set_wait_op {
  std::shared_ptr<async_set_wait_state> m_state;
  Ready m_ready;
  Finish m_finish;
  bool m_started = false;

  template <class Self>
  void operator()(Self& self, asio::error_code = {}) {
    auto& s = *m_state;
    if (!m_started) {
      m_started = true;
      // Waiting has no side effects: any cancellation type may stop it.
      self.reset_cancellation_state(asio::enable_total_cancellation());
      // Untracked: the wake-up posts from completing threads, which must
      // not keep (or release) work on the loop.
      asio::any_io_executor executor =
          asio::prefer(asio::any_io_executor(self.get_executor()), asio::execution::outstanding_work.untracked);
      if (!s.m_timer) s.m_timer.emplace(executor);
      std::weak_ptr<async_set_wait_state> weak = m_state;
      s.m_waiter.set_wake([weak, executor, core = loop_core_of(executor)] {
        // Called under the waiter's lock on the completing thread: post
        // only. weak: a wake-up must not keep a finished wait alive.
        guarded_post(core, executor, [weak] {
          if (auto st = weak.lock()) {
            st->m_waiter.wake_consumed();
            st->m_timer->cancel();
          }
        });
      });
      asio::post(std::move(self));  // never complete inside the initiating call
      return;
    }
    if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
      return finish(self, s, true, false);
    }
    if (m_ready(s)) return finish(self, s, false, false);
    if (s.m_deadline && future_set_waiter::clock::now() >= *s.m_deadline) {
      return finish(self, s, false, true);
    }
    s.m_timer->expires_at(s.m_deadline.value_or(asio::steady_timer::time_point::max()));
    s.m_timer->async_wait(std::move(self));
  }

  template <class Self>
  void finish(Self& self, async_set_wait_state& s, bool aborted, bool timed_out) {
    // No wait in progress: completions must not post to a loop that may
    // be gone by the time they happen.
    s.m_waiter.set_wake(nullptr);
    m_finish(self, s, aborted, timed_out);
  }
};

inline std::exception_ptr operation_aborted() {
  return std::make_exception_ptr(asio::system_error(asio::error::operation_aborted));
}

}  // namespace cofutures::detail

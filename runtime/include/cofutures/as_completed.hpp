#pragma once
/// @file as_completed.hpp
/// as_completed / async_as_completed: Python's concurrent.futures
/// .as_completed as a blocking input range, and as an object whose next()
/// a coroutine co_awaits.

#include <cofutures/any_future.hpp>
#include <cofutures/detail/async_set_wait_op.hpp>
#include <cofutures/detail/default_executor.hpp>
#include <cofutures/detail/future_range.hpp>
#include <cofutures/detail/future_set_waiter.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/timeout.hpp>

#include <asio/async_result.hpp>
#include <asio/compose.hpp>
#include <asio/use_awaitable.hpp>

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cofutures {

namespace detail {
inline timeout_error unfinished_error(std::size_t unfinished, std::size_t total) {
  return timeout_error(std::to_string(unfinished) + " (of " + std::to_string(total) + ") futures unfinished");
}
}  // namespace detail

/// The range as_completed() returns: yields each future once, those already
/// done first (input order), then in completion order. Advancing blocks;
/// past the deadline it throws timeout_error "N (of M) futures unfinished".
/// Single pass; begin() fetches the first future.
///
/// Thread safety: one consumer thread; futures may complete on any thread.
template <class F>
class as_completed_range {
 public:
  class iterator {
   public:
    using value_type = F;
    using reference = const F&;
    using pointer = const F*;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::input_iterator_tag;
    using iterator_concept = std::input_iterator_tag;

    iterator() noexcept = default;
    reference operator*() const { return *m_range->m_current; }
    pointer operator->() const { return &*m_range->m_current; }
    iterator& operator++() {
      m_range->fetch();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.at_end() == b.at_end(); }

   private:
    friend class as_completed_range;
    explicit iterator(as_completed_range* r) noexcept : m_range(r) {}
    bool at_end() const noexcept { return m_range == nullptr || !m_range->m_current; }
    as_completed_range* m_range = nullptr;
  };

  as_completed_range(std::vector<F> futures, optional_timeout timeout)
      : m_deadline(timeout.deadline()),
        m_futures(std::move(futures)),
        m_waiter(std::make_unique<detail::future_set_waiter>(detail::states_of(m_futures),
                                                             detail::future_set_waiter::mode::each)) {}

  iterator begin() {
    if (!m_started) {
      m_started = true;
      fetch();
    }
    return iterator(this);
  }
  iterator end() noexcept { return iterator(); }
  std::size_t size() const noexcept { return m_futures.size(); }

 private:
  void fetch() {
    auto next = m_waiter->take_next();
    if (!next) {
      if (m_waiter->untaken() == 0) {
        m_current.reset();
        return;
      }
      if (!m_waiter->wait_until(m_deadline)) {
        m_current.reset();
        throw detail::unfinished_error(m_waiter->untaken(), m_futures.size());
      }
      next = m_waiter->take_next();
    }
    m_current = m_futures[*next];
  }

  std::optional<optional_timeout::clock::time_point> m_deadline;
  std::vector<F> m_futures;                             // owns the states: declared before m_waiter
  std::unique_ptr<detail::future_set_waiter> m_waiter;  // states point into it: never moves
  std::optional<F> m_current;
  bool m_started = false;
};

/// Yields the futures as they complete (duplicates collapsed).
/// @throws std::invalid_argument for a negative timeout.
template <detail::future_range R>
as_completed_range<detail::range_future_t<R>> as_completed(R&& futures, optional_timeout timeout = {}) {
  using F = detail::range_future_t<R>;
  return {detail::unique_futures<F>(std::forward<R>(futures)), timeout};
}

template <detail::future_handle F>
as_completed_range<F> as_completed(std::initializer_list<F> futures, optional_timeout timeout = {}) {
  return as_completed(std::vector<F>(futures), timeout);
}

/// The asynchronous as_completed: `while (auto f = co_await it.next())`.
/// next() is an Asio operation with signature
/// void(std::exception_ptr, std::optional<F>): the next completed future,
/// nullopt when all were yielded, timeout_error past the deadline,
/// operation_aborted when cancelled. One next() at a time.
template <class F>
class async_as_completed_range {
 public:
  async_as_completed_range(std::vector<F> futures, optional_timeout timeout)
      : m_futures(std::make_shared<std::vector<F>>(std::move(futures))),
        m_state(std::make_shared<detail::async_set_wait_state>(
            m_futures, detail::states_of(*m_futures), detail::future_set_waiter::mode::each, timeout.deadline())) {}

  template <class Token = asio::use_awaitable_t<>>
  auto next(Token&& token = {}) {
    auto ready = [](detail::async_set_wait_state& s) {
      return s.m_waiter.satisfied() || s.m_waiter.untaken() == 0;
    };
    auto finish = [fs = m_futures](auto& self, detail::async_set_wait_state& s, bool aborted, bool timed_out) {
      if (aborted) return self.complete(detail::operation_aborted(), std::optional<F>());
      if (auto i = s.m_waiter.take_next()) return self.complete(std::exception_ptr(), std::optional<F>((*fs)[*i]));
      if (timed_out) {
        return self.complete(std::make_exception_ptr(detail::unfinished_error(s.m_waiter.untaken(), fs->size())),
                             std::optional<F>());
      }
      self.complete(std::exception_ptr(), std::optional<F>());
    };
    return asio::async_compose<Token, void(std::exception_ptr, std::optional<F>)>(
        detail::async_set_wait_op<decltype(ready), decltype(finish)>{m_state, ready, finish}, token,
        detail::default_completion_executor());
  }

  std::size_t size() const noexcept { return m_futures->size(); }

 private:
  std::shared_ptr<std::vector<F>> m_futures;
  std::shared_ptr<detail::async_set_wait_state> m_state;
};

template <detail::future_range R>
async_as_completed_range<detail::range_future_t<R>> async_as_completed(R&& futures, optional_timeout timeout = {}) {
  using F = detail::range_future_t<R>;
  return {detail::unique_futures<F>(std::forward<R>(futures)), timeout};
}

template <detail::future_handle F>
async_as_completed_range<F> async_as_completed(std::initializer_list<F> futures, optional_timeout timeout = {}) {
  return async_as_completed(std::vector<F>(futures), timeout);
}

}  // namespace cofutures

#pragma once
// The lazy range Executor.map returns: results in input order, inputs
// pulled and submitted `buffersize` ahead (all at once without it),
// a deadline for the whole map, and everything still outstanding cancelled
// on an exception, a timeout, or when the range is dropped.

#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/map_options.hpp>
#include <cofutures/timeout.hpp>

#include <cstddef>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace cofutures {
namespace detail {

/// An input range as map() keeps it: a reference to an lvalue range, the
/// range itself for an rvalue (std::views::all without <ranges>' views,
/// which clang 14 cannot compile with libstdc++ 12).
template <class R>
class stored_range {
 public:
  explicit stored_range(R&& r) : m_range(std::move(r)) {}
  R& get() noexcept { return m_range; }

 private:
  R m_range;
};
template <class R>
class stored_range<R&> {
 public:
  explicit stored_range(R& r) noexcept : m_range(&r) {}
  R& get() noexcept { return *m_range; }

 private:
  R* m_range;
};

template <class Stored>
using stored_range_ref = decltype(std::declval<Stored&>().get());

/// Walks the zipped input ranges in step (the shortest ends them). Lives
/// on the heap: its iterators may point into the ranges it owns.
template <class... Stored>
class zip_cursor {
 public:
  explicit zip_cursor(Stored... ranges) : m_ranges(std::move(ranges)...) {}

  /// Calls use(elements...) with the next elements and advances; false
  /// (use not called) once an input is exhausted.
  template <class Use>
  bool pull(Use&& use) {
    if (!m_iterators) {
      m_iterators.emplace(
          std::apply([](auto&... r) { return std::tuple(std::ranges::begin(r.get())...); }, m_ranges));
    }
    if (exhausted(std::index_sequence_for<Stored...>{})) return false;
    std::apply([&](auto&... it) { use(*it...); }, *m_iterators);
    std::apply([](auto&... it) { (++it, ...); }, *m_iterators);
    return true;
  }

 private:
  template <std::size_t... I>
  bool exhausted(std::index_sequence<I...>) {
    return ((std::get<I>(*m_iterators) == std::ranges::end(std::get<I>(m_ranges).get())) || ...);
  }

  std::tuple<Stored...> m_ranges;
  std::optional<std::tuple<std::ranges::iterator_t<stored_range_ref<Stored>>...>> m_iterators;
};

/// One task per input tuple: submit(elements...) returns
/// std::optional<future<R>> (nullopt: the executor is gone; stop).
template <class Submit, class... Stored>
class zip_source {
 public:
  using future_type =
      typename std::invoke_result_t<Submit&, std::ranges::range_reference_t<stored_range_ref<Stored>>...>::value_type;

  zip_source(Submit submit, Stored... ranges) : m_submit(std::move(submit)), m_cursor(std::move(ranges)...) {}

  std::optional<future_type> next() {
    if (m_declined) return std::nullopt;
    std::optional<future_type> f;
    bool pulled = m_cursor.pull([&](auto&&... args) {
      auto submitted = m_submit(std::forward<decltype(args)>(args)...);
      if (submitted) f.emplace(std::move(*submitted));
      else m_declined = true;
    });
    if (!pulled) return std::nullopt;
    return f;
  }

 private:
  Submit m_submit;
  bool m_declined = false;
  zip_cursor<Stored...> m_cursor;
};

template <class T>
using map_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

}  // namespace detail

/// What map() returns: a single-pass input range of fn's results in input
/// order. Advancing blocks until the next result; it rethrows a task's
/// exception (cancelling the rest; the range then ends) and throws
/// timeout_error past the deadline. Destroying a range whose iteration has
/// begun cancels every future not yet consumed; one never iterated lets its
/// work run (Python: an unstarted generator runs no `finally`), so
/// `pool.map(fn, inputs);` alone still does the work.
///
/// Thread safety: one consumer thread.
template <class Source>
class map_range {
  using future_type = typename Source::future_type;

 public:
  using value_type = detail::map_value_t<typename future_type::value_type>;

  class iterator {
   public:
    using value_type = map_range::value_type;
    using reference = const value_type&;
    using pointer = const value_type*;
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
    friend class map_range;
    explicit iterator(map_range* r) noexcept : m_range(r) {}
    bool at_end() const noexcept { return m_range == nullptr || !m_range->m_current; }
    map_range* m_range = nullptr;
  };

  map_range(std::unique_ptr<Source> source, const map_options& options)
      : m_source(std::move(source)), m_deadline(options.timeout.deadline()), m_buffersize(options.buffersize) {
    // Python submits everything at the call, or the first `buffersize`.
    for (std::ptrdiff_t n = 0; !m_buffersize || n < *m_buffersize; ++n) {
      auto f = m_source->next();
      if (!f) break;
      m_pending.push_back(std::move(*f));
    }
  }
  map_range(map_range&&) noexcept = default;
  map_range& operator=(map_range&&) = delete;
  ~map_range() {
    if (m_started) cancel_pending();
  }

  iterator begin() {
    if (!m_started) {
      m_started = true;
      fetch();
    }
    return iterator(this);
  }
  iterator end() noexcept { return iterator(); }

 private:
  void fetch() {
    m_current.reset();
    if (m_pending.empty()) return;
    if (m_buffersize) {
      // Refill first, as Python does, so the pool stays busy while we wait.
      if (auto f = m_source->next()) m_pending.push_back(std::move(*f));
    }
    auto f = std::move(m_pending.front());
    m_pending.pop_front();
    try {
      m_current.emplace(value_of(f));
    } catch (...) {
      f.cancel();  // a timed-out future is not wanted any more either
      cancel_pending();
      throw;
    }
  }

  value_type value_of(const future_type& f) const {
    auto wait = [&] {
      if (m_deadline) {
        auto left = *m_deadline - optional_timeout::clock::now();
        return f.result(std::max(left, optional_timeout::clock::duration::zero()));
      }
      return f.result();
    };
    if constexpr (std::is_void_v<typename future_type::value_type>) {
      wait();
      return {};
    } else {
      return wait();
    }
  }

  void cancel_pending() noexcept {
    for (auto& f : m_pending) {
      if (f.valid()) f.cancel();
    }
    m_pending.clear();
  }

  std::unique_ptr<Source> m_source;
  std::optional<optional_timeout::clock::time_point> m_deadline;
  std::optional<std::ptrdiff_t> m_buffersize;
  std::deque<future_type> m_pending;
  std::optional<value_type> m_current;
  bool m_started = false;
};

namespace detail {

/// Builds the map_range over `ranges` (lvalues referred to, rvalues
/// moved in), submitting through `submit(args...)`.
template <class Submit, class... Ranges>
auto make_map_range(Submit submit, const map_options& options, Ranges&&... ranges) {
  options.validate();
  static_assert(sizeof...(Ranges) > 0, "map needs at least one input range");
  static_assert((std::ranges::input_range<Ranges> && ...), "map's inputs must be input ranges");
  using source = zip_source<Submit, stored_range<Ranges>...>;
  auto s = std::make_unique<source>(std::move(submit), stored_range<Ranges>(std::forward<Ranges>(ranges))...);
  return map_range<source>(std::move(s), options);
}

}  // namespace detail
}  // namespace cofutures

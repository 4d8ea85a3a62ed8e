#pragma once
/// @file progress.hpp
/// progress(range, total): tqdm's `for f in tqdm(as_completed(fs), total=n)`.
///
///     for (auto& f : cofutures::progress(cofutures::as_completed(futures), futures.size())) {
///       use(f.result());
///     }

#include <cofutures/progress_bar.hpp>

#include <cstddef>
#include <iterator>
#include <optional>
#include <ranges>
#include <utility>

namespace cofutures {

namespace detail {
// tqdm: "If unspecified, len(iterable) is used if possible."
template <class R>
progress_options with_range_total(R& range, progress_options options) {
  if constexpr (std::ranges::sized_range<R>) {
    if (!options.total) options.total = static_cast<std::size_t>(std::ranges::size(range));
  }
  return options;
}
}  // namespace detail

/// An input range over `R` (held by reference for an lvalue, by value
/// otherwise) that counts each element on its bar once the loop moves past
/// it (as tqdm does), and closes the bar when the range is exhausted or the
/// wrapper is destroyed (a `break`, an exception). Single pass: begin()
/// starts the underlying range once (for as_completed it blocks until the
/// first future is done); later begin() calls resume where iteration is.
///
/// Thread safety: one consumer thread; bar() may be used from any thread.
/// Neither copyable nor movable: progress() returns it as a prvalue.
template <std::ranges::input_range R>
class progress_range {
  using base_iterator = std::ranges::iterator_t<R>;
  using base_sentinel = std::ranges::sentinel_t<R>;

 public:
  class iterator {
   public:
    using value_type = std::ranges::range_value_t<R>;
    using reference = std::ranges::range_reference_t<R>;
    using difference_type = std::ranges::range_difference_t<R>;
    using iterator_category = std::input_iterator_tag;
    using iterator_concept = std::input_iterator_tag;

    iterator() noexcept = default;
    reference operator*() const { return **m_range->m_it; }
    iterator& operator++() {
      m_range->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return !it.m_range || it.m_range->exhausted(); }

   private:
    friend class progress_range;
    explicit iterator(progress_range* r) noexcept : m_range(r) {}
    progress_range* m_range = nullptr;
  };

  /// Draws the bar's first line. `options.total` defaults to the range's
  /// size when it has one.
  progress_range(R&& range, progress_options options)
      : m_bar(detail::with_range_total(range, std::move(options))), m_range(std::forward<R>(range)) {}

  progress_range(const progress_range&) = delete;
  progress_range& operator=(const progress_range&) = delete;

  /// @throws whatever the underlying begin() throws (as_completed:
  /// timeout_error); the bar is then closed by the destructor.
  iterator begin() {
    if (!m_started) {
      m_started = true;
      m_it.emplace(std::ranges::begin(m_range));
      m_end.emplace(std::ranges::end(m_range));
      if (exhausted()) m_bar.close();
    }
    return iterator(this);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

  /// The bar, e.g. for set_description(text, false) inside the loop.
  progress_bar& bar() noexcept { return m_bar; }

  /// True once the underlying range is exhausted (or begin() threw).
  bool exhausted() const { return m_started && (!m_it || *m_it == *m_end); }

 private:
  void advance() {
    m_bar.update(1);  // the loop is done with the current element
    ++*m_it;          // may block (as_completed) or throw (timeout_error)
    if (exhausted()) m_bar.close();
  }

  progress_bar m_bar;  // constructed first: its clock starts before iteration, as tqdm's
  R m_range;
  std::optional<base_iterator> m_it;  // the single pass's position, shared by every iterator
  std::optional<base_sentinel> m_end;
  bool m_started = false;
};

/// Wraps `range` with a progress_bar of `total` steps on stderr; without a
/// total, the range's size if it has one (as_completed_range does).
/// @throws whatever the bar's first draw throws.
template <std::ranges::input_range R>
progress_range<R> progress(R&& range, std::optional<std::size_t> total = std::nullopt) {
  return progress_range<R>(std::forward<R>(range), progress_options{.total = total});
}

/// Wraps `range` with a progress_bar configured by `options`.
template <std::ranges::input_range R>
progress_range<R> progress(R&& range, progress_options options) {
  return progress_range<R>(std::forward<R>(range), std::move(options));
}

}  // namespace cofutures

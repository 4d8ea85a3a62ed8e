#pragma once
// Executor.map for process pools (Python's itertools.batched +
// _process_chunk + _chain_from_iterable_of_lists): the inputs go in
// chunks of `chunksize` argument tuples, one task each; the range yields
// the chunks' results flattened, in input order.

#include <cofutures/detail/map_range.hpp>

#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace cofutures {
namespace detail {

/// Collects up to `chunksize` argument tuples (copied, as Args) and hands
/// them to submit(std::vector<Args>), which returns
/// std::optional<future<std::vector<R>>>.
template <class Args, class Submit, class... Stored>
class chunk_source {
 public:
  using future_type = typename std::invoke_result_t<Submit&, std::vector<Args>&&>::value_type;

  chunk_source(std::size_t chunksize, Submit submit, Stored... ranges)
      : m_chunksize(chunksize), m_submit(std::move(submit)), m_cursor(std::move(ranges)...) {}

  std::optional<future_type> next() {
    if (m_declined) return std::nullopt;
    std::vector<Args> chunk;
    chunk.reserve(m_chunksize);
    while (chunk.size() < m_chunksize &&
           m_cursor.pull([&](auto&&... args) { chunk.emplace_back(std::forward<decltype(args)>(args)...); })) {
    }
    if (chunk.empty()) return std::nullopt;
    auto f = m_submit(std::move(chunk));
    if (!f) m_declined = true;
    return f;
  }

 private:
  std::size_t m_chunksize;
  Submit m_submit;
  bool m_declined = false;
  zip_cursor<Stored...> m_cursor;
};

}  // namespace detail

/// The range a process pool's map returns: a map_range of result chunks,
/// flattened. Same behaviour as map_range (order, exceptions, timeout,
/// cancellation); an exception fails its whole chunk, as in Python.
template <class ChunkRange>
class flattened_map_range {
  using chunk_type = typename ChunkRange::value_type;

 public:
  using value_type = typename chunk_type::value_type;

  class iterator {
   public:
    using value_type = flattened_map_range::value_type;
    using reference = const value_type&;
    using pointer = const value_type*;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::input_iterator_tag;
    using iterator_concept = std::input_iterator_tag;

    iterator() noexcept = default;
    reference operator*() const { return m_range->m_chunk[m_range->m_pos]; }
    pointer operator->() const { return &**this; }
    iterator& operator++() {
      m_range->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.at_end() == b.at_end(); }

   private:
    friend class flattened_map_range;
    explicit iterator(flattened_map_range* r) noexcept : m_range(r) {}
    bool at_end() const noexcept { return m_range == nullptr || m_range->m_done; }
    flattened_map_range* m_range = nullptr;
  };

  explicit flattened_map_range(ChunkRange chunks) : m_chunks(std::move(chunks)) {}

  iterator begin() {
    if (!m_started) {
      m_started = true;
      m_it = m_chunks.begin();
      load();
    }
    return iterator(this);
  }
  iterator end() noexcept { return iterator(); }

 private:
  // Moves to the next non-empty chunk, or to the end.
  void load() {
    m_pos = 0;
    while (m_it != m_chunks.end()) {
      m_chunk = *m_it;
      if (!m_chunk.empty()) return;
      ++m_it;
    }
    m_chunk.clear();
    m_done = true;
  }
  void advance() {
    if (++m_pos < m_chunk.size()) return;
    ++m_it;
    load();
  }

  ChunkRange m_chunks;
  typename ChunkRange::iterator m_it;
  chunk_type m_chunk;
  std::size_t m_pos = 0;
  bool m_started = false;
  bool m_done = false;
};

namespace detail {

template <class Args, class Submit, class... Ranges>
auto make_chunked_map_range(Submit submit, const map_options& options, Ranges&&... ranges) {
  options.validate();
  static_assert(sizeof...(Ranges) > 0, "map needs at least one input range");
  static_assert((std::ranges::input_range<Ranges> && ...), "map's inputs must be input ranges");
  using source = chunk_source<Args, Submit, stored_range<Ranges>...>;
  auto s = std::make_unique<source>(static_cast<std::size_t>(options.chunksize), std::move(submit),
                                    stored_range<Ranges>(std::forward<Ranges>(ranges))...);
  return flattened_map_range<map_range<source>>(map_range<source>(std::move(s), options));
}

}  // namespace detail
}  // namespace cofutures

// memory, cofutures:
//   --mode futures --n 1000000: bytes per pending future (with its promise),
//     from the RSS growth and from a counting operator new;
//   --mode map --n 10000000 --buffersize 1000: peak RSS of a thread-pool map
//     over a lazy range of n ints (it must stay flat).
#include "common.hpp"

#include <cofutures/cofutures.hpp>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <iterator>
#include <new>
#include <optional>
#include <vector>

namespace cf = cofutures;

namespace {
// Counts heap bytes; relaxed: a statistic, read after the threads it counts.
std::atomic<long> g_allocated{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocated.fetch_add(static_cast<long>(size), std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

/// 0, 1, ..., n-1 without storing them (std::views::iota is out: clang 14
/// cannot compile libstdc++ 12's <ranges> views).
class counting_range {
 public:
  class iterator {
   public:
    using value_type = long;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(long i) : m_i(i) {}
    long operator*() const { return m_i; }
    iterator& operator++() {
      ++m_i;
      return *this;
    }
    iterator operator++(int) { return iterator(m_i++); }
    bool operator==(const iterator&) const = default;

   private:
    long m_i = 0;
  };
  explicit counting_range(long n) : m_n(n) {}
  iterator begin() const { return iterator(0); }
  iterator end() const { return iterator(m_n); }

 private:
  long m_n;
};

void pending_futures(long n) {
  // The slots are allocated and touched first: only the states count.
  std::vector<std::optional<cf::promise<int>>> promises(static_cast<std::size_t>(n));
  std::vector<std::optional<cf::future<int>>> futures(static_cast<std::size_t>(n));
  long rss_before = bench::rss_bytes();
  long heap_before = g_allocated.load(std::memory_order_relaxed);
  bench::stopwatch clock;
  for (std::size_t i = 0; i < promises.size(); ++i) {
    promises[i].emplace();
    futures[i].emplace(promises[i]->get_future());
  }
  double seconds = clock.seconds();
  double rss = static_cast<double>(bench::rss_bytes() - rss_before) / static_cast<double>(n);
  double heap = static_cast<double>(g_allocated.load(std::memory_order_relaxed) - heap_before) / static_cast<double>(n);
  bench::check(!futures.back()->done(), "the futures are pending");
  bench::result("memory_future", "cofutures")
      .extra("bytes_per_future", rss)
      .extra("heap_bytes_per_future", heap)
      .print(seconds, n);
}

void map_rss(long n, long buffersize, long workers) {
  cf::thread_pool_executor pool(workers);
  auto trivial = [](long x) { return x + 1; };
  long rss_start = bench::rss_bytes();
  long rss_early = 0;
  long sum = 0, i = 0;
  bench::stopwatch clock;
  for (long r : pool.map(trivial, counting_range(n), cf::map_options{.buffersize = buffersize})) {
    sum += r;
    if (++i == n / 100) rss_early = bench::rss_bytes();  // after 1%: the steady state
  }
  double seconds = clock.seconds();
  bench::check(sum == n * (n + 1) / 2, "every input mapped once");
  constexpr double mib = 1024.0 * 1024.0;
  bench::result("memory_map", "cofutures")
      .extra("peak_rss_mib", static_cast<double>(bench::peak_rss_bytes()) / mib)
      .extra("start_rss_mib", static_cast<double>(rss_start) / mib)
      .extra("rss_growth_after_1pct_mib", static_cast<double>(bench::rss_bytes() - rss_early) / mib)
      .print(seconds, n);
}

}  // namespace

int main(int argc, char** argv) {
  bench::args args(argc, argv);
  const std::string mode = args.text("mode", "futures");
  if (mode == "map") {
    map_rss(args.number("n", 10000000), args.number("buffersize", 1000), args.number("workers", 2));
  } else {
    pending_futures(args.number("n", 1000000));
  }
}

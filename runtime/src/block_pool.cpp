#include <cofutures/detail/block_pool.hpp>

#include <pthread.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cofutures::detail {
namespace {

constexpr std::size_t class_step = pool_block_align;
/// A free block holds two links and its batch's count.
constexpr std::size_t min_block = 32;
/// Size class k holds blocks of k * class_step bytes.
constexpr std::size_t class_count = pool_block_max / class_step + 1;
constexpr std::size_t chunk_bytes = pool_chunk_bytes;
constexpr std::size_t chunk_header_bytes = 64;
/// Blocks moved between a thread's cache and the shared lists at once.
constexpr std::uint32_t batch_blocks = 64;
/// A thread's cache of one size class never holds this many.
constexpr std::uint32_t cache_max = 2 * batch_blocks;
/// Free blocks the shared lists may hold before a sweep looks for chunks
/// to unmap.
constexpr std::size_t min_sweep_bytes = std::size_t{8} << 20;

constexpr std::size_t class_of(std::size_t bytes) noexcept {
  return (std::max(bytes, min_block) + class_step - 1) / class_step;
}
constexpr std::size_t block_size(std::size_t cls) noexcept { return cls * class_step; }

struct free_block {
  free_block* next;        // the next block of its list
  free_block* next_batch;  // in the first block of a batch on the shared lists
  std::size_t count;       // likewise: how many blocks the batch holds
};
static_assert(sizeof(free_block) <= min_block);

/// At the start of every chunk (which is aligned to its size, so a block
/// finds it by masking its address).
struct chunk {
  std::size_t carved = 0;     // blocks ever cut from it
  std::size_t free_seen = 0;  // a sweep's count of its blocks on the shared lists
};
static_assert(sizeof(chunk) <= chunk_header_bytes);

chunk* chunk_of(const void* block) noexcept {
  return reinterpret_cast<chunk*>(reinterpret_cast<std::uintptr_t>(block) & ~(chunk_bytes - 1));
}

struct block_list {
  free_block* head = nullptr;
  std::size_t count = 0;
};

/// The batches of free blocks every thread may take from, and the chunks.
class shared_lists {
 public:
  shared_lists() {
    // A child forked while another thread held the lock would never get
    // it: fork waits for it, and both sides release it.
    pthread_atfork([] { instance().m_lock.lock(); }, [] { instance().m_lock.unlock(); },
                   [] { instance().m_lock.unlock(); });
    // A thread's cache goes back at its exit (flush_at_exit). A key's
    // destructor, not a thread_local object's: registering one of those
    // takes the dynamic linker's lock, which a child forked while another
    // thread held it would wait for forever.
    if (pthread_key_create(&m_exit_key, flush_at_exit) != 0) throw std::bad_alloc();
  }

  static shared_lists& instance() {
    // Never destroyed: blocks are freed by static destructors and by
    // threads exiting after main has returned. Made before main
    // (g_lists_made below), so that no fork can come while one thread is
    // making it: the child would wait for the guard for ever.
    static shared_lists* lists = new shared_lists;
    return *lists;
  }

  /// Arms flush_at_exit for the calling thread.
  void arm_exit_flush(void* cache) noexcept { pthread_setspecific(m_exit_key, cache); }

  /// A batch of free blocks of class `cls`, at least one.
  block_list take(std::size_t cls) {
    std::lock_guard guard(m_lock);  // the lists and chunks are shared by every thread
    if (free_block* b = m_batches[cls]) {
      m_batches[cls] = b->next_batch;
      m_free_bytes -= b->count * block_size(cls);
      return {b, b->count};
    }
    return carve(cls);
  }

  /// Takes back `blocks` (a list ending in null) of class `cls`.
  void give(std::size_t cls, block_list blocks) noexcept {
    std::lock_guard guard(m_lock);  // as in take()
    push_batch(cls, blocks);
    if (m_free_bytes >= m_sweep_at) {
      sweep();
      m_sweep_at = std::max(min_sweep_bytes, m_free_bytes + m_free_bytes / 2);
    }
  }

  pool_statistics stats() {
    std::lock_guard guard(m_lock);  // as in take()
    return {m_chunks.size() * chunk_bytes, m_free_bytes};
  }

 private:
  void push_batch(std::size_t cls, block_list blocks) noexcept {
    blocks.head->count = blocks.count;
    blocks.head->next_batch = m_batches[cls];
    m_batches[cls] = blocks.head;
    m_free_bytes += blocks.count * block_size(cls);
  }

  block_list carve(std::size_t cls) {
    const std::size_t size = block_size(cls);
    if (static_cast<std::size_t>(m_end - m_bump) < size) map_chunk();
    const std::size_t n = std::min<std::size_t>(batch_blocks, static_cast<std::size_t>(m_end - m_bump) / size);
    auto* first = reinterpret_cast<free_block*>(m_bump);
    for (std::size_t i = 0; i < n; ++i) {
      auto* b = reinterpret_cast<free_block*>(m_bump + i * size);
      b->next = i + 1 < n ? reinterpret_cast<free_block*>(m_bump + (i + 1) * size) : nullptr;
    }
    m_bump += n * size;
    m_current->carved += n;
    return {first, n};
  }

  void map_chunk() {
    m_chunks.reserve(m_chunks.size() + 1);  // first: a throw then leaves no mapping behind
    // Twice the size, then trimmed to the aligned chunk inside it.
    void* raw = ::mmap(nullptr, 2 * chunk_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const auto aligned = (start + chunk_bytes - 1) & ~(chunk_bytes - 1);
    if (aligned > start) ::munmap(raw, aligned - start);
    const auto tail = start + 2 * chunk_bytes - (aligned + chunk_bytes);
    if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + chunk_bytes), tail);
    char* base = reinterpret_cast<char*>(aligned);
    // Only once a program holds more than one chunk of blocks: a huge page
    // is 2 MiB of memory as soon as one block in it is touched. Failing
    // (transparent huge pages disabled) leaves small pages.
    if (!m_chunks.empty()) ::madvise(base, chunk_bytes, MADV_HUGEPAGE);
    m_current = new (base) chunk{};
    m_chunks.push_back(m_current);
    m_bump = base + chunk_header_bytes;
    m_end = base + chunk_bytes;
  }

  /// Unmaps the chunks whose every block is on the shared lists, but the
  /// one blocks are being carved from.
  void sweep() noexcept {
    for (chunk* c : m_chunks) c->free_seen = 0;
    for (free_block* batch : m_batches) {
      for (; batch != nullptr; batch = batch->next_batch) {
        for (free_block* b = batch; b != nullptr; b = b->next) ++chunk_of(b)->free_seen;
      }
    }
    auto idle = [this](const chunk* c) { return c != m_current && c->free_seen == c->carved; };
    if (std::none_of(m_chunks.begin(), m_chunks.end(), idle)) return;
    // The batches again, without the blocks of idle chunks.
    m_free_bytes = 0;
    for (std::size_t cls = 0; cls < class_count; ++cls) {
      free_block* batch = std::exchange(m_batches[cls], nullptr);
      block_list kept;
      while (batch != nullptr) {
        free_block* next_batch = batch->next_batch;
        for (free_block* b = batch; b != nullptr;) {
          free_block* next = b->next;
          if (!idle(chunk_of(b))) {
            b->next = kept.head;
            kept.head = b;
            if (++kept.count == batch_blocks) push_batch(cls, std::exchange(kept, {}));
          }
          b = next;
        }
        batch = next_batch;
      }
      if (kept.count > 0) push_batch(cls, kept);
    }
    std::size_t live = 0;
    for (chunk* c : m_chunks) {
      if (idle(c)) {
        ::munmap(c, chunk_bytes);
      } else {
        m_chunks[live++] = c;
      }
    }
    m_chunks.resize(live);
  }

  static void flush_at_exit(void* cache) noexcept;

  pthread_key_t m_exit_key{};
  std::mutex m_lock;
  std::array<free_block*, class_count> m_batches{};  // per class, batches linked by next_batch
  std::size_t m_free_bytes = 0;                      // in m_batches
  std::size_t m_sweep_at = min_sweep_bytes;
  std::vector<chunk*> m_chunks;
  chunk* m_current = nullptr;  // the chunk blocks are carved from
  char* m_bump = nullptr;      // its first byte not yet carved
  char* m_end = nullptr;
};

/// A thread's free blocks. Plain data, so reaching it costs no
/// initialization check.
struct thread_cache {
  enum class stage : unsigned char { fresh, armed, retired };
  std::array<free_block*, class_count> head;
  std::array<std::uint32_t, class_count> count;
  stage state;
};
constinit thread_local thread_cache t_cache{};

[[maybe_unused]] const bool g_lists_made = (shared_lists::instance(), true);

/// Gives a thread's cache to the shared lists when the thread exits (after
/// its thread_local destructors, which may free blocks into it).
void shared_lists::flush_at_exit(void* p) noexcept {
  thread_cache& cache = *static_cast<thread_cache*>(p);
  // Blocks freed later in this thread's exit (by other key destructors)
  // go straight to the shared lists.
  cache.state = thread_cache::stage::retired;
  for (std::size_t cls = 0; cls < class_count; ++cls) {
    if (cache.count[cls] > 0) instance().give(cls, {cache.head[cls], cache.count[cls]});
    cache.head[cls] = nullptr;
    cache.count[cls] = 0;
  }
}

/// Whether this thread may keep blocks in its cache: not once its cache
/// has been flushed at its exit.
bool cache_usable(thread_cache& cache) noexcept {
  if (cache.state == thread_cache::stage::armed) return true;
  if (cache.state == thread_cache::stage::retired) return false;
  shared_lists::instance().arm_exit_flush(&cache);  // the first touch: flushed at this thread's exit
  cache.state = thread_cache::stage::armed;
  return true;
}

void* refill(std::size_t cls) {
  thread_cache& cache = t_cache;
  block_list got = shared_lists::instance().take(cls);
  free_block* first = got.head;
  if (!cache_usable(cache)) {
    if (got.count > 1) shared_lists::instance().give(cls, {first->next, got.count - 1});
    return first;
  }
  cache.head[cls] = first->next;
  cache.count[cls] = static_cast<std::uint32_t>(got.count - 1);
  return first;
}

/// Keeps the batch_blocks most recently freed, gives the older ones.
void spill(thread_cache& cache, std::size_t cls) noexcept {
  free_block* last_kept = cache.head[cls];
  for (std::uint32_t i = 1; i < batch_blocks; ++i) last_kept = last_kept->next;
  block_list older{last_kept->next, cache.count[cls] - batch_blocks};
  last_kept->next = nullptr;
  cache.count[cls] = batch_blocks;
  shared_lists::instance().give(cls, older);
}

}  // namespace

void* pool_allocate(std::size_t bytes) {
  if (bytes > pool_block_max) {
    throw std::length_error("pool_allocate: " + std::to_string(bytes) + " bytes is over the pool's largest block");
  }
  const std::size_t cls = class_of(bytes);
  thread_cache& cache = t_cache;
  if (free_block* b = cache.head[cls]) {
    cache.head[cls] = b->next;
    --cache.count[cls];
    return b;
  }
  return refill(cls);
}

void pool_deallocate(void* block, std::size_t bytes) noexcept {
  const std::size_t cls = class_of(bytes);
  thread_cache& cache = t_cache;
  auto* b = static_cast<free_block*>(block);
  if (cache.count[cls] == 0 && !cache_usable(cache)) {
    b->next = nullptr;
    shared_lists::instance().give(cls, {b, 1});
    return;
  }
  b->next = cache.head[cls];
  cache.head[cls] = b;
  if (++cache.count[cls] == cache_max) spill(cache, cls);
}

pool_statistics pool_stats() { return shared_lists::instance().stats(); }

}  // namespace cofutures::detail

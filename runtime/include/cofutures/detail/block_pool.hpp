#pragma once
// Memory for the small objects made once per task (a thread-pool task and
// its future share one such block), from free blocks kept per thread.
//
// Why not malloc: a million pending tasks are 160 MB of blocks, and each
// 4 KiB page of them costs a page fault when first touched. On the 2-vCPU
// VM the bench runs on, submitting and awaiting 1e6 tasks spent 14% of its
// CPU time in exc_page_fault and 14% in _int_malloc. The pool carves blocks
// from 2 MiB chunks that the kernel backs with one huge page each
// (MADV_HUGEPAGE; the first chunk stays in small pages, so a program with
// few tasks pays only for the pages it touches).
//
// - A freed block goes to the freeing thread's cache and is reused by that
//   thread with no lock; a cache holding two batches hands one to the
//   shared lists (one lock per batch), and an empty cache takes one.
// - A thread's cache goes to the shared lists when the thread exits.
// - A chunk whose blocks are all back in the shared lists is unmapped at
//   the next sweep (run when the shared lists have grown by half of what
//   they held after the last one), so a burst of tasks does not keep its
//   memory for the life of the process.
//
// Under AddressSanitizer or ThreadSanitizer, block_allocator uses plain
// new instead, so that those tools still see each object's life: a block
// reused through the pool would hide a use after free, and the pool's lock
// would order threads that the code itself does not. The pool's own
// functions stay available (its tests call them under both).

#include <cstddef>
#include <memory>

namespace cofutures::detail {

/// The largest block the pool gives out; larger objects use new.
inline constexpr std::size_t pool_block_max = 256;
/// Every block is aligned to this.
inline constexpr std::size_t pool_block_align = 16;
/// Blocks are cut from chunks of this size, aligned to it.
inline constexpr std::size_t pool_chunk_bytes = std::size_t{2} << 20;  // one huge page

/// A block of at least `bytes` (1 to pool_block_max) bytes.
/// @throws std::bad_alloc when no memory can be mapped.
void* pool_allocate(std::size_t bytes);
/// Gives back a block that pool_allocate(bytes) returned, from any thread.
/// As with free(), every use of the object must happen before the call;
/// the block reaches another thread only through the pool's lock.
void pool_deallocate(void* block, std::size_t bytes) noexcept;

/// What the pool holds, for tests and diagnostics.
struct pool_statistics {
  std::size_t mapped_bytes = 0;       // chunks mapped from the system
  std::size_t shared_free_bytes = 0;  // free blocks in the shared lists (not in thread caches)
};
pool_statistics pool_stats();

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool pool_checked_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool pool_checked_build = true;
#else
inline constexpr bool pool_checked_build = false;
#endif
#else
inline constexpr bool pool_checked_build = false;
#endif

/// A standard allocator that takes single objects of up to pool_block_max
/// bytes from the pool, and anything else from new. Stateless: any two
/// compare equal, and memory from one may be freed through another.
template <class T>
struct block_allocator {
  using value_type = T;

  block_allocator() noexcept = default;
  template <class U>
  block_allocator(const block_allocator<U>&) noexcept {}

  static constexpr bool pooled = !pool_checked_build && sizeof(T) <= pool_block_max && alignof(T) <= pool_block_align;

  T* allocate(std::size_t n) {
    if constexpr (pooled) {
      if (n == 1) return static_cast<T*>(pool_allocate(sizeof(T)));
    }
    return std::allocator<T>{}.allocate(n);
  }

  void deallocate(T* p, std::size_t n) noexcept {
    if constexpr (pooled) {
      if (n == 1) return pool_deallocate(p, sizeof(T));
    }
    std::allocator<T>{}.deallocate(p, n);
  }

  template <class U>
  bool operator==(const block_allocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace cofutures::detail

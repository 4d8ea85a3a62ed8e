#pragma once
// An insert-only set of non-null pointers in one flat table (open
// addressing, linear probing, at most half full). What deduplicating a
// range of futures needs: std::unordered_set allocated a node per insert,
// most of the cost of a wait over a million futures.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cofutures::detail {

class pointer_set {
 public:
  /// Room for `expected` pointers without growing.
  explicit pointer_set(std::size_t expected = 0) : m_slots(slots_for(expected), nullptr) {}

  /// Adds p (not null); returns whether it was new.
  bool insert(const void* p) {
    if ((m_size + 1) * 2 > m_slots.size()) rehash(m_slots.size() * 2);
    return place(p);
  }
  std::size_t size() const noexcept { return m_size; }
  /// Asks the cache for p's first slot: a later insert(p) then need not
  /// wait for it (the table is as large as the set, so slots are misses).
  void prefetch(const void* p) const noexcept { __builtin_prefetch(&m_slots[hash(p) & (m_slots.size() - 1)]); }

 private:
  static std::size_t slots_for(std::size_t expected) noexcept {
    std::size_t n = 16;
    while (n < expected * 2) n *= 2;
    return n;
  }
  static std::size_t hash(const void* p) noexcept {
    // Heap pointers share their low and high bits: mix them (murmur3's finalizer).
    auto x = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(p));
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return static_cast<std::size_t>(x);
  }
  bool place(const void* p) {
    const std::size_t mask = m_slots.size() - 1;  // the size is a power of two
    for (std::size_t i = hash(p) & mask;; i = (i + 1) & mask) {
      if (m_slots[i] == p) return false;
      if (m_slots[i] == nullptr) {
        m_slots[i] = p;
        ++m_size;
        return true;
      }
    }
  }
  void rehash(std::size_t slots) {
    std::vector<const void*> old(slots, nullptr);
    old.swap(m_slots);
    m_size = 0;
    for (const void* p : old)
      if (p) place(p);
  }

  std::vector<const void*> m_slots;  // nullptr: free
  std::size_t m_size = 0;
};

}  // namespace cofutures::detail

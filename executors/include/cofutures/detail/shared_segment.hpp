#pragma once
// A named POSIX shared-memory segment (shm_open + mmap) that a manager
// carves objects out of. Handles name it and an offset, so a worker
// process — spawned, not forked — maps the same memory by name.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace cofutures::detail {

class shared_segment {
 public:
  /// Creates a fresh segment of `size` bytes (owner: unlinks the name when
  /// destroyed). @throws std::system_error.
  static std::shared_ptr<shared_segment> create(std::size_t size);
  /// Maps an existing segment by name (cached per process).
  /// @throws std::system_error if it does not exist (its manager is gone).
  static std::shared_ptr<shared_segment> attach(const std::string& name);

  ~shared_segment();
  shared_segment(const shared_segment&) = delete;
  shared_segment& operator=(const shared_segment&) = delete;

  const std::string& name() const noexcept { return m_name; }
  /// The object at `offset`. @throws std::out_of_range past the end.
  void* at(std::uint32_t offset, std::size_t size) const;
  /// Reserves `size` bytes aligned to `align`; nullopt-like 0 when full.
  /// Returns the offset (never 0: the header lives there).
  std::uint32_t allocate(std::size_t size, std::size_t align);
  /// Drops the name (no new attachments); the memory lives while mapped.
  void unlink() noexcept;

 private:
  shared_segment(std::string name, void* base, std::size_t size, bool owner)
      : m_name(std::move(name)), m_base(base), m_size(size), m_owner(owner) {}

  std::string m_name;
  void* m_base;
  std::size_t m_size;
  bool m_owner;
};

}  // namespace cofutures::detail

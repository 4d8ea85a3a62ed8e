#include <cofutures/detail/shared_segment.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <new>
#include <stdexcept>
#include <system_error>

namespace cofutures::detail {
namespace {

// At offset 0 of every segment.
struct segment_header {
  std::uint64_t size;
  std::atomic<std::uint32_t> used;  // bump pointer, shared by every process mapping it
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "the bump pointer must be address-free");

std::atomic<unsigned> g_counter{0};  // relaxed: only makes names unique

struct attach_cache {
  std::mutex mutex;  // tasks may attach from several threads
  std::map<std::string, std::shared_ptr<shared_segment>> segments;
};
attach_cache& cache() {
  static attach_cache c;
  return c;
}

[[noreturn]] void fail(const char* what, const std::string& name) {
  throw std::system_error(errno, std::generic_category(), std::string(what) + " " + name);
}

void* map_fd(int fd, std::size_t size, const std::string& name) {
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int error = errno;
  ::close(fd);
  if (base == MAP_FAILED) {
    errno = error;
    fail("mmap of shared memory", name);
  }
  return base;
}

}  // namespace

std::shared_ptr<shared_segment> shared_segment::create(std::size_t size) {
  auto name = "/cofutures-" + std::to_string(::getpid()) + "-" +
              std::to_string(g_counter.fetch_add(1, std::memory_order_relaxed));
  int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail("shm_open", name);
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    int error = errno;
    ::close(fd);
    ::shm_unlink(name.c_str());
    errno = error;
    fail("ftruncate of shared memory", name);
  }
  void* base = map_fd(fd, size, name);
  auto* header = new (base) segment_header{size, {}};
  header->used.store(sizeof(segment_header), std::memory_order_relaxed);  // relaxed: not yet shared
  return std::shared_ptr<shared_segment>(new shared_segment(name, base, size, true));
}

std::shared_ptr<shared_segment> shared_segment::attach(const std::string& name) {
  auto& c = cache();
  std::lock_guard lock(c.mutex);  // see attach_cache
  if (auto it = c.segments.find(name); it != c.segments.end()) return it->second;
  int fd = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) fail("shm_open (was the manager destroyed?)", name);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(segment_header))) {
    ::close(fd);
    fail("fstat of shared memory", name);
  }
  void* base = map_fd(fd, static_cast<std::size_t>(st.st_size), name);
  std::shared_ptr<shared_segment> s(new shared_segment(name, base, static_cast<std::size_t>(st.st_size), false));
  c.segments.emplace(name, s);  // kept: a worker reuses the mapping for every task
  return s;
}

shared_segment::~shared_segment() {
  if (m_owner) unlink();
  ::munmap(m_base, m_size);
}

void shared_segment::unlink() noexcept {
  if (m_owner) ::shm_unlink(m_name.c_str());
  m_owner = false;
}

void* shared_segment::at(std::uint32_t offset, std::size_t size) const {
  if (offset < sizeof(segment_header) || offset + size > m_size) {
    throw std::out_of_range("shared object at " + std::to_string(offset) + " is outside segment " + m_name);
  }
  return static_cast<char*>(m_base) + offset;
}

std::uint32_t shared_segment::allocate(std::size_t size, std::size_t align) {
  auto* header = static_cast<segment_header*>(m_base);
  // relaxed: the bump pointer only hands out disjoint ranges; the objects
  // are published to other processes through the task messages after.
  auto used = header->used.load(std::memory_order_relaxed);
  for (;;) {
    std::size_t start = (used + align - 1) / align * align;
    if (start + size > m_size) return 0;
    if (header->used.compare_exchange_weak(used, static_cast<std::uint32_t>(start + size), std::memory_order_relaxed)) {
      return static_cast<std::uint32_t>(start);
    }
  }
}

}  // namespace cofutures::detail

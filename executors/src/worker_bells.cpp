#include "detail/worker_bells.hpp"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace cofutures::detail {

namespace {

constexpr std::uint32_t bell_rung = 1;      // the pipe got bytes since the worker last looked
constexpr std::uint32_t bell_sleeping = 2;  // the worker waits, or is about to, on the futex
constexpr std::size_t line = 64;            // one slot per cache line: each has its own worker

static_assert(std::atomic<std::uint32_t>::is_always_lock_free && sizeof(std::atomic<std::uint32_t>) == 4,
              "the words are shared between processes: lock-free, address-free, plain 32-bit futex words");

std::uint32_t bit_of(int slot) noexcept { return 1u << (static_cast<unsigned>(slot) % 32); }

[[noreturn]] void throw_errno(int error, const char* what) {
  throw std::system_error(error, std::generic_category(), std::string("worker bells: ") + what);
}

}  // namespace

// A new memfd's bytes are zero: every word starts at 0, nobody rung or asleep.
struct bell_page {
  alignas(line) std::atomic<std::uint32_t> wake_word;  // the futex every worker sleeps on
  std::uint32_t slots;                                 // written before any worker starts

  std::atomic<std::uint32_t>& slot(int i) noexcept {
    return *std::launder(reinterpret_cast<std::atomic<std::uint32_t>*>(reinterpret_cast<char*>(this) + line +
                                                                        static_cast<std::size_t>(i) * line));
  }
  static std::size_t bytes_for(std::size_t slots) noexcept { return line + slots * line; }
};

worker_bells::worker_bells(std::size_t slots) {
  m_fd = ::memfd_create("cofutures-worker-bells", MFD_CLOEXEC);
  if (m_fd < 0) throw_errno(errno, "memfd_create");
  m_bytes = bell_page::bytes_for(slots);
  void* mapped = MAP_FAILED;
  if (::ftruncate(m_fd, static_cast<off_t>(m_bytes)) == 0) {
    mapped = ::mmap(nullptr, m_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd, 0);
  }
  if (mapped == MAP_FAILED) {
    int error = errno;
    ::close(m_fd);
    throw_errno(error, "mapping the page");
  }
  m_page = static_cast<bell_page*>(mapped);
  m_page->slots = static_cast<std::uint32_t>(slots);
  // Oldest freed first (a queue read from the back): a slot is used again
  // only after every other one, long after its last worker was reaped.
  for (std::size_t i = slots; i-- > 0;) m_free.push_back(static_cast<int>(i));
}

worker_bells::~worker_bells() {
  ::munmap(m_page, m_bytes);
  ::close(m_fd);
}

int worker_bells::acquire() {
  if (m_free.empty()) throw std::runtime_error("no free slot for another worker's wake-up word");
  int slot = m_free.back();
  m_free.pop_back();
  m_page->slot(slot).store(0, std::memory_order_relaxed);  // relaxed: no worker has this slot until it starts
  return slot;
}

void worker_bells::release(int slot) noexcept { m_free.insert(m_free.begin(), slot); }

bool worker_bells::asleep(int slot) const noexcept {
  return (m_page->slot(slot).load(std::memory_order_relaxed) & bell_sleeping) != 0;  // relaxed: a snapshot
}

bool worker_bells::ring(int slot) noexcept {
  // seq_cst: ordered against the worker's fetch_or(sleeping) on the same
  // word, and before wake_sleepers' increment of the futex word: either
  // the worker sees rung before it sleeps, or this sees it asleep and
  // wakes it (see worker_bell::wait).
  auto before = m_page->slot(slot).fetch_or(bell_rung, std::memory_order_seq_cst);
  if ((before & bell_sleeping) == 0) return false;
  bool first = m_to_wake == 0;
  m_to_wake |= bit_of(slot);
  return first;
}

void worker_bells::wake_sleepers() noexcept {
  if (m_to_wake == 0) return;
  // seq_cst: after the rings above; a worker that read the futex word
  // before it changed then cannot sleep through this wake (its wait fails).
  m_page->wake_word.fetch_add(1, std::memory_order_seq_cst);
  // One call for all: it returns to this thread before any woken worker
  // runs here (see the header). Not FUTEX_PRIVATE: the word is shared
  // between processes.
  ::syscall(SYS_futex, &m_page->wake_word, FUTEX_WAKE_BITSET, INT_MAX, nullptr, nullptr, m_to_wake);
  m_to_wake = 0;
}

worker_bell::worker_bell(int fd, int slot) : m_slot(slot) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(errno, "fstat");
  m_bytes = static_cast<std::size_t>(st.st_size);
  void* mapped = ::mmap(nullptr, m_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapped == MAP_FAILED) throw_errno(errno, "mapping the page");
  m_page = static_cast<bell_page*>(mapped);
  if (slot < 0 || m_bytes < bell_page::bytes_for(static_cast<std::size_t>(slot) + 1)) {
    ::munmap(mapped, m_bytes);
    throw std::runtime_error("worker bells: slot " + std::to_string(slot) + " is not in the page");
  }
}

worker_bell::~worker_bell() { ::munmap(m_page, m_bytes); }

void worker_bell::wait() {
  auto& word = m_page->slot(m_slot);
  for (;;) {
    // Read before announcing the sleep: a wake after the announcement
    // changes the futex word first, and the wait below then returns at once.
    auto seen = m_page->wake_word.load(std::memory_order_seq_cst);  // seq_cst: see worker_bells::ring
    auto before = word.fetch_or(bell_sleeping, std::memory_order_seq_cst);
    if (before & bell_rung) {
      // Both flags off: the caller reads the pipe next, which holds every
      // byte rung for so far.
      word.store(0, std::memory_order_seq_cst);
      return;
    }
    // EAGAIN (the word moved on), EINTR, a wake for a worker sharing this
    // bit: all go round again.
    ::syscall(SYS_futex, &m_page->wake_word, FUTEX_WAIT_BITSET, seen, nullptr, nullptr, bit_of(m_slot));
  }
}

}  // namespace cofutures::detail

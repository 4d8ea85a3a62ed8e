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

constexpr std::uint32_t bell_rung = 1;      // records were put in the ring since the worker last looked
constexpr std::uint32_t bell_sleeping = 2;  // the worker waits, or is about to, on the futex
constexpr std::uint32_t bell_closed = 4;    // the manager is done with this worker
constexpr std::size_t line = 64;
constexpr std::size_t ring_bytes = 32 * 1024;  // a power of two: see task_ring

// A slot: the bell word on a line of its own (both sides write it), the
// ring's positions, the lane's reply (lane_reply.hpp), then the ring's bytes.
struct slot_layout {
  alignas(line) std::atomic<std::uint32_t> bell;
  task_ring_positions positions;
  lane_reply lane;
};
constexpr std::size_t slot_bytes = sizeof(slot_layout) + ring_bytes;
static_assert(sizeof(slot_layout) % line == 0 && slot_bytes % line == 0);

static_assert(std::atomic<std::uint32_t>::is_always_lock_free && sizeof(std::atomic<std::uint32_t>) == 4,
              "the words are shared between processes: lock-free, address-free, plain 32-bit futex words");

std::uint32_t bit_of(int slot) noexcept { return 1u << (static_cast<unsigned>(slot) % 32); }

[[noreturn]] void throw_errno(int error, const char* what) {
  throw std::system_error(error, std::generic_category(), std::string("worker bells: ") + what);
}

}  // namespace

// A new memfd's bytes are zero: every word and position starts at 0.
struct bell_page {
  alignas(line) std::atomic<std::uint32_t> wake_word;  // the futex every worker sleeps on
  alignas(line) std::atomic<std::uint32_t> watching;   // parent threads spinning for a lane reply
  static constexpr std::size_t header_bytes = 2 * line;

  slot_layout& slot(int i) noexcept {
    return *std::launder(reinterpret_cast<slot_layout*>(reinterpret_cast<char*>(this) + header_bytes +
                                                        static_cast<std::size_t>(i) * slot_bytes));
  }
  task_ring ring(int i) noexcept {
    auto& s = slot(i);
    return task_ring(s.positions, reinterpret_cast<char*>(&s) + sizeof(slot_layout), ring_bytes);
  }
  static std::size_t bytes_for(std::size_t slots) noexcept { return header_bytes + slots * slot_bytes; }
};
static_assert(sizeof(bell_page) <= bell_page::header_bytes);

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
    throw_errno(error, "mapping the memory");
  }
  m_page = static_cast<bell_page*>(mapped);
  // Lowest first, and a freed slot before any other: the pages of slots
  // never used are never touched.
  for (std::size_t i = slots; i-- > 0;) m_free.push_back(static_cast<int>(i));
}

worker_bells::~worker_bells() {
  ::munmap(m_page, m_bytes);
  ::close(m_fd);
}

int worker_bells::acquire() {
  if (m_free.empty()) throw std::runtime_error("no free slot for another worker's task ring");
  int slot = m_free.back();
  m_free.pop_back();
  // relaxed: no process has this slot until the worker is started, after this.
  auto& s = m_page->slot(slot);
  s.bell.store(0, std::memory_order_relaxed);
  s.positions.tail.store(0, std::memory_order_relaxed);
  s.positions.head.store(0, std::memory_order_relaxed);
  s.lane.tag.store(0, std::memory_order_relaxed);
  return slot;
}

void worker_bells::release(int slot) noexcept { m_free.push_back(slot); }

task_ring worker_bells::ring_of(int slot) noexcept { return m_page->ring(slot); }

lane_reply& worker_bells::lane_reply_of(int slot) noexcept { return m_page->slot(slot).lane; }

std::atomic<std::uint32_t>& worker_bells::watching() noexcept { return m_page->watching; }

void worker_bells::ring_now(int slot) noexcept {
  // seq_cst: as ring(), against the worker's announcement of its sleep.
  auto before = m_page->slot(slot).bell.fetch_or(bell_rung, std::memory_order_seq_cst);
  if ((before & bell_sleeping) == 0) return;  // awake: it finds the record as it looks at its ring
  m_page->wake_word.fetch_add(1, std::memory_order_seq_cst);  // seq_cst: as wake_sleepers
  ::syscall(SYS_futex, &m_page->wake_word, FUTEX_WAKE_BITSET, INT_MAX, nullptr, nullptr, bit_of(slot));
}

bool worker_bells::asleep(int slot) const noexcept {
  return (m_page->slot(slot).bell.load(std::memory_order_relaxed) & bell_sleeping) != 0;  // relaxed: a snapshot
}

bool worker_bells::ring(int slot) noexcept {
  // seq_cst: ordered against the worker's fetch_or(sleeping) on the same
  // word, and before wake_sleepers' increment of the futex word: either
  // the worker sees rung before it sleeps, or this sees it asleep and
  // wakes it (see worker_bell::wait). Also a release of the ring's records.
  auto before = m_page->slot(slot).bell.fetch_or(bell_rung, std::memory_order_seq_cst);
  if ((before & bell_sleeping) == 0) return false;
  bool first = m_to_wake == 0;
  m_to_wake |= bit_of(slot);
  return first;
}

void worker_bells::close(int slot) noexcept {
  auto before = m_page->slot(slot).bell.fetch_or(bell_rung | bell_closed, std::memory_order_seq_cst);  // as ring
  if (before & bell_sleeping) m_to_wake |= bit_of(slot);
  wake_sleepers();  // a wake already arranged for others finds nothing left to do
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
  if (slot < 0 || m_bytes < bell_page::bytes_for(static_cast<std::size_t>(slot) + 1)) {
    throw std::runtime_error("worker bells: slot " + std::to_string(slot) + " is not in the memory");
  }
  void* mapped = ::mmap(nullptr, m_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapped == MAP_FAILED) throw_errno(errno, "mapping the memory");
  m_page = static_cast<bell_page*>(mapped);
}

worker_bell::~worker_bell() { ::munmap(m_page, m_bytes); }

task_ring worker_bell::ring() noexcept { return m_page->ring(m_slot); }

lane_reply& worker_bell::lane() noexcept { return m_page->slot(m_slot).lane; }

bool worker_bell::parent_watching() const noexcept {
  // seq_cst: after the reply's publication (lane_reply::publish).
  return m_page->watching.load(std::memory_order_seq_cst) != 0;
}

void worker_bell::wait() {
  auto& word = m_page->slot(m_slot).bell;
  for (;;) {
    // Read before announcing the sleep: a wake after the announcement
    // changes the futex word first, and the wait below then returns at once.
    auto seen = m_page->wake_word.load(std::memory_order_seq_cst);  // seq_cst: see worker_bells::ring
    auto before = word.fetch_or(bell_sleeping, std::memory_order_seq_cst);
    if (before & (bell_rung | bell_closed)) {
      // Awake again, the bell answered. The caller looks at the ring next,
      // which holds every record rung for so far (a ring after this
      // fetch_and is for records this look may already see: harmless).
      word.fetch_and(~(bell_rung | bell_sleeping), std::memory_order_seq_cst);
      m_closed = (before & bell_closed) != 0;
      return;
    }
    // EAGAIN (the word moved on), EINTR, a wake for a worker sharing this
    // bit: all go round again.
    ::syscall(SYS_futex, &m_page->wake_word, FUTEX_WAIT_BITSET, seen, nullptr, nullptr, bit_of(m_slot));
  }
}

}  // namespace cofutures::detail

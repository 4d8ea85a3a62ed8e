// The pool of small blocks behind every thread-pool task and its future
// (detail/block_pool.hpp): blocks are whole, aligned and never handed out
// twice, also when freed on other threads; a thread's cached blocks go
// back when it exits; a child forked amid other threads' use can allocate;
// chunks whose blocks are all free are unmapped, and chunks with a live
// block are not.
#include <cofutures/detail/block_pool.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <latch>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace detail = cofutures::detail;

namespace {

constexpr std::size_t task_size = 160;  // a thread-pool task of a lambda returning int
constexpr std::size_t mib = std::size_t{1} << 20;

/// Writes `id` over the whole block.
void stamp(void* block, std::size_t bytes, std::uint64_t id) {
  auto* words = static_cast<std::uint64_t*>(block);
  for (std::size_t i = 0; i < bytes / sizeof(id); ++i) words[i] = id;
}

/// Whether the whole block still holds `id`.
bool stamped(const void* block, std::size_t bytes, std::uint64_t id) {
  const auto* words = static_cast<const std::uint64_t*>(block);
  for (std::size_t i = 0; i < bytes / sizeof(id); ++i) {
    if (words[i] != id) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("pool blocks of every size are aligned and keep what was written in them", "[block_pool]") {
  struct held {
    void* block;
    std::size_t bytes;
  };
  std::vector<held> blocks;
  std::uint64_t id = 0;
  for (int round = 0; round < 200; ++round) {  // enough to take several batches of each size
    for (std::size_t bytes = 8; bytes <= detail::pool_block_max; bytes += 8) {
      void* p = detail::pool_allocate(bytes);
      REQUIRE(reinterpret_cast<std::uintptr_t>(p) % detail::pool_block_align == 0);
      stamp(p, bytes, ++id);
      blocks.push_back({p, bytes});
    }
  }
  id = 0;
  for (const auto& b : blocks) REQUIRE(stamped(b.block, b.bytes, ++id));  // no two overlap
  for (const auto& b : blocks) detail::pool_deallocate(b.block, b.bytes);
}

TEST_CASE("a freed pool block is the next one its thread gets", "[block_pool]") {
  void* first = detail::pool_allocate(task_size);
  detail::pool_deallocate(first, task_size);
  void* again = detail::pool_allocate(task_size);
  CHECK(again == first);
  detail::pool_deallocate(again, task_size);
}

TEST_CASE("pool blocks freed on another thread are reused and never held twice", "[block_pool]") {
  // One thread allocates rounds of blocks and stamps them; another checks
  // and frees them while the first goes on. A block given out while still
  // held would be stamped over before its check.
  constexpr int rounds = 300;
  constexpr int per_round = 1000;
  std::mutex lock;
  std::condition_variable ready;
  std::deque<std::vector<void*>> handed;  // guarded by lock
  bool finished = false;                  // likewise
  long bad = 0;
  long checked = 0;
  std::thread freer([&] {
    std::uint64_t expected = 0;
    for (;;) {
      std::vector<void*> round;
      {
        std::unique_lock guard(lock);
        ready.wait(guard, [&] { return !handed.empty() || finished; });
        if (handed.empty()) return;
        round = std::move(handed.front());
        handed.pop_front();
      }
      for (void* p : round) {
        if (!stamped(p, task_size, ++expected)) ++bad;
        ++checked;
        detail::pool_deallocate(p, task_size);
      }
    }
  });
  std::uint64_t id = 0;
  for (int r = 0; r < rounds; ++r) {
    std::vector<void*> round;
    for (int i = 0; i < per_round; ++i) {
      void* p = detail::pool_allocate(task_size);
      stamp(p, task_size, ++id);
      round.push_back(p);
    }
    std::lock_guard guard(lock);
    handed.push_back(std::move(round));
    ready.notify_one();
  }
  {
    std::lock_guard guard(lock);
    finished = true;
    ready.notify_one();
  }
  freer.join();
  CHECK(checked == long{rounds} * per_round);
  CHECK(bad == 0);
}

TEST_CASE("a thread's cached pool blocks go back when it exits", "[block_pool]") {
  constexpr int count = 50;  // fewer than a thread caches of one size
  std::vector<void*> blocks;
  for (int i = 0; i < count; ++i) blocks.push_back(detail::pool_allocate(task_size));
  const auto before = detail::pool_stats().shared_free_bytes;
  std::latch freed(1);
  std::latch may_exit(1);
  std::thread t([&] {
    for (void* p : blocks) detail::pool_deallocate(p, task_size);
    freed.count_down();
    may_exit.wait();
  });
  freed.wait();
  CHECK(detail::pool_stats().shared_free_bytes == before);  // in the thread's cache
  may_exit.count_down();
  t.join();
  CHECK(detail::pool_stats().shared_free_bytes == before + count * task_size);
  // And they are given out again.
  std::vector<void*> again;
  for (int i = 0; i < count; ++i) again.push_back(detail::pool_allocate(task_size));
  for (void* p : again) detail::pool_deallocate(p, task_size);
}

TEST_CASE("pool chunks whose blocks are all free are unmapped", "[block_pool]") {
  constexpr std::size_t count = 400000;  // 64 MB of blocks
  std::vector<void*> blocks;
  blocks.reserve(count);
  for (std::size_t i = 0; i < count; ++i) blocks.push_back(detail::pool_allocate(task_size));
  CHECK(detail::pool_stats().mapped_bytes >= count * task_size);
  for (void* p : blocks) detail::pool_deallocate(p, task_size);
  // What stays: up to 8 MiB of free blocks kept for reuse (a sweep runs
  // only past that), the chunk being carved, and one partly in this
  // thread's cache.
  CHECK(detail::pool_stats().mapped_bytes <= 12 * mib);
}

TEST_CASE("a pool chunk with one block still held stays mapped", "[block_pool]") {
  constexpr std::size_t count = 200000;  // 32 MB of blocks
  std::vector<void*> blocks;
  blocks.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    void* p = detail::pool_allocate(task_size);
    stamp(p, task_size, i);
    blocks.push_back(p);
  }
  const auto mapped = detail::pool_stats().mapped_bytes;
  // Free all but the first block cut from each chunk.
  std::vector<std::size_t> held;
  std::uintptr_t last_chunk = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto chunk = reinterpret_cast<std::uintptr_t>(blocks[i]) / detail::pool_chunk_bytes;
    if (chunk != last_chunk) {
      held.push_back(i);
      last_chunk = chunk;
    } else {
      detail::pool_deallocate(blocks[i], task_size);
    }
  }
  CHECK(held.size() >= 15);
  CHECK(detail::pool_stats().mapped_bytes == mapped);  // every chunk has a held block
  CHECK(detail::pool_stats().shared_free_bytes > 8 * mib);  // and sweeps did run
  for (std::size_t i : held) {
    REQUIRE(stamped(blocks[i], task_size, i));  // still there, and writable
    stamp(blocks[i], task_size, 0);
    detail::pool_deallocate(blocks[i], task_size);
  }
}

TEST_CASE("a child forked while other threads use the pool can take blocks", "[block_pool]") {
  // Two threads take and give back batches through the shared lists, under
  // their lock, while this one forks. A child forked with the lock held by
  // one of them would wait for it forever, as nobody is left to release it.
  // Without the fork handlers, a quarter of such children hang.
  std::atomic<bool> stop{false};
  std::vector<std::thread> users;
  for (int t = 0; t < 2; ++t) {
    users.emplace_back([&] {
      std::vector<void*> held;
      // relaxed: a flag to stop, nothing to publish with it
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 2000; ++i) held.push_back(detail::pool_allocate(task_size));
        for (void* p : held) detail::pool_deallocate(p, task_size);
        held.clear();
      }
    });
  }
  constexpr int children = 100;
  int hung = 0;
  for (int k = 0; k < children; ++k) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // A child that cannot get its block within 500 ms is killed by SIGALRM.
      itimerval timer{};
      timer.it_value.tv_usec = 500000;
      ::setitimer(ITIMER_REAL, &timer, nullptr);
      void* p = detail::pool_allocate(96);  // a size this thread has not cached: the shared lists
      detail::pool_deallocate(p, 96);
      ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++hung;
  }
  stop = true;
  for (auto& t : users) t.join();
  CHECK(hung == 0);
}

TEST_CASE("pool_allocate refuses a block over the largest size, naming it", "[block_pool]") {
  CHECK_THROWS_WITH(detail::pool_allocate(detail::pool_block_max + 1), Catch::Contains("257 bytes"));
}

TEST_CASE("block_allocator makes shared objects of any size", "[block_pool]") {
  struct small {
    int value;
  };
  struct large {
    std::array<char, 1024> bytes;
    int value;
  };
  STATIC_REQUIRE(detail::block_allocator<small>::pooled == !detail::pool_checked_build);
  STATIC_REQUIRE_FALSE(detail::block_allocator<large>::pooled);
  auto s = std::allocate_shared<small>(detail::block_allocator<small>{}, small{7});
  auto l = std::allocate_shared<large>(detail::block_allocator<large>{}, large{{}, 9});
  CHECK(s->value == 7);
  CHECK(l->value == 9);
  std::weak_ptr<small> watch = s;
  s.reset();
  CHECK(watch.expired());
}

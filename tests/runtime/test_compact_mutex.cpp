// The four-byte lock of every future's state and of the thread pool's queue
// (detail/compact_mutex.hpp): mutual exclusion under contention (including
// holders preempted while others sleep on the word), try_lock, and what the
// holder wrote is seen by the next one.
#include <cofutures/detail/compact_mutex.hpp>

#include <cstdint>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::detail::compact_mutex;

TEST_CASE("compact_mutex is four bytes", "[compact_mutex]") {
  STATIC_REQUIRE(sizeof(compact_mutex) == sizeof(std::uint32_t));
}

// <0>: no spin, every contended lock sleeps on the word (the futex path);
// <2000>: the thread pool's queue lock.
TEMPLATE_TEST_CASE("threads counting under a compact_mutex lose no increment", "[compact_mutex]", compact_mutex,
                   cofutures::detail::basic_compact_mutex<0>, cofutures::detail::basic_compact_mutex<2000>) {
  TestType mutex;
  long counter = 0;  // guarded by mutex, deliberately not atomic
  constexpr int threads = 4;
  constexpr int per_thread = 50000;
  std::latch start(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      start.arrive_and_wait();  // all contend from the first increment
      for (int i = 0; i < per_thread; ++i) {
        std::lock_guard lock(mutex);
        // A read and a write apart: a lost update shows if two get in.
        long seen = counter;
        counter = seen + 1;
      }
    });
  }
  for (auto& t : pool) t.join();
  REQUIRE(counter == long{threads} * per_thread);
}

TEST_CASE("try_lock fails while the compact_mutex is held and succeeds once it is free", "[compact_mutex]") {
  compact_mutex mutex;
  REQUIRE(mutex.try_lock());
  bool other_got_it = true;
  std::thread([&] { other_got_it = mutex.try_lock(); }).join();
  REQUIRE_FALSE(other_got_it);
  mutex.unlock();
  std::thread([&] {
    other_got_it = mutex.try_lock();
    if (other_got_it) mutex.unlock();
  }).join();
  REQUIRE(other_got_it);
}

TEST_CASE("a thread blocked on a held compact_mutex gets it, and sees the holder's writes", "[compact_mutex]") {
  compact_mutex mutex;
  int value = 0;  // guarded by mutex
  int seen = -1;
  mutex.lock();
  std::latch about_to_lock(1);
  std::thread waiter([&] {
    about_to_lock.count_down();
    std::lock_guard lock(mutex);  // blocks until the unlock below
    seen = value;
  });
  about_to_lock.wait();
  value = 42;  // still held: the waiter cannot be reading yet
  mutex.unlock();
  waiter.join();
  REQUIRE(seen == 42);
}

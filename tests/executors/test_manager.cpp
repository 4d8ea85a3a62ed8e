#include <cofutures/manager.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/process_pool_executor.hpp>

#include <dirent.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::manager;
using cofutures::process_lock;
using cofutures::process_pool_executor;
using cofutures::shared_value;

namespace {

// The source documents' counter: a read-modify-write in two steps, which
// only the lock makes safe.
void add_locked(shared_value<int> count, process_lock lock, int times) {
  for (int i = 0; i < times; ++i) {
    std::lock_guard guard(lock);
    int temp = count.load() + 1;
    count.store(temp);
  }
}

void add_atomically(shared_value<long> count, int times) {
  for (int i = 0; i < times; ++i) count.fetch_add(1);
}

void add_to_double(shared_value<double> total, int times) {
  for (int i = 0; i < times; ++i) total.fetch_add(0.5);
}

struct point {
  int x;
  double y;
};

point read_point(shared_value<point> p) { return p.load(); }
template <class Archive>
void serialize(Archive& archive, point& p) {
  archive(p.x, p.y);
}

// Takes the lock and exits without unlocking: the next locker must recover.
void die_holding(process_lock lock) {
  lock.lock();
  ::_exit(0);
}

bool try_lock_elsewhere(process_lock lock) {
  bool got = lock.try_lock();
  if (got) lock.unlock();
  return got;
}

std::vector<std::string> our_shm_segments() {
  std::vector<std::string> names;
  auto prefix = "cofutures-" + std::to_string(::getpid()) + "-";
  if (DIR* d = ::opendir("/dev/shm")) {
    while (auto* e = ::readdir(d)) {
      if (std::string(e->d_name).rfind(prefix, 0) == 0) names.emplace_back(e->d_name);
    }
    ::closedir(d);
  }
  return names;
}

}  // namespace

TEST_CASE("shared_value load, store and fetch_add in one process", "[manager]") {
  manager man;
  auto v = man.value(41);
  CHECK(v.load() == 41);
  v.store(7);
  CHECK(v.fetch_add(3) == 7);
  CHECK(v.load() == 10);
  auto copy = v;  // a handle: copies name the same value
  copy.store(99);
  CHECK(v.load() == 99);
}

TEST_CASE("two workers adding 10000 each under the lock make 20000", "[manager]") {
  manager man;
  process_pool_executor pool(2);
  auto count = man.value(0);
  auto lock = man.lock();
  auto f1 = pool.submit<&add_locked>(count, lock, 10000);
  auto f2 = pool.submit<&add_locked>(count, lock, 10000);
  f1.result();
  f2.result();
  CHECK(count.load() == 20000);
}

TEST_CASE("fetch_add from several workers loses nothing", "[manager]") {
  manager man;
  process_pool_executor pool(2);
  auto count = man.value(0L);
  auto total = man.value(0.0);
  std::vector<cofutures::future<void>> fs;
  for (int i = 0; i < 4; ++i) fs.push_back(pool.submit<&add_atomically>(count, 5000));
  for (int i = 0; i < 2; ++i) fs.push_back(pool.submit<&add_to_double>(total, 1000));
  for (auto& f : fs) f.result();
  CHECK(count.load() == 20000);
  CHECK(total.load() == 1000.0);
}

TEST_CASE("a trivially copyable struct is shared whole", "[manager]") {
  manager man;
  process_pool_executor pool(1);
  auto p = man.value(point{3, 0.25});
  auto got = pool.submit<&read_point>(p).result();
  CHECK(got.x == 3);
  CHECK(got.y == 0.25);
}

TEST_CASE("a lock held here is held for the workers too", "[manager]") {
  manager man;
  process_pool_executor pool(1);
  auto lock = man.lock();
  {
    std::lock_guard guard(lock);
    CHECK_FALSE(pool.submit<&try_lock_elsewhere>(lock).result());
  }
  CHECK(pool.submit<&try_lock_elsewhere>(lock).result());
}

TEST_CASE("a process dying with the lock held does not hang the next locker", "[manager]") {
  manager man;
  auto lock = man.lock();
  {
    process_pool_executor pool(1);
    auto f = pool.submit<&die_holding>(lock);
    // The worker exits mid-task, which breaks that pool.
    CHECK_THROWS_AS(f.result(), cofutures::broken_process_pool);
  }
  lock.lock();  // would block for ever with a non-robust mutex
  CHECK(lock.owner_died());
  lock.unlock();
  lock.lock();
  CHECK_FALSE(lock.owner_died());  // recovered: consistent again
  lock.unlock();
}

TEST_CASE("a manager removes its shared memory when destroyed", "[manager]") {
  auto before = our_shm_segments().size();
  {
    manager man;
    auto v = man.value(1);
    CHECK(our_shm_segments().size() == before + 1);
  }
  CHECK(our_shm_segments().size() == before);
}

TEST_CASE("a handle whose manager is gone fails only its task in a worker", "[manager]") {
  process_pool_executor pool(1);
  shared_value<long> orphan;
  {
    manager man;
    orphan = man.value(5L);
  }
  // This process still maps it; a worker can no longer attach by name.
  CHECK(orphan.load() == 5);
  auto f = pool.submit<&add_atomically>(orphan, 1);
  CHECK_THROWS_AS(f.result(), cofutures::remote_error);
  manager man;  // the pool keeps working
  auto fresh = man.value(0L);
  pool.submit<&add_atomically>(fresh, 3).result();
  CHECK(fresh.load() == 3);
}

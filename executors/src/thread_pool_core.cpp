#include <cofutures/detail/thread_pool_core.hpp>
#include <cofutures/detail/compact_mutex.hpp>
#include <cofutures/detail/cpu_relax.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/thread_name.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cofutures::detail {
namespace {

std::atomic<unsigned> g_pool_counter{0};  // relaxed: only makes names unique

std::size_t default_max_workers() {
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  return std::min<std::size_t>(32, cores + 4);
}

std::size_t checked_max_workers(const std::optional<long>& requested) {
  if (!requested) return default_max_workers();
  if (*requested <= 0) {
    throw std::invalid_argument("max_workers must be greater than 0 (got " + std::to_string(*requested) + ")");
  }
  return static_cast<std::size_t>(*requested);
}

// How long a worker that ran out of work keeps looking before it parks: a
// coroutine awaiting task after task submits the next one a few
// microseconds after the last completed, which then costs no futex wake-up
// on either side. Bounded, so an idle pool costs nothing.
constexpr auto spin_budget = std::chrono::microseconds(50);

std::string what_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

class thread_pool_core : public std::enable_shared_from_this<thread_pool_core> {
 public:
  explicit thread_pool_core(thread_pool_options options)
      : m_max_workers(checked_max_workers(options.max_workers)),
        m_prefix(options.thread_name_prefix.empty()
                     ? "ThreadPoolExecutor-" + std::to_string(g_pool_counter.fetch_add(1, std::memory_order_relaxed))
                     : std::move(options.thread_name_prefix)),
        m_initializer(std::move(options.initializer)) {}

  void enqueue(pool_task_ptr task) {
    std::lock_guard lock(m_mutex);  // queue, thread list and flags move together
    if (!m_broken.empty()) throw broken_thread_pool(m_broken);
    if (m_shutdown) throw invalid_state_error("cannot schedule new futures after shutdown");
    push_locked(task.release());
    add_queued_locked(1);
    // A spinning worker takes the task without a futex wake-up: this
    // task claims it (clears the flag), so the next one wakes a parked
    // worker and no task waits behind another. relaxed: a spinner clears
    // the flag itself before it takes m_mutex to park, so if it parked
    // before this lock we read false; if it locks after us, it finds the
    // task under the lock instead of waiting.
    if (m_idle > 0 && !m_spinning.exchange(false, std::memory_order_relaxed)) m_cv.notify_one();
    if (!m_all_started) start_thread_if_all_taken_locked();
  }

  void shutdown(bool wait, bool cancel_futures) {
    pool_task* cancelled = nullptr;
    {
      std::lock_guard lock(m_mutex);  // the shutdown flag and the queue change together
      m_shutdown = true;
      if (cancel_futures) {
        cancelled = std::exchange(m_head, nullptr), m_tail = nullptr;
        m_queued.store(0, std::memory_order_relaxed);  // a hint, see enqueue
      }
      m_cv.notify_all();  // idle workers see the shutdown and exit
    }
    while (cancelled != nullptr) {
      pool_task_ptr task(cancelled);
      cancelled = task->m_next;
      m_outstanding.fetch_sub(1, std::memory_order_relaxed);  // relaxed: bookkeeping only, see enqueue
      task->cancel();
    }
    if (wait) join_all();
  }

  std::size_t max_workers() const noexcept { return m_max_workers; }
  std::size_t thread_count() const noexcept {
    std::lock_guard lock(m_mutex);  // submitters start threads under it
    return m_threads.size() + m_joined;
  }

 private:
  void push_locked(pool_task* task) noexcept {
    task->m_next = nullptr;
    if (m_tail) m_tail->m_next = task;
    else m_head = task;
    m_tail = task;
  }

  pool_task* pop_locked() noexcept {
    add_queued_locked(-1);
    pool_task* task = m_head;
    m_head = task->m_next;
    if (!m_head) m_tail = nullptr;
    return task;
  }

  // Every writer holds m_mutex, so a load and a store do (no locked
  // read-modify-write on the line the submitter and workers share).
  // relaxed: spinning workers only use the count as a hint; they take
  // m_mutex before they touch the queue.
  void add_queued_locked(std::ptrdiff_t delta) noexcept {
    m_queued.store(m_queued.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }

  // Start a thread only when every started one is taken: idle threads are
  // reused (Python's idle semaphore). Counting stops once all are started
  // (they only go at shutdown): from then on, no counter's cache line
  // moves between the submitter and the workers for every task.
  void start_thread_if_all_taken_locked() {
    // relaxed: read and written under m_mutex here; workers' decrements
    // only make this count smaller, which at worst starts no thread.
    auto outstanding = m_outstanding.fetch_add(1, std::memory_order_relaxed) + 1;
    if (outstanding <= m_threads.size()) return;
    start_thread_locked();
    m_all_started = m_threads.size() == m_max_workers;
  }

  void start_thread_locked() {
    auto index = m_threads.size();
    // The thread co-owns the core: it may outlive the executor object
    // after shutdown(wait=false) or a destructor running on a worker.
    m_threads.emplace_back([self = shared_from_this(), index] { self->worker_main(index); });
  }

  void worker_main(std::size_t index) {
    set_current_thread_name(m_prefix + "_" + std::to_string(index));
    if (m_initializer) {
      try {
        m_initializer();
      } catch (...) {
        initializer_failed(std::current_exception());
        return;
      }
    }
    for (;;) {
      pool_task_ptr task;
      bool counted = false;
      spin_for_work();
      {
        std::unique_lock lock(m_mutex);  // queue, idle count and shutdown flag are one state
        if (m_head == nullptr && !m_shutdown) {
          ++m_idle;
          m_cv.wait(lock, [this] { return m_head != nullptr || m_shutdown; });
          --m_idle;
        }
        if (m_head == nullptr) return;  // shut down and nothing left to do
        task.reset(pop_locked());
        // Under m_mutex, like the submitter's choice to count the task: a
        // task counted before the last thread started stays counted, and
        // no one reads the count any more.
        counted = !m_all_started;
      }
      task->run(counted ? &m_outstanding : nullptr);
    }
  }

  // Returns when work is queued or the spin budget is spent. One worker
  // spins at a time: that one is enough to catch the next task of a
  // round trip, and more would take the cores the submitters need.
  void spin_for_work() noexcept {
    // Work already waiting (a busy pool): straight to the lock, without the
    // flag's read-modify-write or a clock read per task.
    // relaxed: a hint, see enqueue
    if (m_queued.load(std::memory_order_relaxed) != 0) return;
    if (m_spinning.exchange(true, std::memory_order_relaxed)) return;  // relaxed: m_mutex orders the queue
    auto until = std::chrono::steady_clock::now() + spin_budget;
    for (bool found = false; !found;) {
      for (int i = 0; i < 64 && !found; ++i) {
        found = m_queued.load(std::memory_order_relaxed) != 0;  // relaxed: a hint, see enqueue
        cpu_relax();
      }
      if (std::chrono::steady_clock::now() >= until) break;
    }
    m_spinning.store(false, std::memory_order_relaxed);  // relaxed: as above; before parking, see enqueue
  }

  void initializer_failed(std::exception_ptr e) {
    std::fprintf(stderr, "cofutures: exception in thread pool initializer: %s\n", what_of(e).c_str());
    pool_task* queued = nullptr;
    std::string message;
    {
      std::lock_guard lock(m_mutex);  // submitters read m_broken under it
      m_broken = "A thread initializer failed, the thread pool is not usable anymore (" + what_of(e) + ")";
      message = m_broken;
      queued = std::exchange(m_head, nullptr);
      m_tail = nullptr;
      m_queued.store(0, std::memory_order_relaxed);  // a hint, see enqueue
    }
    while (queued != nullptr) {
      pool_task_ptr task(queued);
      queued = task->m_next;
      m_outstanding.fetch_sub(1, std::memory_order_relaxed);  // relaxed: bookkeeping only
      task->fail(std::make_exception_ptr(broken_thread_pool(message)));  // one exception per future
    }
  }

  void join_all() {
    // One joiner at a time; a second shutdown(wait) waits for the first.
    std::lock_guard join_lock(m_join_mutex);
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(m_mutex);  // start_thread_locked writes m_threads under it
      threads.swap(m_threads);
      m_joined += threads.size();
    }
    for (auto& t : threads) {
      if (t.get_id() == std::this_thread::get_id()) t.detach();  // a task shutting down its own pool
      else t.join();
    }
  }

  const std::size_t m_max_workers;
  const std::string m_prefix;
  const std::function<void()> m_initializer;

  // Held a few dozen instructions at a time by the submitter and every
  // worker at once. A waiter spins a long while before it sleeps: glibc's
  // adaptive mutex slept after ~100 pauses, and then every unlock by the
  // submitter paid a futex wake-up (8% of the samples of 1e6 tasks; futex
  // calls 90-113k -> 1.2-1.8k with the longer spin).
  mutable basic_compact_mutex<2000> m_mutex;  // guards everything below except the atomics
  std::condition_variable_any m_cv;  // any: waits on the compact mutex
  pool_task* m_head = nullptr;
  pool_task* m_tail = nullptr;
  std::vector<std::thread> m_threads;
  std::size_t m_joined = 0;
  std::size_t m_idle = 0;  // workers blocked waiting for work
  bool m_all_started = false;  // every thread started: m_outstanding is no longer kept
  bool m_shutdown = false;
  std::string m_broken;  // non-empty once an initializer failed
  std::atomic<std::size_t> m_outstanding{0};  // queued or running, not yet returned; until m_all_started
  std::atomic<std::size_t> m_queued{0};       // tasks in the queue, for spinning workers; written under m_mutex
  std::atomic<bool> m_spinning{false};         // a worker is spinning for work
  std::mutex m_join_mutex;
};

std::shared_ptr<thread_pool_core> make_thread_pool_core(thread_pool_options options) {
  return std::make_shared<thread_pool_core>(std::move(options));
}

void enqueue(thread_pool_core& core, pool_task_ptr task) { core.enqueue(std::move(task)); }
void shutdown(thread_pool_core& core, bool wait, bool cancel_futures) { core.shutdown(wait, cancel_futures); }
std::size_t max_workers(const thread_pool_core& core) noexcept { return core.max_workers(); }
std::size_t thread_count(const thread_pool_core& core) noexcept { return core.thread_count(); }

}  // namespace cofutures::detail

#include <cofutures/any_future.hpp>
#include <cofutures/callback_exception_handler.hpp>
#include <cofutures/detail/default_executor.hpp>
#include <cofutures/event_loop.hpp>

#include <cofutures/detail/interrupt_hooks.hpp>
#include "detail/signal_watch.hpp"
#include <cofutures/keyboard_interrupt.hpp>

#include <cofutures/detail/adaptive_spin.hpp>
#include <cofutures/detail/cpu_relax.hpp>

#include <asio/system_executor.hpp>

#include <chrono>
#include <csignal>
#include <optional>

namespace cofutures {
namespace {

thread_local event_loop* t_running = nullptr;                 // set inside run()
thread_local std::shared_ptr<detail::loop_core> t_binding;  // run_in_executor's override

// Marks `loop` as running on this thread for the scope.
class running_scope {
 public:
  explicit running_scope(event_loop* loop) noexcept : m_previous(std::exchange(t_running, loop)) {}
  ~running_scope() { t_running = m_previous; }
  running_scope(const running_scope&) = delete;
  running_scope& operator=(const running_scope&) = delete;

 private:
  event_loop* m_previous;
};

// ctx.run(), except that a loop about to sleep until its next event first
// polls for it, for the budget of an adaptive_spin: a completion that a
// pool thread posts within microseconds (a round trip) is then taken
// without the loop thread sleeping in epoll and being woken, about 20 us
// on a VM, several times the round trip itself. The budget follows the
// loop's idle times as a blocked result() does: a loop that waits long
// for its events stops spinning within a few of them.
void run_polling_first(asio::io_context& ctx) {
  if (!detail::several_cpus()) {
    ctx.run();  // the thread that would post cannot run while this one spins
    return;
  }
  detail::adaptive_spin spin;
  for (;;) {
    if (ctx.poll() > 0) continue;  // ran what was ready: look again
    if (ctx.stopped()) return;     // out of work, or stop()
    auto budget = spin.next();
    auto start = std::chrono::steady_clock::now();
    bool caught = false;
    for (auto until = start + budget; !caught && std::chrono::steady_clock::now() < until;) {
      caught = ctx.poll() > 0;
      if (ctx.stopped()) return;
    }
    if (caught) {
      spin.caught();
      continue;
    }
    if (ctx.run_one() == 0) return;
    auto took = std::chrono::duration_cast<detail::adaptive_spin::duration>(std::chrono::steady_clock::now() - start);
    spin.waited(took, budget, true);
  }
}

}  // namespace

namespace detail {

loop_binding_scope::loop_binding_scope(std::shared_ptr<loop_core> core) noexcept
    : m_previous(std::exchange(t_binding, std::move(core))) {}

loop_binding_scope::~loop_binding_scope() { t_binding = std::move(m_previous); }

asio::any_io_executor default_completion_executor() noexcept {
  if (auto* loop = event_loop::current()) return loop->get_executor();
  return asio::system_executor();
}

}  // namespace detail

event_loop::event_loop(event_loop_options options)
    : m_options(options), m_core(std::make_shared<detail::loop_core>(m_ctx)) {}

event_loop::~event_loop() {
  running_scope scope(this);
  // asyncio.run's finally: cancel what is left, let it unwind, close.
  for (auto& task : m_tasks.snapshot()) task->cancel_future();
  m_ctx.restart();
  try {
    while (!m_tasks.empty() && m_ctx.run_one() > 0) {
    }
  } catch (...) {
    // A raw handler threw during clean-up: nothing to propagate it to.
  }
  m_core->close();
}

event_loop* event_loop::current() noexcept { return t_running; }

void event_loop::call_soon_threadsafe(std::function<void()> fn) {
  auto guarded = [fn = std::move(fn)] {
    try {
      fn();
    } catch (...) {
      detail::report_callback_exception(std::current_exception(), "exception in a call_soon_threadsafe callback");
    }
  };
  if (!m_core->try_post(std::move(guarded))) throw error("event loop is closed");
}

void event_loop::run_until_done(const any_future& main) {
  if (t_running == this) throw invalid_state_error("this event_loop is already running");
  if (t_running != nullptr) throw invalid_state_error("another event_loop is running on this thread");
  running_scope scope(this);
  // Bound to this loop, so the callback runs here and stops run() below.
  main.add_done_callback([this](const any_future&) { m_ctx.stop(); });
  m_interrupted_by = 0;
  std::optional<detail::signal_watch> signals;
  if (m_options.handle_signals) {
    auto generation = ++m_run_generation;
    signals.emplace([this, main, generation](int signal_number) {
      // From the watch thread to the loop thread; a signal that arrives as
      // this run() ends is dropped there (generation), not carried over.
      m_core->try_post([this, main, generation, signal_number] {
        if (generation == m_run_generation && !main.done()) on_signal(main, signal_number);
      });
    });
  }
  m_ctx.restart();
  run_polling_first(m_ctx);
  signals.reset();
  if (m_interrupted_by != 0) throw keyboard_interrupt(std::exchange(m_interrupted_by, 0));
  if (!main.done()) {
    throw error("event_loop ran out of work before the main coroutine completed");
  }
}

void event_loop::on_signal(const any_future& main, int signal_number) {
  m_interrupted_by = signal_number;
  // Queued work is cancelled and worker processes told to go, so that
  // nothing main awaits keeps it from unwinding.
  detail::run_interrupt_hooks();
  // Cancel the coroutine, not its future: run() returns once main has
  // unwound (its handlers and destructors ran), as in asyncio.run.
  if (auto task = m_tasks.find(main.state_ptr().get())) task->emit_cancel();
}

namespace detail {

std::shared_ptr<loop_core> current_loop_core() noexcept {
  if (t_binding) return t_binding;
  return running_loop_core();
}

std::shared_ptr<loop_core> running_loop_core() noexcept {
  return t_running != nullptr ? t_running->core() : nullptr;
}

std::shared_ptr<task_control> task_registry::add(std::weak_ptr<state_base> st) {
  auto task = std::make_shared<task_control>(std::move(st));
  std::lock_guard lock(m_mutex);  // spawn() may be called from any thread
  m_tasks.insert(task);
  return task;
}

void task_registry::remove(task_control& task) {
  std::shared_ptr<task_control> key(std::shared_ptr<void>(), &task);  // non-owning lookup key
  std::lock_guard lock(m_mutex);  // completions run on the loop thread, spawn on any
  m_tasks.erase(key);
}

std::vector<std::shared_ptr<task_control>> task_registry::snapshot() const {
  std::lock_guard lock(m_mutex);  // the destructor reads while tasks may still finish
  return {m_tasks.begin(), m_tasks.end()};
}

std::shared_ptr<task_control> task_registry::find(const state_base* st) const {
  std::lock_guard lock(m_mutex);  // tasks finish on the loop thread, spawn on any
  for (auto& task : m_tasks) {
    if (task->completes(st)) return task;
  }
  return nullptr;
}

bool task_registry::empty() const {
  std::lock_guard lock(m_mutex);  // tasks finish on the loop thread while the destructor asks
  return m_tasks.empty();
}

}  // namespace detail
}  // namespace cofutures

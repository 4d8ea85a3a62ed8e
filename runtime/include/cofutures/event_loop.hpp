#pragma once
/// @file event_loop.hpp
/// event_loop: asyncio's loop on an asio::io_context. It runs a main
/// coroutine (asyncio.run), spawns tasks whose futures can be cancelled
/// (create_task), takes callbacks from other threads (call_soon_threadsafe)
/// and binds the futures created on its thread, so their done-callbacks run
/// on it.

#include <cofutures/any_future.hpp>
#include <cofutures/detail/loop_core.hpp>
#include <cofutures/detail/spawned_tasks.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>

#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace cofutures {

/// How an event_loop behaves; designated initializers: `{.handle_signals = true}`.
struct event_loop_options {
  /// asyncio.run's Ctrl-C handling while run() runs: the first SIGINT or
  /// SIGTERM cancels the main coroutine and shuts down every executor in the
  /// process with cancel_futures (process pools also terminate their
  /// workers); once main has unwound, run() throws keyboard_interrupt. A
  /// second signal ends the process at once (the default disposition).
  bool handle_signals = false;
};

/// One loop per thread that runs it. Construct it anywhere; run() drives it
/// on the calling thread until the main coroutine completes.
///
/// Thread safety: call_soon_threadsafe and spawn may be called from any
/// thread; run and the destructor from the owning thread only.
class event_loop {
 public:
  using executor_type = asio::io_context::executor_type;

  explicit event_loop(event_loop_options options = {});
  /// Cancels the tasks spawned on this loop that are still pending, runs
  /// the loop until they have unwound (asyncio.run's clean-up), then closes
  /// it: later callbacks of futures bound to it run on their completing
  /// thread instead.
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  /// Runs the loop on this thread until `main` completes (asyncio's
  /// run_until_complete); other tasks stay suspended until the next run.
  /// @returns main's value. @throws what main threw; invalid_state_error if
  /// a loop is already running on this thread; keyboard_interrupt if a
  /// signal interrupted it (options.handle_signals).
  template <class T>
  T run(asio::awaitable<T> main) {
    auto f = spawn(std::move(main));
    run_until_done(f);
    return f.result();
  }

  executor_type get_executor() noexcept { return m_ctx.get_executor(); }
  asio::io_context& context() noexcept { return m_ctx; }

  /// Runs fn on the loop thread, after the callbacks already queued (FIFO).
  /// A throwing fn is reported like a throwing done-callback.
  /// @throws error if the loop is closed.
  void call_soon_threadsafe(std::function<void()> fn);

  /// Starts a coroutine on this loop (asyncio.create_task). The returned
  /// future is bound to this loop; cancel() on it cancels the coroutine
  /// (terminal cancellation at its current co_await) and the future at once.
  template <class T>
  future<T> spawn(asio::awaitable<T> coro) {
    promise<T> p(m_core);
    auto f = p.get_future();
    auto task = m_tasks.add(f.state_ptr());
    p.set_cancel_hook([task, core = m_core] {
      // Cancellation signals are not thread-safe: emit on the loop thread.
      core->try_post([task] { task->emit_cancel(); });
    });
    asio::co_spawn(m_ctx, std::move(coro),
                   asio::bind_cancellation_slot(task->slot(), task_completion<T>{std::move(p), task, &m_tasks}));
    return f;
  }

  /// Submits fn(args...) to `executor` (anything with a submit) with the
  /// resulting future bound to this loop, from any thread.
  template <class Executor, class F, class... A>
  auto run_in_executor(Executor& executor, F&& fn, A&&... args) {
    detail::loop_binding_scope binding(m_core);
    return executor.submit(std::forward<F>(fn), std::forward<A>(args)...);
  }

  /// The same for a process pool, whose functions are template arguments:
  /// `loop.run_in_executor<&my_pi>(pool, 1, n)`.
  template <auto Fn, class Executor, class... A>
  auto run_in_executor(Executor& executor, A&&... args) {
    detail::loop_binding_scope binding(m_core);
    return executor.template submit<Fn>(std::forward<A>(args)...);
  }

  /// The loop running on this thread (inside run()), or nullptr.
  static event_loop* current() noexcept;

  /// Implementation detail: what futures bound to this loop share.
  const std::shared_ptr<detail::loop_core>& core() const noexcept { return m_core; }

 private:
  template <class T>
  struct task_completion {
    promise<T> m_promise;
    std::shared_ptr<detail::task_control> m_task;
    detail::task_registry* m_registry;

    void operator()(std::exception_ptr e) requires std::is_void_v<T> {
      m_registry->remove(*m_task);
      // try_: a cancelled task's future is already done.
      if (e) m_promise.try_set_exception(e);
      else m_promise.try_set_result();
    }
    template <class U = T>
    void operator()(std::exception_ptr e, U value) requires(!std::is_void_v<T>) {
      m_registry->remove(*m_task);
      if (e) m_promise.try_set_exception(e);
      else m_promise.try_set_result(std::move(value));
    }
  };

  void run_until_done(const any_future& main);
  void on_signal(const any_future& main, int signal_number);

  event_loop_options m_options;
  int m_interrupted_by = 0;  // the signal that interrupted the current run(), on the loop thread
  unsigned m_run_generation = 0;  // which run() a signal was meant for (loop thread only)
  asio::io_context m_ctx{1};  // concurrency hint 1: one thread runs it
  std::shared_ptr<detail::loop_core> m_core;
  detail::task_registry m_tasks;
};

/// asyncio.run: runs `main` on a fresh event_loop, with Ctrl-C handling
/// (event_loop_options::handle_signals), and returns its value.
/// @throws what main threw; keyboard_interrupt after SIGINT or SIGTERM.
template <class T>
T run(asio::awaitable<T> main) {
  event_loop loop({.handle_signals = true});
  return loop.run(std::move(main));
}

}  // namespace cofutures

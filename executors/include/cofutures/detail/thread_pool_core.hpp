#pragma once
// The shared part of a thread_pool_executor (queue, threads, state); kept
// in src/, reached through these functions so map ranges can hold it weakly.

#include <cofutures/detail/pool_task.hpp>
#include <cofutures/thread_pool_options.hpp>

#include <memory>

namespace cofutures::detail {

class thread_pool_core;

std::shared_ptr<thread_pool_core> make_thread_pool_core(thread_pool_options options);
/// Queues a task. @throws invalid_state_error after shutdown,
/// broken_thread_pool when broken (the task is then dropped unrun).
void enqueue(thread_pool_core& core, pool_task_ptr task);
void shutdown(thread_pool_core& core, bool wait, bool cancel_futures);
std::size_t max_workers(const thread_pool_core& core) noexcept;
std::size_t thread_count(const thread_pool_core& core) noexcept;

template <class F, class... A>
using pool_result_t = std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>;

/// Packs fn(args...) into a task on `core`; the future is bound to the
/// current loop, if any.
template <class F, class... A>
future<pool_result_t<F, A...>> submit_to(thread_pool_core& core, F&& fn, A&&... args) {
  using R = pool_result_t<F, A...>;
  auto [task, f] = pool_task_impl<R, std::decay_t<F>, std::decay_t<A>...>::make(std::forward<F>(fn),
                                                                               std::forward<A>(args)...);
  enqueue(core, std::move(task));
  return std::move(f);
}

}  // namespace cofutures::detail

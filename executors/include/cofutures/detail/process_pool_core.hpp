#pragma once
// The shared part of a process_pool_executor (queue, manager thread,
// workers); kept in src/ and reached through these functions.

#include <cofutures/detail/process_work.hpp>
#include <cofutures/process_pool_options.hpp>

#include <cstddef>
#include <memory>

namespace cofutures::detail {

class process_pool_core;

/// @throws std::invalid_argument for bad options; error when called in a
/// worker process that skipped process_worker_main.
std::shared_ptr<process_pool_core> make_process_pool_core(process_pool_options options);
/// @throws invalid_state_error after shutdown, broken_process_pool when broken.
void check_accepting(const process_pool_core& core);
/// Queues the work (assigning its id). Throws as check_accepting.
void enqueue(process_pool_core& core, std::unique_ptr<process_work> work);
void shutdown(process_pool_core& core, bool wait, bool cancel_futures);
/// terminate_workers / kill_workers: shutdown(false, true), then `sig` to
/// every live worker.
void force_shutdown(process_pool_core& core, int sig);
std::size_t max_workers(const process_pool_core& core) noexcept;

}  // namespace cofutures::detail

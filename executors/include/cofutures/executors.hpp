#pragma once
/// @file executors.hpp
/// The executors module's umbrella header.

#include <cofutures/manager.hpp>
#include <cofutures/map_options.hpp>
#include <cofutures/process_lock.hpp>
#include <cofutures/process_pool_executor.hpp>
#include <cofutures/process_pool_options.hpp>
#include <cofutures/process_worker_main.hpp>
#include <cofutures/shared_value.hpp>
#include <cofutures/task_registry.hpp>
#include <cofutures/thread_name.hpp>
#include <cofutures/thread_pool_executor.hpp>
#include <cofutures/thread_pool_options.hpp>

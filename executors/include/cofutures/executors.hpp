#pragma once
/// @file executors.hpp
/// The executors module's umbrella header.

#include <cofutures/map_options.hpp>
#include <cofutures/thread_name.hpp>
#include <cofutures/thread_pool_executor.hpp>
#include <cofutures/thread_pool_options.hpp>

#pragma once
/// @file cofutures.hpp
/// Everything cofutures offers: Python's concurrent.futures and the
/// asyncio side of it, in C++20 on an Asio event loop.

#include <cofutures/executors.hpp>
#include <cofutures/net.hpp>
#include <cofutures/runtime.hpp>

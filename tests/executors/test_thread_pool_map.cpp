#include <cofutures/thread_pool_executor.hpp>

#include <catch2/catch.hpp>

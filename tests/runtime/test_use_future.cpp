#include <cofutures/use_future.hpp>

#include <catch2/catch.hpp>

#include <cofutures/any_future.hpp>

#include <catch2/catch.hpp>

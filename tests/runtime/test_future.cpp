#include <cofutures/future.hpp>

#include <catch2/catch.hpp>

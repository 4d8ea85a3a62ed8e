#include <cofutures/as_completed.hpp>

#include <catch2/catch.hpp>

#include <cofutures/event_loop.hpp>

#include <catch2/catch.hpp>

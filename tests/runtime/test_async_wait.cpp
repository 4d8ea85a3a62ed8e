#include <cofutures/wait.hpp>

#include <catch2/catch.hpp>

// The one Catch2 main shared by every test executable of both builds.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

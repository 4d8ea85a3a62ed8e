// The one Catch2 main shared by every test executable of both builds. It
// calls process_worker_main first, so process-pool tests can spawn this
// very executable as their workers.
#define CATCH_CONFIG_RUNNER
#include <cofutures/process_worker_main.hpp>

#include <catch2/catch.hpp>

int main(int argc, char** argv) {
  cofutures::process_worker_main(argc, argv);  // in a worker: serves, then exits
  return Catch::Session().run(argc, argv);
}

// Process pool micro-benchmarks: one task's round trip to a worker, and
// map's cost per element with chunks of 1000.
#include <cofutures/cofutures.hpp>

#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

namespace cf = cofutures;

int trivial(int x) { return x + 1; }

static void process_round_trip(benchmark::State& state) {
  cf::process_pool_executor pool(1);
  pool.submit<&trivial>(0).result();  // the worker has started
  for (auto _ : state) benchmark::DoNotOptimize(pool.submit<&trivial>(1).result());
}
BENCHMARK(process_round_trip)->UseRealTime();

static void process_map_chunks_of_1000(benchmark::State& state) {
  cf::process_pool_executor pool(2);
  std::vector<int> inputs(100000);
  std::iota(inputs.begin(), inputs.end(), 0);
  for (auto _ : state) {
    long sum = 0;
    for (int r : pool.map<&trivial>(inputs, cf::map_options{.chunksize = 1000})) sum += r;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(inputs.size()));
}
BENCHMARK(process_map_chunks_of_1000)->UseRealTime();

// A spawned worker runs this program again: it must serve, not benchmark.
int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}

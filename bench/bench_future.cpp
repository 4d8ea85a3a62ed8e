// The pieces every workload pays for, one at a time: a promise/future pair,
// a done-callback, awaiting a future that is already done, and a blocking
// submit().result() on the thread pool.
#include <cofutures/cofutures.hpp>

#include <benchmark/benchmark.h>

namespace cf = cofutures;

// A promise, its future, the result set and read (no loop: unbound).
static void promise_set_result(benchmark::State& state) {
  for (auto _ : state) {
    cf::promise<int> p;
    auto f = p.get_future();
    p.set_result(1);
    benchmark::DoNotOptimize(f.result());
  }
}
BENCHMARK(promise_set_result);

// The same with one done-callback, run on the completing thread.
static void promise_done_callback(benchmark::State& state) {
  long calls = 0;
  for (auto _ : state) {
    cf::promise<int> p;
    auto f = p.get_future();
    f.add_done_callback([&calls](cf::future<int>) { ++calls; });
    p.set_result(1);
  }
  benchmark::DoNotOptimize(calls);
}
BENCHMARK(promise_done_callback);

// co_await on a future that is done already: the fast path of async_result.
static void await_done_future(benchmark::State& state) {
  cf::run([&]() -> asio::awaitable<void> {
    for (auto _ : state) {
      cf::promise<int> p;
      auto f = p.get_future();
      p.set_result(1);
      benchmark::DoNotOptimize(co_await f.async_result());
    }
  }());
}
BENCHMARK(await_done_future);

// Python's pool.submit(fn).result() from a plain thread (no loop).
static void thread_pool_submit_result(benchmark::State& state) {
  cf::thread_pool_executor pool(1);
  auto trivial = [] { return 1; };
  for (auto _ : state) benchmark::DoNotOptimize(pool.submit(trivial).result());
}
BENCHMARK(thread_pool_submit_result)->UseRealTime();

BENCHMARK_MAIN();

// Round trip loop -> thread pool -> loop: cofutures against the raw Asio
// ping-pong it must match (the full comparison table is bench/'s issue).
#include <cofutures/cofutures.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <benchmark/benchmark.h>

namespace cf = cofutures;

// A coroutine on the loop awaits one trivial task on the pool, repeatedly.
static void round_trip_cofutures(benchmark::State& state) {
  cf::thread_pool_executor pool(1);
  auto trivial = [] { return 1; };  // named: GCC 12 mishandles lambda temporaries in co_await
  cf::run([&]() -> asio::awaitable<void> {
    for (auto _ : state) {
      auto f = pool.submit(trivial);
      benchmark::DoNotOptimize(co_await f.async_result());
    }
  }());
}
BENCHMARK(round_trip_cofutures)->UseRealTime();

// The same hop with nothing around it: post to the pool, post back.
static void round_trip_raw_asio(benchmark::State& state) {
  asio::io_context loop;
  asio::thread_pool pool(1);
  auto guard = asio::make_work_guard(loop);
  std::function<void()> next = [&] {
    if (!state.KeepRunning()) {
      guard.reset();
      return;
    }
    asio::post(pool, [&] { asio::post(loop, next); });
  };
  asio::post(loop, next);
  loop.run();
  pool.join();
}
BENCHMARK(round_trip_raw_asio)->UseRealTime();

BENCHMARK_MAIN();

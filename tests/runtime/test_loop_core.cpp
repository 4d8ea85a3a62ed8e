#include <cofutures/detail/loop_core.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

// The loop's side of every done-callback and call_soon_threadsafe: what is
// posted through loop_core runs on the loop thread in the order it was
// posted, several to one Asio handler.

using cofutures::detail::loop_core;

TEST_CASE("functions posted from several threads each run once on the loop thread, in each thread's order",
          "[loop_core][thread]") {
  asio::io_context ctx{1};
  auto core = std::make_shared<loop_core>(ctx);
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::vector<std::vector<int>> seen(threads);  // written on the loop thread only
  std::thread::id loop_thread = std::this_thread::get_id();
  bool off_loop = false;
  std::atomic<int> refused{0};  // Catch2's REQUIRE is for the test's own thread
  // The loop runs while the threads post: drains begin and end under them.
  auto guard = asio::make_work_guard(ctx);
  std::jthread posting([&] {
    {
      std::vector<std::jthread> posters;
      for (int t = 0; t < threads; ++t) {
        posters.emplace_back([&, t] {
          for (int i = 0; i < per_thread; ++i) {
            bool posted = core->try_post([&, t, i] {
              if (std::this_thread::get_id() != loop_thread) off_loop = true;
              seen[static_cast<std::size_t>(t)].push_back(i);
            });
            if (!posted) ++refused;
          }
        });
      }
    }  // joined: everything is posted
    if (!core->try_post([&] { guard.reset(); })) ++refused;
  });
  ctx.run();
  REQUIRE(refused == 0);
  REQUIRE_FALSE(off_loop);
  for (const auto& s : seen) {
    REQUIRE(s.size() == per_thread);
    for (int i = 0; i < per_thread; ++i) REQUIRE(s[static_cast<std::size_t>(i)] == i);
  }
}

TEST_CASE("what is posted through the core and straight to Asio from one thread keeps that order",
          "[loop_core]") {
  asio::io_context ctx{1};
  auto core = std::make_shared<loop_core>(ctx);
  std::vector<int> order;
  REQUIRE(core->try_post([&] { order.push_back(1); }));
  asio::post(ctx, [&] { order.push_back(2); });
  // Queued while the first drain is still waiting: it runs with it, ahead of
  // the Asio handler posted later...
  REQUIRE(core->try_post([&] { order.push_back(3); }));
  asio::post(ctx, [&] {
    order.push_back(4);
    // ...and one posted while the loop runs goes behind what Asio holds.
    REQUIRE(core->try_post([&] { order.push_back(6); }));
    asio::post(ctx, [&] { order.push_back(7); });
  });
  asio::post(ctx, [&] { order.push_back(5); });
  ctx.run();
  REQUIRE(order == std::vector<int>{1, 3, 2, 4, 5, 6, 7});
}

TEST_CASE("a posted function that throws leaves run(); the rest run next time, ahead of later ones",
          "[loop_core]") {
  asio::io_context ctx{1};
  auto core = std::make_shared<loop_core>(ctx);
  std::vector<int> order;
  REQUIRE(core->try_post([&] { order.push_back(1); }));
  REQUIRE(core->try_post([] { throw std::runtime_error("from a posted function"); }));
  REQUIRE(core->try_post([&] { order.push_back(2); }));
  REQUIRE(core->try_post([&] { order.push_back(3); }));
  REQUIRE_THROWS_WITH(ctx.run(), "from a posted function");
  REQUIRE(order == std::vector<int>{1});
  REQUIRE(core->try_post([&] { order.push_back(4); }));
  ctx.restart();
  ctx.run();
  REQUIRE(order == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("a closed core refuses posts and drops what it still held, unrun", "[loop_core]") {
  asio::io_context ctx{1};
  auto core = std::make_shared<loop_core>(ctx);
  auto held = std::make_shared<int>(0);
  std::weak_ptr<int> watch = held;
  bool ran = false;
  REQUIRE(core->try_post([&ran, held = std::move(held)] { ran = true; }));
  core->close();
  REQUIRE(watch.expired());
  REQUIRE(core->closed());
  REQUIRE_FALSE(core->try_post([&] { ran = true; }));
  ctx.run();  // the drain Asio still holds finds nothing
  REQUIRE_FALSE(ran);
}

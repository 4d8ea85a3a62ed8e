#include <cofutures/progress_bar.hpp>

#include <cofutures/as_completed.hpp>
#include <cofutures/future.hpp>
#include <cofutures/progress.hpp>
#include <cofutures/promise.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <iostream>
#include <ranges>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "support/progress_test_helpers.hpp"

// When a progress_bar draws (intervals, refresh, close), in which mode, and
// from how many threads. Expected lines come from tqdm 4.64's format_meter.

using namespace std::chrono_literals;
using cofutures::progress_bar;
using cofutures::progress_options;

using namespace progress_test;

TEST_CASE("update() inside min_interval draws nothing; after it, it draws", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  progress_bar bar(in_place(out, clock, 10));
  const std::string first = "\r  0%|          | 0/10 [00:00<?, ?it/s]";
  REQUIRE(out.str() == first);
  clock.advance(50ms);
  bar.update();
  clock.advance(49ms);
  bar.update();
  CHECK(out.str() == first);
  clock.advance(1ms);
  bar.update();
  CHECK(out.str() == first + "\r 30%|###       | 3/10 [00:00<00:00, 30.00it/s]");
  clock.advance(99ms);
  bar.update();
  CHECK(bar.n() == 4);
  CHECK(out.str() == first + "\r 30%|###       | 3/10 [00:00<00:00, 30.00it/s]");
}

TEST_CASE("set_description(refresh=true) draws at once; refresh=false waits for the next draw", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  progress_bar bar(in_place(out, clock, 10));
  out.str("");
  clock.advance(10ms);
  bar.set_description("Calculated 1");
  CHECK(out.str() == "\rCalculated 1:   0%|          | 0/10 [00:00<?, ?it/s]");
  out.str("");
  bar.set_description("Calculated 2", false);
  CHECK(out.str().empty());
  CHECK(bar.description() == "Calculated 2");
  clock.advance(100ms);
  bar.update();
  CHECK(out.str() == "\rCalculated 2:  10%|#         | 1/10 [00:00<00:00,  9.09it/s]");
  out.str("");
  bar.refresh();  // whatever the interval
  CHECK(out.str() == "\rCalculated 2:  10%|#         | 1/10 [00:00<00:00,  9.09it/s]");
}

TEST_CASE("the seed's set_description + update per step: two draws, or one with refresh=false",
          "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  const bool refresh = GENERATE(true, false);
  progress_bar bar(in_place(out, clock, 10));
  for (int i = 0; i < 3; ++i) {
    clock.advance(150ms);
    bar.set_description("Calculated " + std::to_string(i), refresh);
    bar.update();  // a set_description redraw does not restart the interval (tqdm)
  }
  const auto frames = split(out.str(), '\r');
  CHECK(frames.size() == (refresh ? 7u : 4u));
  CHECK(frames.back() == "Calculated 2:  30%|###       | 3/10 [00:00<00:01,  6.67it/s]");
}

TEST_CASE("terminal mode redraws in place and blanks a longer previous line", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  progress_bar bar(in_place(out, clock, 10, "a long description"));
  bar.set_description("short");
  bar.close();
  const std::string long_line = "a long description:   0%|          | 0/10 [00:00<?, ?it/s]";
  const std::string short_line = "short:   0%|          | 0/10 [00:00<?, ?it/s]";
  const std::string pad(long_line.size() - short_line.size(), ' ');
  CHECK(out.str() == "\r" + long_line + "\r" + short_line + pad + "\r" + short_line + "\n");
}

TEST_CASE("plain-lines mode writes whole lines, at most once per line_interval", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  auto options = every_line(out, clock, 30);
  options.min_interval = 100ms;
  options.line_interval = 1s;
  progress_bar bar(std::move(options));
  for (int i = 0; i < 25; ++i) {
    clock.advance(100ms);
    bar.update();
    bar.set_description("step " + std::to_string(i));  // throttled too in a log
  }
  bar.close();
  CHECK(out.str().find('\r') == std::string::npos);
  CHECK(out.str().back() == '\n');
  const std::vector<std::string> expected = {
      "  0%|          | 0/30 [00:00<?, ?it/s]",
      "step 8:  33%|###3      | 10/30 [00:01<00:02, 10.00it/s]",   // t = 1 s
      "step 18:  67%|######6   | 20/30 [00:02<00:01, 10.00it/s]",  // t = 2 s
      "step 24:  83%|########3 | 25/30 [00:02<00:00, 10.00it/s]",  // close()
  };
  CHECK(split(out.str()) == expected);
}

TEST_CASE("defaults for a string stream: plain lines, ASCII, no width limit", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  {
    progress_bar bar({.total = 3, .out = &out, .clock = clock.source()});
    bar.update(3);
  }
  CHECK(out.str() == "  0%|          | 0/3 [00:00<?, ?it/s]\n100%|##########| 3/3 [00:00<?, ?it/s]\n");
}

TEST_CASE("close() draws the final line once; the destructor adds nothing", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  std::string after_close;
  {
    progress_bar bar(in_place(out, clock, 5));
    clock.advance(10ms);
    bar.update(5);  // inside min_interval: not drawn
    clock.advance(990ms);
    bar.close();
    after_close = out.str();
    CHECK(bar.closed());
    bar.close();
    bar.update();
    bar.refresh();
    bar.set_description("late");
    CHECK(out.str() == after_close);
    CHECK(bar.n() == 6);  // still counts after close
  }
  CHECK(out.str() == after_close);
  CHECK(after_close ==
        "\r  0%|          | 0/5 [00:00<?, ?it/s]"
        "\r100%|##########| 5/5 [00:01<00:00,  5.00it/s]\n");
}

TEST_CASE("the destructor closes a bar that was not closed", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  {
    progress_bar bar(in_place(out, clock, 5));
    clock.advance(1s);
    bar.update(2);
  }
  CHECK(out.str() ==
        "\r  0%|          | 0/5 [00:00<?, ?it/s]"
        "\r 40%|####      | 2/5 [00:01<00:01,  2.00it/s]"    // update(): the interval passed
        "\r 40%|####      | 2/5 [00:01<00:01,  2.00it/s]\n");  // the destructor's final line
}

TEST_CASE("concurrent update() from 4 threads counts every step", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  auto options = in_place(out, clock, 4000);
  options.min_interval = 0s;  // every update draws: the draws race too
  progress_bar bar(std::move(options));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&bar] {
      for (int i = 0; i < 1000; ++i) bar.update();
    });
  }
  for (auto& t : threads) t.join();
  clock.advance(4s);
  bar.close();
  CHECK(bar.n() == 4000);

  // Every frame is whole, and the counts went up by one, in order.
  const auto frames = split(out.str(), '\r');
  REQUIRE(frames.size() == 4002);
  bool in_order = true;
  for (std::size_t k = 0; k <= 4000; ++k) {
    in_order = in_order && frames[k].find("| " + std::to_string(k) + "/4000 [") != std::string::npos;
  }
  CHECK(in_order);
  CHECK(frames.back() == "100%|##########| 4000/4000 [00:04<00:00, 1000.00it/s]\n");
}

TEST_CASE("done-callbacks update the bar from the completing threads", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  std::deque<cofutures::promise<int>> promises(10);
  {
    progress_bar bar(in_place(out, clock, 10));
    for (auto& p : promises) {
      p.get_future().add_done_callback([&bar](cofutures::future<int> f) {
        bar.set_description("Calculated " + std::to_string(f.result()), false);
        bar.update();
      });
    }
    std::thread first([&] {
      for (int i = 0; i < 5; ++i) promises[i].set_result(i);
    });
    std::thread second([&] {
      for (int i = 5; i < 10; ++i) promises[i].set_result(i);
    });
    first.join();
    second.join();
    CHECK(bar.n() == 10);
    bar.set_description("done", false);
  }
  CHECK(out.str().ends_with("\rdone: 100%|##########| 10/10 [00:00<?, ?it/s]\n"));
}

TEST_CASE("progress(as_completed(...), total) counts every future and closes the bar", "[progress_bar]") {
  using range_type = cofutures::progress_range<cofutures::as_completed_range<cofutures::future<int>>>;
  static_assert(std::ranges::input_range<range_type>);

  std::ostringstream out;
  fake_clock clock;
  std::vector<cofutures::promise<int>> promises(5);
  std::vector<cofutures::future<int>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());

  SECTION("futures completed before iterating") {
    for (int i = 0; i < 5; ++i) promises[i].set_result(i);
    int sum = 0;
    std::size_t count = 0;
    auto wrapped = cofutures::progress(cofutures::as_completed(futures),
                                       progress_options{.total = futures.size(), .out = &out, .clock = clock.source()});
    for (auto& f : wrapped) {
      CHECK(wrapped.bar().n() == count++);
      sum += f.result();
    }
    CHECK(sum == 10);
    CHECK(wrapped.bar().n() == 5);
    CHECK(wrapped.bar().closed());
    CHECK(out.str().ends_with("100%|##########| 5/5 [00:00<?, ?it/s]\n"));
  }
  SECTION("futures completed from a thread while iterating; total from the range's size") {
    std::thread producer([&] {
      for (int i = 4; i >= 0; --i) promises[i].set_result(i);
    });
    std::vector<int> seen;
    auto wrapped = cofutures::progress(cofutures::as_completed(futures),
                                       progress_options{.out = &out, .clock = clock.source()});
    for (auto& f : wrapped) seen.push_back(f.result());
    producer.join();
    std::sort(seen.begin(), seen.end());
    CHECK(seen == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(wrapped.bar().total() == std::size_t{5});
    CHECK(wrapped.bar().n() == 5);
    CHECK(wrapped.bar().closed());
  }
  SECTION("an element counts once the loop moves past it; break closes at destruction") {
    for (int i = 0; i < 5; ++i) promises[i].set_result(i);
    {
      auto wrapped = cofutures::progress(futures, progress_options{.out = &out, .clock = clock.source()});
      std::size_t index = 0;
      for (auto& f : wrapped) {
        CHECK(wrapped.bar().n() == index++);
        if (f.result() == 2) break;
      }
      CHECK(wrapped.bar().n() == 2);
      CHECK_FALSE(wrapped.bar().closed());
    }
    CHECK(out.str().ends_with(" 40%|####      | 2/5 [00:00<?, ?it/s]\n"));
  }
  SECTION("the plain total overload draws on std::cerr; an empty range closes at begin()") {
    std::ostringstream err;
    {
      struct restore {
        std::streambuf* saved;
        ~restore() { std::cerr.rdbuf(saved); }
      } guard{std::cerr.rdbuf(err.rdbuf())};
      std::vector<cofutures::future<int>> none;
      auto wrapped = cofutures::progress(cofutures::as_completed(none), 0);
      for (auto& f : wrapped) (void)f;
      CHECK(wrapped.bar().n() == 0);
      CHECK(wrapped.bar().closed());
    }
    // A total of 0 renders as unknown, as in tqdm; in place or plain, the
    // text ends the same way.
    CHECK(err.str().ends_with("0it [00:00, ?it/s]\n"));
  }
}

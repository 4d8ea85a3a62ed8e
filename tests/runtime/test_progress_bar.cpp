#include <cofutures/progress_bar.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/progress_test_helpers.hpp"

// How a progress_bar renders: bar, counts, rate, remaining time, width.
// Expected lines come from tqdm 4.64's own format_meter with the same
// n, total, elapsed and options (ascii=True unless the test is Unicode).

using namespace std::chrono_literals;
using cofutures::progress_bar;
using cofutures::progress_options;

using namespace progress_test;

namespace {

// Walks a 16-step bar from 0 to 16, comparing each rendering.
void check_sixteen_steps(bool ascii, const std::vector<std::string>& expected) {
  std::ostringstream out;
  fake_clock clock;
  auto options = every_line(out, clock, 16);
  options.ascii = ascii;
  progress_bar bar(std::move(options));
  for (std::size_t n = 0; n <= 16; ++n) {
    CHECK(bar.str() == expected[n]);
    bar.update();
  }
}

}  // namespace

TEST_CASE("known total renders like tqdm at 0%, 40% and 100%", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  progress_bar bar(every_line(out, clock, 10, "desc"));
  clock.advance(2s);
  bar.update(4);
  clock.advance(3s);
  bar.update(6);
  bar.close();
  const std::vector<std::string> expected = {
      "desc:   0%|          | 0/10 [00:00<?, ?it/s]",
      "desc:  40%|####      | 4/10 [00:02<00:03,  2.00it/s]",
      "desc: 100%|##########| 10/10 [00:05<00:00,  2.00it/s]",  // update(6)
      "desc: 100%|##########| 10/10 [00:05<00:00,  2.00it/s]",  // close()
  };
  CHECK(split(out.str()) == expected);
  CHECK(bar.n() == 10);
  CHECK(bar.total() == std::size_t{10});
  CHECK(bar.description() == "desc");
  bar.set_description("", false);  // no description: no prefix at all
  CHECK(bar.str() == "100%|##########| 10/10 [00:05<00:00,  2.00it/s]");
  bar.set_description("desc: ", false);  // tqdm keeps a prefix that already ends in ": "
  CHECK(bar.str() == "desc: 100%|##########| 10/10 [00:05<00:00,  2.00it/s]");
}

TEST_CASE("ASCII bar: partial cells use the digits 1-9, full cells '#'", "[progress_bar]") {
  const std::vector<std::string> expected = {
      "  0%|          | 0/16 [00:00<?, ?it/s]",  "  6%|6         | 1/16 [00:00<?, ?it/s]",
      " 12%|#2        | 2/16 [00:00<?, ?it/s]",  " 19%|#8        | 3/16 [00:00<?, ?it/s]",
      " 25%|##5       | 4/16 [00:00<?, ?it/s]",  " 31%|###1      | 5/16 [00:00<?, ?it/s]",
      " 38%|###7      | 6/16 [00:00<?, ?it/s]",  " 44%|####3     | 7/16 [00:00<?, ?it/s]",
      " 50%|#####     | 8/16 [00:00<?, ?it/s]",  " 56%|#####6    | 9/16 [00:00<?, ?it/s]",
      " 62%|######2   | 10/16 [00:00<?, ?it/s]", " 69%|######8   | 11/16 [00:00<?, ?it/s]",
      " 75%|#######5  | 12/16 [00:00<?, ?it/s]", " 81%|########1 | 13/16 [00:00<?, ?it/s]",
      " 88%|########7 | 14/16 [00:00<?, ?it/s]", " 94%|#########3| 15/16 [00:00<?, ?it/s]",
      "100%|##########| 16/16 [00:00<?, ?it/s]",
  };
  check_sixteen_steps(true, expected);
}

TEST_CASE("Unicode bar uses full and partial blocks", "[progress_bar]") {
  const std::vector<std::string> expected = {
      "  0%|          | 0/16 [00:00<?, ?it/s]",  "  6%|▋         | 1/16 [00:00<?, ?it/s]",
      " 12%|█▎        | 2/16 [00:00<?, ?it/s]",  " 19%|█▉        | 3/16 [00:00<?, ?it/s]",
      " 25%|██▌       | 4/16 [00:00<?, ?it/s]",  " 31%|███▏      | 5/16 [00:00<?, ?it/s]",
      " 38%|███▊      | 6/16 [00:00<?, ?it/s]",  " 44%|████▍     | 7/16 [00:00<?, ?it/s]",
      " 50%|█████     | 8/16 [00:00<?, ?it/s]",  " 56%|█████▋    | 9/16 [00:00<?, ?it/s]",
      " 62%|██████▎   | 10/16 [00:00<?, ?it/s]", " 69%|██████▉   | 11/16 [00:00<?, ?it/s]",
      " 75%|███████▌  | 12/16 [00:00<?, ?it/s]", " 81%|████████▏ | 13/16 [00:00<?, ?it/s]",
      " 88%|████████▊ | 14/16 [00:00<?, ?it/s]", " 94%|█████████▍| 15/16 [00:00<?, ?it/s]",
      "100%|██████████| 16/16 [00:00<?, ?it/s]",
  };
  check_sixteen_steps(false, expected);
  std::ostringstream out;
  fake_clock clock;
  progress_bar seven({.total = 7, .description = "x", .out = &out, .ascii = false, .clock = clock.source()});
  clock.advance(2s);
  seven.update(3);
  CHECK(seven.str() == "x:  43%|████▎     | 3/7 [00:02<00:02,  1.50it/s]");
}

TEST_CASE("unknown total shows only the count, elapsed time and rate", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  progress_bar bar(every_line(out, clock, std::nullopt, "desc"));
  CHECK(bar.str() == "desc: 0it [00:00, ?it/s]");
  clock.advance(2s);
  bar.update(4);
  CHECK(bar.str() == "desc: 4it [00:02,  2.00it/s]");
  CHECK_FALSE(bar.total().has_value());

  SECTION("a total of 0, or a count past the total, renders as unknown (tqdm)") {
    progress_bar zero(every_line(out, clock, 0, "desc"));
    zero.update(4);
    clock.advance(2s);
    CHECK(zero.str() == "desc: 4it [00:02,  2.00it/s]");
    progress_bar over(every_line(out, clock, 10, "desc"));
    over.update(11);
    clock.advance(2s);
    CHECK(over.str() == "desc: 11it [00:02,  5.50it/s]");
  }
  SECTION("the unit option replaces 'it'") {
    auto options = every_line(out, clock, 10, "dl");
    options.unit = "B";
    progress_bar bytes(std::move(options));
    clock.advance(2s);
    bytes.update(4);
    CHECK(bytes.str() == "dl:  40%|####      | 4/10 [00:02<00:03,  2.00B/s]");
  }
}

TEST_CASE("rate and remaining time", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  progress_bar bar(every_line(out, clock, 10));

  SECTION("?it/s and ? remaining until something was counted") {
    CHECK(bar.str() == "  0%|          | 0/10 [00:00<?, ?it/s]");
    clock.advance(5s);
    CHECK(bar.str() == "  0%|          | 0/10 [00:05<?, ?it/s]");
  }
  SECTION("?it/s when no time has passed, even with a count") {
    bar.update(5);
    CHECK(bar.str() == " 50%|#####     | 5/10 [00:00<?, ?it/s]");
  }
  SECTION("a rate below one per second shows seconds per item") {
    clock.advance(5s);
    bar.update(2);
    CHECK(bar.str() == " 20%|##        | 2/10 [00:05<00:20,  2.50s/it]");
  }
  SECTION("exactly one per second is still it/s") {
    clock.advance(3s);
    bar.update(3);
    CHECK(bar.str() == " 30%|###       | 3/10 [00:03<00:07,  1.00it/s]");
  }
  SECTION("H:MM:SS past an hour, hours unbounded") {
    clock.advance(3725s);
    bar.update(5);
    CHECK(bar.str() == " 50%|#####     | 5/10 [1:02:05<1:02:05, 745.00s/it]");
    clock.advance(96275s);
    CHECK(bar.str() == " 50%|#####     | 5/10 [27:46:40<27:46:40, 20000.00s/it]");
  }
  SECTION("fast rates grow wider, elapsed time truncates") {
    clock.advance(1999ms);
    bar.update(4);
    CHECK(bar.str() == " 40%|####      | 4/10 [00:01<00:02,  2.00it/s]");
    progress_bar fast(every_line(out, clock, 4000));
    clock.advance(4s);
    fast.update(4000);
    CHECK(fast.str() == "100%|##########| 4000/4000 [00:04<00:00, 1000.00it/s]");
  }
}

TEST_CASE("ncols sizes the bar to the line, 0 drops it, long lines are cut", "[progress_bar]") {
  std::ostringstream out;
  fake_clock clock;
  auto options = every_line(out, clock, 10, "desc");
  options.ncols = 60;
  progress_bar wide(options);
  options.ncols = 0;
  progress_bar bare(options);
  options.ncols = 30;
  options.description = "a very long description here";
  progress_bar cut(options);
  clock.advance(2s);
  for (auto* bar : {&wide, &bare, &cut}) bar->update(4);
  CHECK(wide.str() == "desc:  40%|#######2          | 4/10 [00:02<00:03,  2.00it/s]");
  CHECK(bare.str() == "desc:  40% 4/10 [00:02<00:03,  2.00it/s]");
  CHECK(cut.str() == "a very long description here: ");
}

#pragma once
// What the progress_bar tests share: a clock moved by hand, the two output
// modes with a line per draw, and a splitter for what was written.

#include <cofutures/progress_bar.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace progress_test {

using cofutures::progress_options;
using namespace std::chrono_literals;

// A clock the test moves by hand; the bar reads it under its lock.
struct fake_clock {
  std::chrono::steady_clock::time_point now{};
  void advance(std::chrono::steady_clock::duration d) { now += d; }
  std::function<std::chrono::steady_clock::time_point()> source() { return [this] { return now; }; }
};

// Plain lines, a line per draw: every update, refresh and close shows up.
inline progress_options every_line(std::ostringstream& out, fake_clock& clock, std::optional<std::size_t> total,
                                   std::string description = {}) {
  return {.total = total,
          .description = std::move(description),
          .out = &out,
          .min_interval = 0s,
          .line_interval = 0s,
          .ascii = true,
          .terminal = false,
          .clock = clock.source()};
}

// In place, with tqdm's default 100 ms minimum interval.
inline progress_options in_place(std::ostringstream& out, fake_clock& clock, std::optional<std::size_t> total,
                                 std::string description = {}) {
  return {.total = total,
          .description = std::move(description),
          .out = &out,
          .ascii = true,
          .terminal = true,
          .clock = clock.source()};
}

// The non-empty pieces of `text` between separators: lines, or frames.
inline std::vector<std::string> split(const std::string& text, char separator = '\n') {
  std::vector<std::string> pieces;
  std::istringstream in(text);
  for (std::string piece; std::getline(in, piece, separator);) {
    if (!piece.empty()) pieces.push_back(piece);
  }
  return pieces;
}

}  // namespace progress_test

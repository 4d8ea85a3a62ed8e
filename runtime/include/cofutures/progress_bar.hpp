#pragma once
/// @file progress_bar.hpp
/// progress_bar: tqdm's manual bar (`with tqdm(total=n) as pbar:
/// pbar.update()`), rendered like tqdm's format_meter:
///
///     desc:  40%|####      | 4/10 [00:02<00:03,  2.00it/s]
///
/// redrawn in place on a terminal, written as plain periodic lines to
/// anything else (a log file, a pipe), safe to update from done-callbacks.

#include <chrono>
#include <cstddef>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>

namespace cofutures {

/// How a progress_bar counts, renders and redraws. Use designated
/// initializers: `progress_bar bar({.total = 10, .description = "fetch"});`
struct progress_options {
  // Every member has an initializer: GCC 12 warns on designated
  // initializers that skip members without one.
  using clock_type = std::chrono::steady_clock;

  /// The expected number of updates (tqdm's total). None, 0, or exceeded by
  /// n: the bar shows only `{n}it [{elapsed}, {rate}]`, like tqdm.
  std::optional<std::size_t> total{};
  /// The prefix (tqdm's desc); rendered as "description: " when not empty.
  std::string description{};
  /// Where to draw; tqdm's default is stderr. Must outlive the bar.
  std::ostream* out = &std::cerr;
  /// update() redraws only once this much time has passed since the last
  /// draw update() made (tqdm's mininterval, 0.1 s).
  clock_type::duration min_interval = std::chrono::milliseconds(100);
  /// Plain-lines mode (not a terminal) writes a line at most this often
  /// (counted from the last line of any kind), so a log gets a heartbeat,
  /// not one line per update. The effective period is
  /// max(min_interval, line_interval); 10 s is tqdm's maxinterval.
  clock_type::duration line_interval = std::chrono::seconds(10);
  /// The width of the whole line (tqdm's ncols): the bar stretches to fill
  /// it and a longer line is cut. 0: no bar, only the numbers. None: the
  /// terminal's width when `out` is a standard stream on a terminal (as
  /// tqdm), otherwise no limit and a 10-column bar.
  std::optional<std::size_t> ncols{};
  /// Force ASCII (" 123456789#") or Unicode blocks. None: Unicode when `out`
  /// is a standard stream on a terminal and the locale (LC_ALL, LC_CTYPE,
  /// LANG) is UTF-8; ASCII otherwise.
  std::optional<bool> ascii{};
  /// Force in-place redraws (true: `\r` + line) or plain lines (false:
  /// line + `\n`). None: in place when `out` is std::cerr/std::clog/
  /// std::cout and that file descriptor is a terminal; plain otherwise.
  std::optional<bool> terminal{};
  /// The unit shown after counts and in rates (tqdm's unit): "it".
  std::string unit = "it";
  /// The time source (tests pass a fake clock). Empty: steady_clock::now.
  /// Called with the bar's lock held, never concurrently for one bar.
  std::function<clock_type::time_point()> clock{};
};

/// A tqdm progress bar. It draws its first line at construction, redraws on
/// update() at most every min_interval (plain lines: every line_interval),
/// immediately on refresh() and set_description(text, true) (plain lines:
/// set_description is throttled like update), and draws the final line
/// plus a newline exactly once, at close() or destruction.
///
/// Rendering follows tqdm's format_meter; the rate is the overall average
/// n / elapsed (tqdm with smoothing=0), see progress_bar.cpp for details.
///
/// Thread safety: every member may be called from any thread concurrently
/// (one mutex), so done-callbacks on pool threads may update the bar.
/// Non-copyable, non-movable: callbacks hold references to it.
class progress_bar {
 public:
  using clock_type = progress_options::clock_type;

  /// Draws the initial line (0%, or 0it).
  /// @throws whatever writing to `out` throws (only with exceptions()).
  explicit progress_bar(progress_options options = {});
  /// A bar of `total` steps on stderr (tqdm(total=..., desc=...)).
  explicit progress_bar(std::size_t total, std::string description = {});
  /// close(); exceptions from the stream are swallowed.
  ~progress_bar();

  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

  /// Adds `n` to the count; redraws if min_interval passed since the last
  /// draw update() made (plain lines: line_interval since the last line).
  /// After close() it only counts.
  void update(std::size_t n = 1);
  /// Sets the prefix. refresh=true redraws now (in plain-lines mode: if
  /// line_interval passed); refresh=false keeps it for the next draw, the
  /// cheap choice when called on every step (tqdm's caveat).
  void set_description(std::string text, bool refresh = true);
  /// Redraws now, whatever the interval. No effect after close().
  void refresh();
  /// Draws the final line and a newline; later calls do nothing.
  void close();

  /// The count so far.
  std::size_t n() const;
  std::optional<std::size_t> total() const;
  std::string description() const;
  bool closed() const;
  /// The line as it would be drawn now (tqdm's str(bar)), without `\r`.
  std::string str() const;

 private:
  clock_type::time_point now() const;
  std::string render(clock_type::time_point now) const;
  void draw(clock_type::time_point now, bool final_line);
  bool interval_passed(clock_type::time_point now) const;

  mutable std::mutex m_mutex;  // update() arrives from done-callbacks on pool threads
  progress_options m_options;  // resolved at construction: ncols, ascii, terminal, clock
  std::size_t m_n = 0;
  clock_type::time_point m_start;
  clock_type::time_point m_last_draw;  // restarts the redraw interval (tqdm's last_print_t)
  std::size_t m_last_width = 0;  // columns of the previous in-place line, to erase its tail
  bool m_closed = false;
};

}  // namespace cofutures

#include <cofutures/progress_bar.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

// Rendering follows tqdm 4.x std.py (format_meter, format_interval, Bar,
// status_printer). Deliberate differences, each for a reason:
// - The rate is always the overall average n / elapsed (tqdm with
//   smoothing=0). tqdm's default EMA over the deltas between draws jumps
//   about when futures complete in bursts; its final line uses the overall
//   average too, so closed bars read the same.
// - There is no miniters: checking the clock is cheap here. As in tqdm,
//   min_interval counts from the last draw update() made, so the seed's
//   `set_description(...); update();` draws both (tqdm's refresh caveat).
// - Display width counts code points: tqdm counts East Asian wide
//   characters as two columns and skips ANSI escapes.
// - Plain-lines mode (not a terminal) is ours: tqdm writes `\r` frames to
//   files and pipes too, which floods logs. There every line written
//   restarts line_interval, and set_description waits for it as well.
// - After close(), update() still counts (tqdm ignores it): n() stays
//   truthful for callbacks that arrive late.

namespace cofutures {
namespace {

// ---------------------------------------------------------------- formatting

std::string format_double(const char* format, double value) {
  const int length = std::snprintf(nullptr, 0, format, value);
  std::string out(static_cast<std::size_t>(std::max(length, 0)), '\0');
  std::snprintf(out.data(), out.size() + 1, format, value);
  return out;
}

// tqdm.format_interval: [H:]MM:SS of int(t) (truncated, not rounded).
std::string format_interval(double seconds) {
  // Clamped so an absurd ETA cannot overflow the conversion.
  const auto total = static_cast<long long>(std::clamp(seconds, 0.0, 1e15));
  const long long h = total / 3600;
  const long long m = total / 60 % 60;
  const long long s = total % 60;
  char buf[48];
  if (h != 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", m, s);
  }
  return buf;
}

// Columns a UTF-8 string takes: one per code point (see the note above).
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// tqdm's disp_trim: the first `columns` code points.
std::string display_trim(std::string s, std::size_t columns) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (seen++ == columns) {
      s.resize(i);
      break;
    }
  }
  return s;
}

// tqdm's Bar.ASCII and Bar.UTF: blank, partial cells, full cell. The UTF
// blocks are spelled as bytes so the source charset cannot change them.
constexpr std::string_view ascii_charset[] = {" ", "1", "2", "3", "4", "5", "6", "7", "8", "9", "#"};
constexpr std::string_view utf_charset[] = {
    " ",
    "\xE2\x96\x8F",  // U+258F left one eighth block
    "\xE2\x96\x8E",  // U+258E
    "\xE2\x96\x8D",  // U+258D
    "\xE2\x96\x8C",  // U+258C left half block
    "\xE2\x96\x8B",  // U+258B
    "\xE2\x96\x8A",  // U+258A
    "\xE2\x96\x89",  // U+2589
    "\xE2\x96\x88",  // U+2588 full block
};

// Bar.__format__: int(frac * width * nsyms) split into full cells and one
// partial cell, then blanks. Same operation order as Python, so the same
// doubles round the same way.
std::string format_bar(double frac, std::size_t width, bool ascii) {
  const std::string_view* charset = ascii ? ascii_charset : utf_charset;
  const long long nsyms = ascii ? 10 : 8;
  frac = std::clamp(frac, 0.0, 1.0);
  const auto cells = static_cast<long long>(frac * static_cast<double>(width) * static_cast<double>(nsyms));
  const auto full = static_cast<std::size_t>(cells / nsyms);
  std::string out;
  for (std::size_t i = 0; i < full; ++i) out += charset[nsyms];
  if (full < width) {
    out += charset[cells % nsyms];
    out.append(width - full - 1, ' ');
  }
  return out;
}

struct meter {
  std::size_t n;
  std::optional<std::size_t> total;
  double elapsed;  // seconds
  std::optional<std::size_t> ncols;
  std::string_view prefix;
  bool ascii;
  std::string_view unit;
};

// tqdm's rate_fmt: "x.xxit/s", or "x.xxs/it" when an item takes over a
// second, "?it/s" before any rate is known (no time elapsed, or n == 0).
std::string format_rate(std::optional<double> rate, std::string_view unit) {
  if (rate && *rate != 0 && 1 / *rate > 1) return format_double("%5.2f", 1 / *rate) + "s/" + std::string(unit);
  const std::string number = rate && *rate != 0 ? format_double("%5.2f", *rate) : "?";
  return number + std::string(unit) + "/s";
}

// tqdm.format_meter with bar_format=None, unit_scale=False, no postfix.
std::string format_meter(const meter& m) {
  std::optional<double> rate;
  if (m.elapsed > 0) rate = static_cast<double>(m.n) / m.elapsed;
  const bool has_rate = rate && *rate != 0;
  const std::string rate_fmt = format_rate(rate, m.unit);
  const std::string elapsed = format_interval(m.elapsed);

  std::string l_bar;
  if (!m.prefix.empty()) {
    l_bar = m.prefix;
    if (!m.prefix.ends_with(": ")) l_bar += ": ";  // tqdm's "old prefix" rule
  }
  // tqdm: a total of 0, or one exceeded (n >= total + 0.5), is unknown.
  if (!m.total || *m.total == 0 || m.n > *m.total) {
    return l_bar + std::to_string(m.n) + std::string(m.unit) + " [" + elapsed + ", " + rate_fmt + "]";
  }

  const std::size_t total = *m.total;
  const double frac = static_cast<double>(m.n) / static_cast<double>(total);
  const std::string remaining = has_rate ? format_interval(static_cast<double>(total - m.n) / *rate) : "?";
  l_bar += format_double("%3.0f", frac * 100) + "%|";
  const std::string r_bar = "| " + std::to_string(m.n) + "/" + std::to_string(total) + " [" + elapsed + "<" +
                            remaining + ", " + rate_fmt + "]";
  if (m.ncols == std::size_t{0}) return l_bar.substr(0, l_bar.size() - 1) + r_bar.substr(1);

  std::size_t width = 10;  // tqdm's fallback bar when the line width is unknown
  if (m.ncols) {
    const std::size_t rest = display_width(l_bar) + display_width(r_bar);
    width = *m.ncols > rest ? *m.ncols - rest : 1;
  }
  std::string line = l_bar + format_bar(frac, width, m.ascii) + r_bar;
  return m.ncols ? display_trim(std::move(line), *m.ncols) : line;
}

// ------------------------------------------------------------ the terminal

// The file descriptor behind a standard stream, or -1.
int standard_fd(const std::ostream* out) {
  if (out == &std::cerr || out == &std::clog) return STDERR_FILENO;
  if (out == &std::cout) return STDOUT_FILENO;
  return -1;
}

// Python's own guess at the terminal's encoding comes from the locale.
bool utf8_locale() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    std::string v(value);
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    return v.find("utf-8") != std::string::npos || v.find("utf8") != std::string::npos;
  }
  return false;
}

// tqdm's _screen_shape_linux: the window's columns, else $COLUMNS - 1.
std::optional<std::size_t> screen_columns(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long value = std::strtol(columns, &end, 10);
    if (end != columns && *end == '\0' && value > 1) return static_cast<std::size_t>(value - 1);
  }
  return std::nullopt;
}

}  // namespace

// --------------------------------------------------------------- the bar

progress_bar::progress_bar(progress_options options) : m_options(std::move(options)) {
  if (m_options.out == nullptr) m_options.out = &std::cerr;  // tqdm's file=None
  if (!m_options.clock) m_options.clock = [] { return clock_type::now(); };
  const int fd = standard_fd(m_options.out);
  const bool tty = fd >= 0 && ::isatty(fd) == 1;
  if (!m_options.terminal) m_options.terminal = tty;
  if (!m_options.ascii) m_options.ascii = !(tty && utf8_locale());
  if (!m_options.ncols && fd >= 0) m_options.ncols = screen_columns(fd);
  if (fd >= 0) {
    // As tqdm: text the program already printed goes out before the bar.
    std::cout.flush();
    std::cerr.flush();
  }
  std::lock_guard lock(m_mutex);  // not shared yet; keeps "m_* under m_mutex" true
  m_start = m_last_draw = now();
  draw(m_start, false);
}

progress_bar::progress_bar(std::size_t total, std::string description)
    : progress_bar(progress_options{.total = total, .description = std::move(description)}) {}

progress_bar::~progress_bar() {
  try {
    close();
  } catch (...) {
    // A stream set to throw must not terminate the program from a destructor.
  }
}

void progress_bar::update(std::size_t n) {
  std::lock_guard lock(m_mutex);  // callbacks on pool threads update concurrently
  m_n += n;
  if (m_closed) return;
  const auto t = now();
  if (interval_passed(t)) {
    m_last_draw = t;  // set first: a throwing stream must not make every update retry
    draw(t, false);
  }
}

void progress_bar::set_description(std::string text, bool refresh) {
  std::lock_guard lock(m_mutex);  // a draw on another thread reads the text
  m_options.description = std::move(text);
  if (!refresh || m_closed) return;
  const auto t = now();
  if (*m_options.terminal) {
    draw(t, false);  // tqdm: does not restart update()'s interval
  } else if (interval_passed(t)) {
    m_last_draw = t;  // a log gets the new text at the next heartbeat, not a line per call
    draw(t, false);
  }
}

void progress_bar::refresh() {
  std::lock_guard lock(m_mutex);  // one draw at a time, whole lines on the stream
  if (m_closed) return;
  const auto t = now();
  if (!*m_options.terminal) m_last_draw = t;  // the line just written is the heartbeat
  draw(t, false);
}

void progress_bar::close() {
  std::lock_guard lock(m_mutex);  // close() races with late callbacks' update()
  if (m_closed) return;
  m_closed = true;
  draw(now(), true);
}

std::size_t progress_bar::n() const {
  std::lock_guard lock(m_mutex);  // written by update() on any thread
  return m_n;
}

std::optional<std::size_t> progress_bar::total() const {
  return m_options.total;  // const after construction: no lock needed
}

std::string progress_bar::description() const {
  std::lock_guard lock(m_mutex);  // set_description() may run on any thread
  return m_options.description;
}

bool progress_bar::closed() const {
  std::lock_guard lock(m_mutex);  // close() may run on any thread
  return m_closed;
}

std::string progress_bar::str() const {
  std::lock_guard lock(m_mutex);  // reads the count and text other threads write
  return render(now());
}

// ------------------------------------------------ private, m_mutex is held

progress_bar::clock_type::time_point progress_bar::now() const { return m_options.clock(); }

std::string progress_bar::render(clock_type::time_point now) const {
  const double elapsed = std::max(0.0, std::chrono::duration<double>(now - m_start).count());
  return format_meter(meter{.n = m_n,
                            .total = m_options.total,
                            .elapsed = elapsed,
                            .ncols = m_options.ncols,
                            .prefix = m_options.description,
                            .ascii = *m_options.ascii,
                            .unit = m_options.unit});
}

bool progress_bar::interval_passed(clock_type::time_point now) const {
  const auto interval =
      *m_options.terminal ? m_options.min_interval : std::max(m_options.min_interval, m_options.line_interval);
  return now - m_last_draw >= interval;
}

void progress_bar::draw(clock_type::time_point now, bool final_line) {
  const std::string line = render(now);
  std::string text;
  if (*m_options.terminal) {
    // tqdm's status_printer: back to column 0, then blank out whatever the
    // previous, longer line left behind.
    const std::size_t width = display_width(line);
    text = '\r' + line + std::string(m_last_width > width ? m_last_width - width : 0, ' ');
    m_last_width = width;
    if (final_line) text += '\n';
  } else {
    text = line + '\n';
  }
  m_options.out->write(text.data(), static_cast<std::streamsize>(text.size()));
  m_options.out->flush();
}

}  // namespace cofutures

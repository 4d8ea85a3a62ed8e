#pragma once
// What every workload program shares: `--name value` options, a clock,
// RSS readings, and the one JSON line it prints for bench/run:
//   {"workload": "...", "impl": "...", "seconds": 1.25, "ops": 1000000, ...}

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bench {

/// `--name value` pairs; anything else is an error (the runner passes only these).
class args {
 public:
  args(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0 || i + 1 >= argc) throw std::invalid_argument("expected --name value, got " + a);
      m_values[a.substr(2)] = argv[++i];
    }
  }
  long number(const std::string& name, long fallback) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? fallback : static_cast<long>(std::stod(it->second));  // 1e6 is fine
  }
  std::string text(const std::string& name, std::string fallback) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? std::move(fallback) : it->second;
  }

 private:
  std::map<std::string, std::string> m_values;
};

class stopwatch {
 public:
  void restart() { m_start = std::chrono::steady_clock::now(); }
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count(); }

 private:
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

/// Resident set size now, in bytes (/proc/self/statm).
inline long rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

/// The largest resident set size so far, in bytes.
inline long peak_rss_bytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss * 1024L;
}

/// The result line. extra() adds numeric fields (bytes_per_future, peak_rss_mib...).
class result {
 public:
  result(std::string workload, std::string impl) : m_workload(std::move(workload)), m_impl(std::move(impl)) {}
  result& extra(const std::string& name, double value) {
    m_extra.emplace_back(name, value);
    return *this;
  }
  void print(double seconds, long ops) const {
    std::ostringstream out;
    out.precision(9);
    out << R"({"workload": ")" << m_workload << R"(", "impl": ")" << m_impl << R"(", "seconds": )" << seconds
        << R"(, "ops": )" << ops;
    for (const auto& [name, value] : m_extra) out << ", \"" << name << "\": " << value;
    out << "}\n";
    std::fputs(out.str().c_str(), stdout);
    std::fflush(stdout);
  }

 private:
  std::string m_workload, m_impl;
  std::vector<std::pair<std::string, double>> m_extra;
};

/// Fails the benchmark loudly: a wrong answer must not pass as a fast one.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bench: check failed: %s\n", what);
    std::exit(2);
  }
}

}  // namespace bench

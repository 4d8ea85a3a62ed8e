// process round trip, raw pipe baseline: a forked child reads an int from
// one pipe and writes it back plus one on another; the parent ping-pongs.
//   process_round_trip_pipe --n 20000
#include "common.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace {

bool read_int(int fd, int& value) {
  for (;;) {
    ssize_t r = ::read(fd, &value, sizeof value);
    if (r == sizeof value) return true;
    if (r < 0 && errno == EINTR) continue;
    return false;  // EOF: the other side is done (a 4-byte pipe write is atomic)
  }
}

void write_int(int fd, int value) {
  while (::write(fd, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench::args args(argc, argv);
  const long n = args.number("n", 20000);
  const long warmup = args.number("warmup", 100);
  int to_child[2], to_parent[2];
  bench::check(::pipe(to_child) == 0 && ::pipe(to_parent) == 0, "pipe");
  pid_t child = ::fork();
  bench::check(child >= 0, "fork");
  if (child == 0) {
    ::close(to_child[1]);
    ::close(to_parent[0]);
    int x = 0;
    while (read_int(to_child[0], x)) write_int(to_parent[1], x + 1);
    ::_exit(0);
  }
  ::close(to_child[0]);
  ::close(to_parent[1]);
  long sum = 0;
  bench::stopwatch clock;
  for (long i = 0; i < warmup + n; ++i) {
    if (i == warmup) clock.restart();
    int r = 0;
    write_int(to_child[1], 1);
    bench::check(read_int(to_parent[0], r), "the child answers");
    sum += r;
  }
  double seconds = clock.seconds();
  ::close(to_child[1]);
  ::waitpid(child, nullptr, 0);
  bench::check(sum == 2 * (warmup + n), "every task ran once");
  bench::result("process_round_trip", "pipe").print(seconds, n);
}

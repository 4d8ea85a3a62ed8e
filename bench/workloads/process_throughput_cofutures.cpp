// process throughput, cofutures: many trivial tasks on a process pool,
// either one submit each (then wait for all) or map with chunks of 1000.
//   process_throughput_cofutures --mode submit --n 100000 --workers 2
//   process_throughput_cofutures --mode map --n 1000000 --chunksize 1000 --workers 2
#include "common.hpp"

#include <cofutures/cofutures.hpp>

#include <numeric>
#include <vector>

namespace cf = cofutures;

int trivial(int x) { return x + 1; }

namespace {

long with_submit(cf::process_pool_executor& pool, long n) {
  std::vector<cf::future<int>> fs;
  fs.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) fs.push_back(pool.submit<&trivial>(static_cast<int>(i)));
  cf::wait(fs);
  long sum = 0;
  for (auto& f : fs) sum += f.result();
  return sum;
}

long with_map(cf::process_pool_executor& pool, long n, long chunksize) {
  std::vector<int> inputs(static_cast<std::size_t>(n));
  std::iota(inputs.begin(), inputs.end(), 0);
  long sum = 0;
  for (int r : pool.map<&trivial>(inputs, cf::map_options{.chunksize = chunksize})) sum += r;
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  cf::process_worker_main(argc, argv);
  bench::args args(argc, argv);
  const std::string mode = args.text("mode", "submit");
  const long n = args.number("n", mode == "map" ? 1000000 : 100000);
  const long chunksize = args.number("chunksize", 1000);
  const long workers = args.number("workers", 2);
  cf::process_pool_executor pool(workers);
  with_submit(pool, 4 * workers);  // start the workers (not timed)
  bench::stopwatch clock;
  long sum = mode == "map" ? with_map(pool, n, chunksize) : with_submit(pool, n);
  double seconds = clock.seconds();
  bench::check(sum == n * (n + 1) / 2, "every task ran once");
  bench::result(mode == "map" ? "process_map" : "process_throughput", "cofutures").print(seconds, n);
}

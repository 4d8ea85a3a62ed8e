// HTTP, cofutures: `n` GETs of one URL with `in-flight` coroutines on one
// loop, each awaiting http_client::async_get in turn.
//   http_cofutures --url http://127.0.0.1:PORT/small.html --n 20000 --in-flight 64 --workload http_small
#include "common.hpp"

#include <cofutures/cofutures.hpp>

#include <string>
#include <vector>

namespace cf = cofutures;

namespace {

struct totals {
  long started = 0;
  long ok = 0;
  long bytes = 0;
};

// One of the in-flight lanes: takes the next request until all are started.
asio::awaitable<void> lane(cf::http_client& client, const std::string& url, long n, totals& t) {
  while (t.started < n) {  // lanes all run on the loop thread: no races
    ++t.started;
    auto response = co_await client.async_get(url);
    if (response.status == 200) ++t.ok;
    t.bytes += static_cast<long>(response.body.size());
  }
}

// All lanes at once; rethrows a transport error.
asio::awaitable<totals> fetch_all(cf::event_loop& loop, cf::http_client& client, const std::string& url, long n,
                                  long in_flight) {
  totals t;
  std::vector<cf::future<void>> lanes;
  for (long i = 0; i < in_flight; ++i) lanes.push_back(loop.spawn(lane(client, url, n, t)));
  co_await cf::async_wait(lanes);
  for (auto& l : lanes) l.result();
  co_return t;
}

}  // namespace

int main(int argc, char** argv) {
  bench::args args(argc, argv);
  const std::string url = args.text("url", "");
  const long n = args.number("n", 20000);
  const long in_flight = args.number("in-flight", 64);
  bench::check(!url.empty(), "--url is given");
  totals t;
  double seconds = 0;
  cf::event_loop loop;
  loop.run([&]() -> asio::awaitable<void> {
    cf::http_client client(loop.get_executor());
    co_await fetch_all(loop, client, url, in_flight, in_flight);  // connect (not timed)
    bench::stopwatch clock;
    t = co_await fetch_all(loop, client, url, n, in_flight);
    seconds = clock.seconds();
  }());
  bench::check(t.ok == n, "every GET answered 200");
  bench::result(args.text("workload", "http"), "cofutures")
      .extra("bytes", static_cast<double>(t.bytes))
      .print(seconds, n);
}

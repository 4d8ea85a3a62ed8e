// HTTP, raw libcurl baseline: one multi handle, `in-flight` transfers at a
// time, a fresh easy handle per GET (curl's 10-at-a-time.c), driven by
// curl_multi_perform + curl_multi_poll.
//   http_curl --url http://127.0.0.1:PORT/small.html --n 20000 --in-flight 64 --workload http_small
#include "curl_transfers.hpp"

#include <curl/curl.h>

#include <string>

namespace {

using bench::curl::finish;
using bench::curl::start;
using bench::curl::totals;

totals fetch_all(CURLM* multi, const std::string& url, long n, long in_flight) {
  totals out;
  long started = 0;
  for (; started < n && started < in_flight; ++started) start(multi, url);
  int running = 1;
  while (running > 0 || started < n) {
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      finish(multi, msg, out);
      if (started < n) {
        start(multi, url);
        ++started;
        running = 1;  // go round again even if perform said 0
      }
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  bench::args args(argc, argv);
  const std::string url = args.text("url", "");
  const long n = args.number("n", 20000);
  const long in_flight = args.number("in-flight", 64);
  bench::check(!url.empty(), "--url is given");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM* multi = curl_multi_init();
  fetch_all(multi, url, in_flight, in_flight);  // connect (not timed)
  bench::stopwatch clock;
  totals t = fetch_all(multi, url, n, in_flight);
  double seconds = clock.seconds();
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  bench::check(t.ok == n, "every GET answered 200");
  bench::result(args.text("workload", "http"), "curl").extra("bytes", static_cast<double>(t.bytes)).print(seconds, n);
}

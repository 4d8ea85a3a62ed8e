// HTTP, raw libcurl baseline: one multi handle, `in-flight` transfers at a
// time, a fresh easy handle per GET (curl's 10-at-a-time.c), driven by
// curl_multi_perform + curl_multi_poll.
//   http_curl --url http://127.0.0.1:PORT/small.html --n 20000 --in-flight 64 --workload http_small
#include "common.hpp"

#include <curl/curl.h>

#include <memory>
#include <string>

namespace {

struct transfer {
  std::string body;
};

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<transfer*>(user)->body.append(data, size * count);
  return size * count;
}

struct totals {
  long ok = 0;
  long bytes = 0;
};

void start(CURLM* multi, const std::string& url) {
  CURL* easy = curl_easy_init();
  auto* t = new transfer;  // owned by the easy handle until it finishes
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
  curl_multi_add_handle(multi, easy);
}

void finish(CURLM* multi, CURLMsg* msg, totals& out) {
  CURL* easy = msg->easy_handle;
  transfer* raw = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
  std::unique_ptr<transfer> t(raw);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  bench::check(msg->data.result == CURLE_OK, curl_easy_strerror(msg->data.result));
  if (status == 200) ++out.ok;
  out.bytes += static_cast<long>(t->body.size());
  curl_multi_remove_handle(multi, easy);
  curl_easy_cleanup(easy);
}

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

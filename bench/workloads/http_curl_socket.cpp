// HTTP, raw libcurl on its multi_socket API: one epoll set that curl's
// socket callback fills and a timeout that its timer callback sets (curl's
// ephiperfifo.c example, without the FIFO), `in-flight` transfers at a time,
// a fresh easy handle per GET. The API an event loop integration uses (and
// cofutures' http_client does), with no loop library around it: it shows
// what that API itself costs next to http_curl's curl_multi_perform.
//   http_curl_socket --url http://127.0.0.1:PORT/small.html --n 20000 --in-flight 64 --workload http_small
#include "curl_transfers.hpp"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <string>

namespace {

using bench::curl::finish;
using bench::curl::start;
using bench::curl::totals;

struct driver {
  int epoll_fd = -1;
  long timeout_ms = -1;  // curl's last word: -1 none, 0 now
};

int on_socket(CURL*, curl_socket_t fd, int what, void* user, void*) {
  auto& d = *static_cast<driver*>(user);
  if (what == CURL_POLL_REMOVE) {
    ::epoll_ctl(d.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.data.fd = fd;
  ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  if (::epoll_ctl(d.epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0) ::epoll_ctl(d.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  return 0;
}

int on_timer(CURLM*, long timeout_ms, void* user) {
  static_cast<driver*>(user)->timeout_ms = timeout_ms;
  return 0;
}

// Finished transfers out, new ones in; returns how many finished.
long collect(CURLM* multi, const std::string& url, long n, long& started, totals& out) {
  long finished = 0;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    finish(multi, msg, out);
    ++finished;
    if (started < n) {
      start(multi, url);
      ++started;
    }
  }
  return finished;
}

totals fetch_all(CURLM* multi, driver& d, const std::string& url, long n, long in_flight) {
  totals out;
  long started = 0;
  long finished = 0;
  int running = 0;
  for (; started < n && started < in_flight; ++started) start(multi, url);
  while (finished < n) {
    if (d.timeout_ms == 0) {
      d.timeout_ms = -1;
      curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    } else {
      epoll_event events[128];
      int k = ::epoll_wait(d.epoll_fd, events, 128, d.timeout_ms < 0 ? 1000 : static_cast<int>(d.timeout_ms));
      if (k == 0) curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
      for (int i = 0; i < k; ++i) {
        int mask = ((events[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                   ((events[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                   ((events[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(multi, events[i].data.fd, mask, &running);
      }
    }
    finished += collect(multi, url, n, started, out);
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
  driver d;
  d.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  bench::check(d.epoll_fd >= 0, "epoll_create1");
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &on_socket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, &d);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &on_timer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, &d);
  fetch_all(multi, d, url, in_flight, in_flight);  // connect (not timed)
  bench::stopwatch clock;
  totals t = fetch_all(multi, d, url, n, in_flight);
  double seconds = clock.seconds();
  curl_multi_cleanup(multi);
  ::close(d.epoll_fd);
  curl_global_cleanup();
  bench::check(t.ok == n, "every GET answered 200");
  bench::result(args.text("workload", "http"), "curl_socket")
      .extra("bytes", static_cast<double>(t.bytes))
      .print(seconds, n);
}

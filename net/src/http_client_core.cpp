// http_client's engine: libcurl's multi_socket API on one serialized Asio
// executor (the loop's own, or a strand of a multi-threaded one).
// libcurl says which sockets to watch (socket callback) and when to time
// out (timer callback); Asio waits and calls back into curl. Rules kept
// (libtorrent's curl_pool approach): every fd curl reports is watched by a
// non-owning stream_descriptor, released (never closed) when curl drops
// it; curl is never called from inside one of its own callbacks; finished
// transfers are collected with curl_multi_info_read outside callbacks; wait
// handlers own what they touch (shared_ptr), never raw pointers into
// state curl can remove.

#include <cofutures/detail/http_client_core.hpp>
#include <cofutures/errors.hpp>
#include <cofutures/event_loop.hpp>
#include <cofutures/http_client.hpp>

#include "detail/easy_transfer.hpp"

#include <asio/detail/scheduler.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <curl/curl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace cofutures {

http_client::http_client() : http_client(http_client_options{}) {}

http_client::http_client(const http_client_options& options) {
  auto* loop = event_loop::current();
  if (loop == nullptr) {
    throw invalid_state_error("http_client() needs a running event_loop; pass an executor instead");
  }
  m_core = detail::make_http_client_core(loop->get_executor(), options);
}

namespace detail {
namespace {

// Idle easy handles kept for reuse: as many as a busy client has in flight
// at once, bounded (each holds a 16 KB receive buffer).
constexpr std::size_t kept_easy_handles = 64;

// The executor the client's handlers run on, one at a time. An io_context
// made with concurrency hint 1 (every event_loop's) is run by one thread:
// Asio documents the hint as that promise, so its handlers never overlap and
// a strand would only add a queue and a second dispatch to every socket
// event and timer (about 5,000 instructions per small GET, callgrind).
// Anything else (a thread pool, an io_context run by several threads) gets
// a strand. Asio exposes the hint only through its scheduler service
// (asio::detail); if that ever changes, the fallback is the strand.
asio::any_io_executor serialized(asio::any_io_executor executor) {
  if (const auto* io = executor.target<asio::io_context::executor_type>()) {
    auto& scheduler = asio::use_service<asio::detail::scheduler>(io->context());
    if (scheduler.concurrency_hint() == ASIO_CONCURRENCY_HINT_1) return executor;
  }
  return asio::make_strand(std::move(executor));
}

// One socket curl asked us to watch.
struct socket_watch {
  socket_watch(const asio::any_io_executor& ex, curl_socket_t fd, bool connection)
      : descriptor(ex, fd), fd(fd), connection(connection) {}
  asio::posix::stream_descriptor descriptor;  // non-owning: release(), never close
  curl_socket_t fd;
  // A connection's socket (opened by on_open_socket, closed by
  // on_close_socket): it stays registered with the reactor while curl keeps
  // the connection idle between transfers. Any other fd curl reports (a
  // resolver's socketpair) may be closed by curl without telling us, so it
  // is released as soon as curl stops watching it.
  bool connection;
  int wanted = 0;        // CURL_POLL_IN / OUT bits; 0 while the connection is idle
  bool reading = false;  // a wait_read is in flight
  bool writing = false;
  bool removed = false;  // released: late handlers must not call curl for it
};

}  // namespace

class http_client_core : public std::enable_shared_from_this<http_client_core> {
 public:
  http_client_core(asio::any_io_executor executor, const http_client_options& options)
      : m_executor(serialized(std::move(executor))),
        m_timer(m_executor),
        m_user_agent(options.user_agent),
        m_easy_pool(kept_easy_handles),
        m_multiplex(options.multiplex) {
    ensure_curl_initialized();
    m_multi = curl_multi_init();
    if (!m_multi) throw error("curl_multi_init failed");
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &http_client_core::on_socket);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &http_client_core::on_timer);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, options.max_total_connections);
    curl_multi_setopt(m_multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_host_connections);
    // curl's default idle-connection cache is 4 per easy handle in the multi:
    // between one request finishing and the next being added it shrinks and
    // closes connections that would have been reused.
    curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, std::max(options.max_total_connections, 64L));
    curl_multi_setopt(m_multi, CURLMOPT_PIPELINING, options.multiplex ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING);
  }

  ~http_client_core() { close(); }

  asio::any_io_executor executor() const { return m_executor; }
  std::uint64_t next_id() noexcept { return m_next_id.fetch_add(1, std::memory_order_relaxed); }  // relaxed: unique ids only

  // --- on m_executor -----------------------------------------------------

  void add(std::uint64_t id, http_request request, std::unique_ptr<http_completion> completion) {
    if (m_closed) return completion->complete(closed_error(request.url), {});
    std::unique_ptr<easy_transfer> easy;
    try {
      auto url = m_repeated_url.find(request.url);
      easy = std::make_unique<easy_transfer>(std::move(request), m_user_agent, &m_easy_pool, std::move(url));
    } catch (...) {
      return completion->complete(std::current_exception(), {});
    }
    CURL* h = easy->handle();
    // Opening and closing through us: a connection's socket is watched from
    // its opening to its closing, and released before the fd can be reused.
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &http_client_core::on_open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, &http_client_core::on_close_socket);
    curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, this);
    // Waiting for a connection to multiplex on pays only over TLS (HTTP/2 via
    // ALPN); for plain http it would queue requests behind one connection.
    if (m_multiplex && easy->request().url.starts_with("https:")) curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    std::weak_ptr<http_client_core> weak = shared_from_this();
    easy->request().control->attach([weak, id] {
      if (auto core = weak.lock()) asio::post(core->m_executor, [core, id] { core->resume(id); });
    });
    if (auto rc = curl_multi_add_handle(m_multi, h); rc != CURLM_OK) {
      auto url = easy->request().url;
      return completion->complete(
          std::make_exception_ptr(http_error(make_curl_error(CURLE_FAILED_INIT), url, curl_multi_strerror(rc))), {});
    }
    easy->set_id(id);
    m_transfers.emplace(id, active{std::move(easy), std::move(completion)});
  }

  void cancel(std::uint64_t id) {
    auto it = m_transfers.find(id);
    if (it == m_transfers.end()) return;  // already finished: its completion is on its way
    auto a = std::move(it->second);
    m_transfers.erase(it);
    remove(*a.easy);
    m_easy_pool.give(a.easy->release_handle());
    auto url = a.easy->request().url;
    a.completion->complete(std::make_exception_ptr(http_error(asio::error::operation_aborted, url, "request cancelled")),
                           {});
  }

  void resume(std::uint64_t id) {
    if (auto it = m_transfers.find(id); it != m_transfers.end()) {
      it->second.easy->unpause();
      collect_finished();
    }
  }

  void close() noexcept {
    if (m_closed) return;
    m_closed = true;
    auto transfers = std::move(m_transfers);
    m_transfers.clear();
    for (auto& [id, a] : transfers) {
      remove(*a.easy);
      a.completion->complete(closed_error(a.easy->request().url), {});
    }
    transfers.clear();  // curl_easy_cleanup: sockets close through on_close_socket
    for (auto& [fd, w] : m_sockets) forget(*w);
    m_sockets.clear();
    m_timer.cancel();
    if (m_multi) curl_multi_cleanup(m_multi);
    m_multi = nullptr;
  }

 private:
  struct active {
    std::unique_ptr<easy_transfer> easy;
    std::unique_ptr<http_completion> completion;
  };

  static std::exception_ptr closed_error(const std::string& url) {
    return std::make_exception_ptr(
        http_error(asio::error::operation_aborted, url, "the http_client was destroyed with the request in flight"));
  }

  void remove(easy_transfer& easy) {
    if (m_multi) curl_multi_remove_handle(m_multi, easy.handle());
  }

  // curl -> us: which events a socket needs. Only bookkeeping and Asio
  // waits here: no curl calls (we are inside curl).
  static int on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
    static_cast<http_client_core*>(self)->watch(fd, what);
    return 0;
  }

  void watch(curl_socket_t fd, int what) {
    if (what == CURL_POLL_REMOVE) {
      if (auto it = m_sockets.find(fd); it != m_sockets.end()) {
        // A connection going idle in curl's cache (after every transfer)
        // stays registered: releasing it and registering it again for the
        // next request on it cost three epoll_ctl and an ioctl per small GET.
        // A wait still pending finds nothing wanted and does not call curl.
        if (it->second->connection) {
          it->second->wanted = 0;
        } else {
          forget(*it->second);
          m_sockets.erase(it);
        }
      }
      return;
    }
    auto& w = m_sockets[fd];
    if (!w) w = std::make_shared<socket_watch>(m_executor, fd, false);
    w->wanted = what;
    arm(w);
  }

  static void forget(socket_watch& w) noexcept {
    w.removed = true;
    asio::error_code ignored;
    w.descriptor.cancel(ignored);
    (void)w.descriptor.release();  // the fd is curl's: never closed by us
  }

  // curl -> us: a socket for a connection. Watched from here on, until
  // on_close_socket, whatever curl's socket callback says in between.
  static curl_socket_t on_open_socket(void* self, curlsocktype, curl_sockaddr* address) {
    auto& core = *static_cast<http_client_core*>(self);
    curl_socket_t fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd == CURL_SOCKET_BAD) return fd;
    try {
      auto& w = core.m_sockets[fd];
      if (w) forget(*w);  // a resolver's fd that curl closed without a CURL_POLL_REMOVE
      w = std::make_shared<socket_watch>(core.m_executor, fd, true);
    } catch (...) {
      core.m_sockets.erase(fd);
      ::close(fd);
      return CURL_SOCKET_BAD;  // curl reports the connection as failed
    }
    return fd;
  }

  static int on_close_socket(void* self, curl_socket_t fd) {
    auto& core = *static_cast<http_client_core*>(self);
    if (auto it = core.m_sockets.find(fd); it != core.m_sockets.end()) {
      forget(*it->second);
      core.m_sockets.erase(it);
    }
    return ::close(fd);
  }

  void arm(const std::shared_ptr<socket_watch>& w) {
    if ((w->wanted & CURL_POLL_IN) && !w->reading) {
      w->reading = true;
      w->descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                               [self = shared_from_this(), w](asio::error_code ec) {
                                 w->reading = false;
                                 self->on_ready(w, CURL_CSELECT_IN, ec);
                               });
    }
    if ((w->wanted & CURL_POLL_OUT) && !w->writing) {
      w->writing = true;
      w->descriptor.async_wait(asio::posix::stream_descriptor::wait_write,
                               [self = shared_from_this(), w](asio::error_code ec) {
                                 w->writing = false;
                                 self->on_ready(w, CURL_CSELECT_OUT, ec);
                               });
    }
  }

  void on_ready(const std::shared_ptr<socket_watch>& w, int event, asio::error_code ec) {
    if (m_closed || w->removed || ec == asio::error::operation_aborted) return;
    // Idle (curl wants nothing of it now): arm() waits again once curl does.
    if (!(w->wanted & (event == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT))) return;
    socket_action(w->fd, ec ? CURL_CSELECT_ERR : event);
    if (!w->removed) arm(w);  // still wanted: wait again
  }

  // curl -> us: when to call back with CURL_SOCKET_TIMEOUT (-1: never).
  // curl moves its deadline on nearly every call; re-arming the Asio timer
  // each time costs a timerfd_settime (measured: a fifth of the CPU of small
  // GETs). So the deadline is kept here, and the timer is only re-armed
  // when it would fire too late; an early firing just waits again.
  static int on_timer(CURLM*, long timeout_ms, void* self) {
    auto& core = *static_cast<http_client_core*>(self);
    if (timeout_ms < 0) {
      core.m_deadline.reset();  // a pending wait finds nothing to do
    } else if (timeout_ms == 0) {
      core.m_deadline.reset();
      // Posted, not called: we are inside curl.
      if (!core.m_kick_posted) {
        core.m_kick_posted = true;
        asio::post(core.m_executor, [self = core.shared_from_this()] {
          self->m_kick_posted = false;
          if (!self->m_closed) self->socket_action(CURL_SOCKET_TIMEOUT, 0);
        });
      }
    } else {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
      core.m_deadline = deadline;
      if (!core.m_timer_armed || core.m_timer.expiry() > deadline) core.arm_timer(deadline);
    }
    return 0;
  }

  void arm_timer(std::chrono::steady_clock::time_point when) {
    m_timer_armed = true;
    m_timer.expires_at(when);
    m_timer.async_wait([self = shared_from_this()](asio::error_code ec) {
      if (ec == asio::error::operation_aborted) return;  // re-armed earlier, or closed
      self->m_timer_armed = false;
      if (self->m_closed || !self->m_deadline) return;
      if (*self->m_deadline > std::chrono::steady_clock::now()) return self->arm_timer(*self->m_deadline);
      self->m_deadline.reset();
      self->socket_action(CURL_SOCKET_TIMEOUT, 0);
    });
  }

  void socket_action(curl_socket_t fd, int events) {
    int running = 0;
    curl_multi_socket_action(m_multi, fd, events, &running);
    collect_finished();
  }

  void collect_finished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m_multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      auto code = msg->data.result;
      auto h = msg->easy_handle;  // msg is invalid after remove_handle
      auto* transfer = easy_transfer::of(h);
      auto it = transfer ? m_transfers.find(transfer->id()) : m_transfers.end();
      if (it == m_transfers.end()) continue;
      auto a = std::move(it->second);
      m_transfers.erase(it);
      remove(*a.easy);
      http_response response;
      auto e = a.easy->finish(code, response);
      // Kept set up only after a plain GET that succeeded (a failed one is reset, to be safe).
      m_easy_pool.give(a.easy->release_handle(), a.easy->plain_get() && code == CURLE_OK && !e);
      a.completion->complete(e, std::move(response));
    }
  }

  asio::any_io_executor m_executor;  // see serialized()
  asio::steady_timer m_timer;
  std::optional<std::chrono::steady_clock::time_point> m_deadline;  // curl's, none: no timeout wanted
  bool m_timer_armed = false;  // m_timer has a wait pending that is not cancelled
  bool m_kick_posted = false;  // a socket_action(TIMEOUT) for a 0 ms timeout is queued
  user_agent_header m_user_agent;
  // m_executor only. Its handles are out of the multi handle, so they may be
  // cleaned up after curl_multi_cleanup (in close()).
  easy_handle_pool m_easy_pool;
  repeated_url m_repeated_url;  // m_executor only
  bool m_multiplex;
  CURLM* m_multi = nullptr;
  bool m_closed = false;
  std::atomic<std::uint64_t> m_next_id{1};
  // m_executor only.
  std::unordered_map<std::uint64_t, active> m_transfers;
  std::unordered_map<curl_socket_t, std::shared_ptr<socket_watch>> m_sockets;
};

std::shared_ptr<http_client_core> make_http_client_core(asio::any_io_executor executor,
                                                        const http_client_options& options) {
  return std::make_shared<http_client_core>(std::move(executor), options);
}

namespace {

// Parses `url` with curl's parser; throws for a malformed URL or a scheme
// other than http(s).
void check_url(const std::string& url) {
  ensure_curl_initialized();
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed) throw http_error(make_curl_error(CURLE_OUT_OF_MEMORY), url, "curl_url failed");
  auto* u = parsed.get();
  auto rc = curl_url_set(u, CURLUPART_URL, url.c_str(), 0);
  char* scheme = nullptr;
  if (rc == CURLUE_OK) curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
  std::string s = scheme ? scheme : "";
  curl_free(scheme);
  if (rc != CURLUE_OK) {
    throw http_error(make_curl_error(CURLE_URL_MALFORMAT), url, std::string("malformed URL: ") + curl_url_strerror(rc));
  }
  if (s != "http" && s != "https") {
    throw http_error(make_curl_error(CURLE_UNSUPPORTED_PROTOCOL), url,
                     "unsupported URL scheme '" + s + "' (http and https only)");
  }
}

}  // namespace

void validate_request(const http_request& request) {
  // Programs fetch the same URL again and again; parsing it costs about
  // 6,000 instructions (callgrind), a fifth of our share of a small GET.
  // The answer for a string never changes, so each thread remembers the
  // last URL that passed (thread_local: no lock, callers on any thread).
  thread_local std::string last_valid;
  if (request.url.empty() || request.url != last_valid) {
    check_url(request.url);
    last_valid = request.url;
  }
  if (request.method.empty()) {
    throw http_error(make_curl_error(CURLE_BAD_FUNCTION_ARGUMENT), request.url, "empty HTTP method");
  }
}

std::uint64_t next_request_id(http_client_core& core) noexcept { return core.next_id(); }

void start_request(const std::shared_ptr<http_client_core>& core, std::uint64_t id, http_request request,
                   std::unique_ptr<http_completion> completion) {
  // Posted, even from the client's own thread: this may run inside a curl
  // callback (on_chunk starting another request), where curl must not be called.
  asio::post(core->executor(),
             [core, id, request = std::move(request), completion = std::move(completion)]() mutable {
               core->add(id, std::move(request), std::move(completion));
             });
}

void cancel_request(const std::weak_ptr<http_client_core>& weak, std::uint64_t id) {
  if (auto core = weak.lock()) asio::post(core->executor(), [core, id] { core->cancel(id); });
}

void close_client(http_client_core& core) noexcept { core.close(); }

asio::any_io_executor client_executor(const http_client_core& core) { return core.executor(); }

}  // namespace detail
}  // namespace cofutures

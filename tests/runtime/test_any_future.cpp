#include <cofutures/any_future.hpp>

#include <cofutures/errors.hpp>
#include <cofutures/future.hpp>
#include <cofutures/promise.hpp>

#include <chrono>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using cofutures::any_future;
using cofutures::cancelled_error;
using cofutures::future;
using cofutures::invalid_state_error;
using cofutures::promise;
using cofutures::timeout_error;

namespace {

struct io_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

TEST_CASE("any_future erases the value type and follows the source's state", "[any_future][state]") {
  promise<int> pi;
  promise<std::string> ps;
  promise<void> pv;
  std::vector<any_future> all{pi.get_future(), ps.get_future(), pv.get_future()};
  for (const auto& f : all) {
    REQUIRE(f.valid());
    REQUIRE_FALSE(f.done());
    REQUIRE_FALSE(f.running());
    REQUIRE_FALSE(f.cancelled());
  }
  REQUIRE(pi.set_running_or_notify_cancel());
  REQUIRE(all[0].running());
  pi.set_result(1);
  ps.set_exception(std::make_exception_ptr(io_failure("nope")));
  REQUIRE(all[2].cancel());
  REQUIRE((all[0].done() && !all[0].running() && !all[0].cancelled()));
  REQUIRE((all[1].done() && !all[1].cancelled()));
  REQUIRE((all[2].done() && all[2].cancelled()));
}

TEST_CASE("any_future::cancel() acts on the source future", "[any_future][cancel]") {
  promise<double> p;
  future<double> typed = p.get_future();
  any_future erased = typed;
  SECTION("pending: cancelled for both handles") {
    REQUIRE(erased.cancel());
    REQUIRE(typed.cancelled());
    REQUIRE_THROWS_AS(typed.result(), cancelled_error);
    REQUIRE_FALSE(p.set_running_or_notify_cancel());
  }
  SECTION("running: refused") {
    p.set_running_or_notify_cancel();
    REQUIRE_FALSE(erased.cancel());
    REQUIRE(typed.running());
  }
  SECTION("finished: refused") {
    p.set_result(2.5);
    REQUIRE_FALSE(erased.cancel());
    REQUIRE(typed.result() == 2.5);
  }
}

TEST_CASE("any_future::exception() in every outcome", "[any_future][exception]") {
  promise<std::string> p;
  any_future f = p.get_future();
  SECTION("pending: timeout_error with a zero timeout") {
    REQUIRE_THROWS_AS(f.exception(0s), timeout_error);
    REQUIRE_FALSE(f.done());
  }
  SECTION("success: nullptr") {
    p.set_result("ok");
    REQUIRE(f.exception() == nullptr);
    REQUIRE(f.exception(0s) == nullptr);
  }
  SECTION("failure: the stored exception, type intact") {
    p.set_exception(std::make_exception_ptr(io_failure("disk on fire")));
    REQUIRE_THROWS_AS(std::rethrow_exception(f.exception()), io_failure);
    REQUIRE_THROWS_WITH(std::rethrow_exception(f.exception(0s)), "disk on fire");
  }
  SECTION("cancelled: cancelled_error") {
    f.cancel();
    REQUIRE_THROWS_AS(f.exception(), cancelled_error);
    REQUIRE_THROWS_AS(f.exception(0s), cancelled_error);
  }
}

TEST_CASE("any_future::wait() blocks until done and rethrows", "[any_future][wait]") {
  promise<int> p;
  any_future f = p.get_future();
  SECTION("success returns") {
    p.set_result(1);
    REQUIRE_NOTHROW(f.wait());
  }
  SECTION("failure rethrows the stored exception") {
    p.set_exception(std::make_exception_ptr(io_failure("disk on fire")));
    REQUIRE_THROWS_AS(f.wait(), io_failure);
  }
  SECTION("cancelled throws cancelled_error") {
    f.cancel();
    REQUIRE_THROWS_AS(f.wait(), cancelled_error);
  }
  SECTION("a completion from another thread wakes it") {
    // The sleep only makes it likely wait() is already blocked; not relied upon.
    std::jthread t([&p] {
      std::this_thread::sleep_for(10ms);
      p.set_exception(std::make_exception_ptr(io_failure("late")));
    });
    REQUIRE_THROWS_AS(f.wait(), io_failure);
  }
}

TEST_CASE("any_future callbacks receive the any_future, in registration order", "[any_future][callback]") {
  promise<std::string> p;
  future<std::string> typed = p.get_future();
  any_future erased = typed;
  std::vector<int> order;
  std::vector<any_future> seen;
  erased.add_done_callback([&](any_future g) {
    order.push_back(0);
    seen.push_back(g);
  });
  typed.add_done_callback([&](future<std::string>) { order.push_back(1); });
  erased.add_done_callback([&](any_future g) {
    order.push_back(2);
    seen.push_back(g);
  });
  REQUIRE(order.empty());
  p.set_result("done");
  REQUIRE(order == std::vector<int>{0, 1, 2});
  REQUIRE(seen == std::vector<any_future>{erased, erased});
  REQUIRE(seen[0].as<std::string>().result() == "done");

  bool ran_at_once = false;
  erased.add_done_callback([&](any_future g) { ran_at_once = g.done(); });
  REQUIRE(ran_at_once);
}

TEST_CASE("as<T>() recovers the typed future", "[any_future][cast]") {
  promise<std::string> ps;
  promise<void> pv;
  future<std::string> s = ps.get_future();
  future<void> v = pv.get_future();
  any_future es = s, ev = v;
  ps.set_result("text");
  pv.set_result();

  REQUIRE(es.as<std::string>() == s);
  REQUIRE(es.as<std::string>().result() == "text");
  REQUIRE(ev.as<void>() == v);
  REQUIRE_NOTHROW(ev.as<void>().result());

  REQUIRE_THROWS_AS(es.as<int>(), std::bad_cast);
  REQUIRE_THROWS_AS(es.as<const char*>(), std::bad_cast);
  REQUIRE_THROWS_AS(ev.as<std::string>(), std::bad_cast);
}

TEST_CASE("any_future equality and hashing follow the source future", "[any_future][identity]") {
  promise<int> p1;
  promise<long> p2;
  future<int> a = p1.get_future();
  future<long> b = p2.get_future();
  any_future ea = a, ea_again = p1.get_future(), eb = b;
  REQUIRE(ea == ea_again);
  REQUIRE(ea == any_future(a));
  REQUIRE(ea != eb);
  REQUIRE(std::hash<any_future>{}(ea) == std::hash<any_future>{}(ea_again));

  std::unordered_set<any_future> set{ea, ea_again, eb, any_future(b)};
  REQUIRE(set.size() == 2);
  REQUIRE(set.count(any_future(a)) == 1);
}

TEST_CASE("a default-constructed any_future is empty and refuses every call", "[any_future][identity]") {
  any_future empty;
  REQUIRE_FALSE(empty.valid());
  REQUIRE_THROWS_AS(empty.done(), invalid_state_error);
  REQUIRE_THROWS_AS(empty.cancel(), invalid_state_error);
  REQUIRE_THROWS_AS(empty.wait(), invalid_state_error);
  REQUIRE_THROWS_AS(empty.exception(), invalid_state_error);
  REQUIRE_THROWS_AS(empty.as<int>(), invalid_state_error);
}

TEST_CASE("operator<< prints an any_future's state", "[any_future][repr]") {
  using Catch::Matchers::Matches;
  promise<int> p;
  any_future f = p.get_future();
  auto repr = [&] {
    std::ostringstream os;
    os << f;
    return os.str();
  };
  REQUIRE_THAT(repr(), Matches("<future at 0x[0-9a-f]+ state=pending>"));
  p.set_exception(std::make_exception_ptr(io_failure("x")));
  REQUIRE_THAT(repr(), Matches("<future at 0x[0-9a-f]+ state=finished raised .*io_failure>"));
}

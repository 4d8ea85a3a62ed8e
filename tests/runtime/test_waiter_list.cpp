// A future's waiters (blocking waits, async_result, wait/as_completed) are
// an intrusive circular list in its state (detail/future_state.hpp): each
// is notified once, in the order it started waiting, and one that stopped
// waiting (a timeout, a cancelled await) is not notified at all, wherever
// it stood in the list.
#include <cofutures/detail/future_state.hpp>
#include <cofutures/detail/waiter_node.hpp>

#include <memory>
#include <vector>

#include <catch2/catch.hpp>

using cofutures::detail::state;
using cofutures::detail::state_base;
using cofutures::detail::waiter_node;

namespace {

class recorder final : public waiter_node {
 public:
  recorder(int id, std::vector<int>& log) : m_id(id), m_log(log) {}
  void notify(state_base&) noexcept override { m_log.push_back(m_id); }

 private:
  int m_id;
  std::vector<int>& m_log;
};

std::shared_ptr<state<int>> make_state() { return std::make_shared<state<int>>(nullptr); }

}  // namespace

TEST_CASE("waiters are notified once each, in the order they linked", "[future][waiters]") {
  auto st = make_state();
  std::vector<int> log;
  recorder a(1, log), b(2, log), c(3, log);
  REQUIRE(st->link_if_pending(a));
  REQUIRE(st->link_if_pending(b));
  REQUIRE(st->link_if_pending(c));
  REQUIRE(st->try_set_value(st, 5));
  REQUIRE(log == std::vector<int>{1, 2, 3});
  // Notified means unlinked: nothing is left to unlink, and a done future takes no new waiter.
  REQUIRE_FALSE(st->unlink_if_linked(a));
  REQUIRE_FALSE(st->unlink_if_linked(c));
  REQUIRE_FALSE(st->link_if_pending(b));
  REQUIRE(log.size() == 3);
}

TEST_CASE("a waiter that left is not notified, whether it was first, in the middle or last", "[future][waiters]") {
  const int leaving = GENERATE(1, 2, 3);
  auto st = make_state();
  std::vector<int> log;
  recorder a(1, log), b(2, log), c(3, log);
  recorder* nodes[] = {&a, &b, &c};
  for (auto* n : nodes) REQUIRE(st->link_if_pending(*n));
  REQUIRE(st->unlink_if_linked(*nodes[leaving - 1]));
  REQUIRE_FALSE(st->unlink_if_linked(*nodes[leaving - 1]));  // once only
  recorder d(4, log);
  REQUIRE(st->link_if_pending(d));  // joins at the end
  REQUIRE(st->try_set_value(st, 5));
  std::vector<int> expected;
  for (int id : {1, 2, 3, 4}) {
    if (id != leaving) expected.push_back(id);
  }
  REQUIRE(log == expected);
}

TEST_CASE("the list empties and fills again: the only waiter leaves, others come", "[future][waiters]") {
  auto st = make_state();
  std::vector<int> log;
  recorder a(1, log), b(2, log), c(3, log);
  REQUIRE(st->link_if_pending(a));
  REQUIRE(st->unlink_if_linked(a));
  REQUIRE(st->link_if_pending(b));
  REQUIRE(st->link_if_pending(a));  // back, now behind b
  REQUIRE(st->unlink_if_linked(b));
  REQUIRE(st->link_if_pending(c));
  REQUIRE(st->try_set_value(st, 5));
  REQUIRE(log == std::vector<int>{1, 3});
}

#include <cofutures/gather.hpp>

namespace cofutures::detail {

asio::awaitable<void> gather_wait(std::vector<any_future> futures) {
  auto pending = async_as_completed(std::move(futures));
  while (auto f = co_await pending.next()) {
    if (f->cancelled()) throw cancelled_error();
    if (auto e = f->exception()) std::rethrow_exception(e);  // done: does not block
  }
}

}  // namespace cofutures::detail

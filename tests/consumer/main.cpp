// A project using an installed cofutures: a coroutine awaits thread-pool work.
#include <cofutures/cofutures.hpp>

#include <iostream>

asio::awaitable<int> answer(cofutures::thread_pool_executor& pool) {
  co_return co_await pool.submit([](int a, int b) { return a * b; }, 6, 7).async_result();
}

int main() {
  cofutures::thread_pool_executor pool(2);
  int value = cofutures::run(answer(pool));
  std::cout << "consumer: " << value << '\n';
  return value == 42 ? 0 : 1;
}

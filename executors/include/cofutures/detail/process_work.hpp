#pragma once
// One submitted call for a process pool: what to send (task name and
// encoded arguments) and how to complete its future from what comes back.

#include <cofutures/detail/serialization.hpp>
#include <cofutures/detail/wait_assist.hpp>
#include <cofutures/promise.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace cofutures::detail {

class process_work {
 public:
  virtual ~process_work() = default;
  /// Python's set_running_or_notify_cancel: false if cancelled meanwhile.
  virtual bool set_running() = 0;
  /// Decodes the worker's encoded result into the future (a decoding
  /// failure fails the future instead).
  virtual void deliver(std::string_view result) noexcept = 0;
  virtual void fail(std::exception_ptr e) noexcept = 0;
  virtual void cancel() noexcept = 0;
  /// Lets a thread waiting on the future take the reply itself (the pool's
  /// lane: wait_assist.hpp).
  virtual void set_wait_assist(std::shared_ptr<wait_assist> assist) = 0;

  std::uint64_t m_id = 0;
  std::string m_task_name;
  // Shared with the write in flight, which must not outlive the bytes.
  std::shared_ptr<const std::string> m_arguments;
};

template <class R>
class process_work_impl final : public process_work {
 public:
  explicit process_work_impl(promise<R> p) : m_promise(std::move(p)) {}

  bool set_running() override { return m_promise.set_running_or_notify_cancel(); }

  void deliver(std::string_view result) noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        m_promise.try_set_result();
      } else {
        m_promise.try_set_result(deserialize<R>(result));
      }
    } catch (...) {
      m_promise.try_set_exception(std::current_exception());
    }
  }
  void fail(std::exception_ptr e) noexcept override { m_promise.try_set_exception(std::move(e)); }
  void cancel() noexcept override { m_promise.get_future().cancel(); }
  void set_wait_assist(std::shared_ptr<wait_assist> assist) override {
    m_promise.get_future().state_ptr()->set_wait_assist(std::move(assist));
  }

 private:
  promise<R> m_promise;
};

}  // namespace cofutures::detail

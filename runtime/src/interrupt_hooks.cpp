#include <cofutures/detail/interrupt_hooks.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace cofutures::detail {
namespace {

struct hook_table {
  std::mutex mutex;  // executors come and go on any thread
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::shared_ptr<std::function<void()>>> hooks;
};

hook_table& table() {
  static hook_table* t = new hook_table;  // never destroyed: executors may outlive static destruction order
  return *t;
}

}  // namespace

interrupt_hook::interrupt_hook(std::function<void()> hook) {
  auto& t = table();
  auto fn = std::make_shared<std::function<void()>>(std::move(hook));
  std::lock_guard lock(t.mutex);  // see hook_table
  m_id = t.next_id++;
  t.hooks.emplace(m_id, std::move(fn));
}

interrupt_hook::~interrupt_hook() {
  auto& t = table();
  std::shared_ptr<std::function<void()>> fn;
  {
    std::lock_guard lock(t.mutex);  // see hook_table
    auto it = t.hooks.find(m_id);
    fn = std::move(it->second);
    t.hooks.erase(it);
  }
  // fn dies here, outside the lock; a run_interrupt_hooks() holding its own
  // copy may still be calling it, which the hook (weak references only) allows.
}

void run_interrupt_hooks() noexcept {
  std::vector<std::shared_ptr<std::function<void()>>> hooks;
  {
    auto& t = table();
    std::lock_guard lock(t.mutex);  // snapshot, then call without the lock: a hook may create or destroy executors
    for (auto& [id, fn] : t.hooks) hooks.push_back(fn);
  }
  for (auto& fn : hooks) {
    try {
      (*fn)();
    } catch (...) {
      // An executor that cannot shut down now will at its destructor.
    }
  }
}

}  // namespace cofutures::detail

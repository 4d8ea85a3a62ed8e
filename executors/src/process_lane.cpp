#include "detail/process_lane.hpp"

#include "detail/wire_messages.hpp"

#include <cofutures/detail/remote_exception.hpp>
#include <cofutures/detail/wire.hpp>
#include <cofutures/errors.hpp>

#include <cstring>
#include <exception>
#include <string_view>
#include <variant>

namespace cofutures::detail {

void process_lane::lend(worker_bells& bells, int slot, pid_t pid) noexcept {
  m_slot = slot;
  m_pid = pid;
  m_watching = &bells.watching();
  // relaxed: a hint for answer_ready(); the reply's memory stays mapped while the pool lives.
  m_reply.store(&bells.lane_reply_of(slot), std::memory_order_relaxed);
}

void process_lane::release() noexcept {
  m_slot = -1;
  m_pid = 0;
}

bool process_lane::open(const worker_bells& bells, std::size_t live_workers) const noexcept {
  return live_workers <= 1 || !bells.asleep(m_slot);
}

bool process_lane::send(worker_bells& bells, std::unique_ptr<process_work>& work,
                        std::shared_ptr<wait_assist> assist) {
  auto frame = frame_writer(frame_type::task).u64(work->m_id).str(work->m_task_name).finish(work->m_arguments->size());
  auto ring = bells.ring_of(m_slot);
  const std::size_t size = frame.size() + work->m_arguments->size();
  // Under the pool's lock, which makes this thread the ring's one writer
  // while the worker is lent.
  if (size > ring.capacity() / 4 ||
      !ring.put(task_ring::kind::lane, static_cast<std::uint32_t>(size), {frame, *work->m_arguments})) {
    return false;
  }
  work->set_running();  // true: the future is not handed out yet, so nobody can have cancelled it
  work->set_wait_assist(std::move(assist));
  m_tag.store(lane_reply::tag_of(work->m_id), std::memory_order_relaxed);  // relaxed: a hint, as m_reply
  m_work = std::move(work);
  bells.ring_now(m_slot);
  return true;
}

std::unique_ptr<process_work> process_lane::take() noexcept {
  m_tag.store(0, std::memory_order_relaxed);  // relaxed: a hint, as m_reply
  return std::move(m_work);
}

std::optional<process_lane::answered> process_lane::take_answered(worker_bells& bells) {
  if (!m_work || m_slot < 0) return std::nullopt;
  auto& r = bells.lane_reply_of(m_slot);
  if (!r.has(m_work->m_id)) return std::nullopt;
  auto reply = r.copy_out();
  r.clear();
  return answered{take(), std::move(reply)};
}

void process_lane::watch() noexcept {
  // seq_cst: before the waiter's polls; the worker reads the count after
  // publishing its reply (lane_reply::publish).
  m_watching->fetch_add(1, std::memory_order_seq_cst);
}

void process_lane::unwatch() noexcept {
  // seq_cst: before the waiter's last poll; either that poll sees the
  // reply, or the worker sees no watcher and tells the manager.
  m_watching->fetch_sub(1, std::memory_order_seq_cst);
}

bool process_lane::answer_ready() const noexcept {
  // relaxed: hints, checked again under the pool's lock (take_answered).
  const auto tag = m_tag.load(std::memory_order_relaxed);
  if (tag == 0) return false;
  const auto* reply = m_reply.load(std::memory_order_relaxed);
  return reply != nullptr && reply->has(tag - 1);
}

bool deliver_lane_reply(process_work& work, const std::optional<std::string>& reply, pid_t pid) noexcept {
  try {
    if (!reply || reply->size() < frame_header_size) throw protocol_error("a truncated lane reply");
    std::uint32_t length;
    std::memcpy(&length, reply->data(), sizeof length);
    if (length != reply->size() - 4) throw protocol_error("a lane reply of the wrong length");
    auto type = static_cast<frame_type>((*reply)[4]);
    auto message = parse_worker_message(type, std::string_view(*reply).substr(frame_header_size));
    if (auto* r = std::get_if<result_message>(&message); r && r->id == work.m_id) {
      work.deliver(r->result);
      return true;
    }
    if (auto* e = std::get_if<error_message>(&message); e && e->id == work.m_id) {
      work.fail(rebuild_exception(e->error));
      return true;
    }
    throw protocol_error("a lane reply for another task");
  } catch (const std::exception& e) {
    work.fail(std::make_exception_ptr(
        broken_process_pool(std::string("worker process ") + std::to_string(pid) + " sent a bad reply: " + e.what())));
    return false;
  }
}

}  // namespace cofutures::detail

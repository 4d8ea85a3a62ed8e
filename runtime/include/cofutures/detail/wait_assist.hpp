#pragma once
// What a thread spinning in result() on a future can do to bring its
// result sooner: the producer's own polling, run by the waiter. A process
// pool's task sent straight to an idle worker (process_lane) is answered
// in shared memory; the waiting thread takes the answer there and
// completes the future itself, where otherwise the pool's manager thread
// would have to wake up, which on a machine with two cores is a context
// switch on the critical path of every round trip.
//
// A future's producer attaches one with state_base::set_wait_assist before
// handing the future out. A spinning waiter calls watch() first, poll()
// as it spins, and unwatch() then poll() once more when it stops: the
// producer may count on some thread's poll() for any answer that arrives
// while a watch is on, and must make sure of its own delivery otherwise.

namespace cofutures::detail {

class wait_assist {
 public:
  /// A thread starts spinning on a future this assists.
  virtual void watch() noexcept = 0;
  /// It stopped spinning (caught the result, or is about to sleep).
  virtual void unwatch() noexcept = 0;
  /// Completes whatever future has its answer ready; cheap when none has.
  virtual void poll() noexcept = 0;

 protected:
  ~wait_assist() = default;
};

}  // namespace cofutures::detail

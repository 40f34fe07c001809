// Clock: the crawl loop's time. The frontier's leases, delays and back-offs
// are decided with now(); the loop's idle wait goes through wait_until(), so
// a test can run a crawl on virtual time (a clock that jumps to the deadline
// instead of sleeping) and check politeness rules without sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace crawl {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() = 0;
  // Blocks on `cv` (with `lock` held on entry and on return) until notified
  // or until `deadline` on this clock. Spurious returns are allowed.
  virtual void wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, time_point deadline) = 0;
};

// The real, monotonic clock.
class SteadyClock final : public Clock {
 public:
  time_point now() override { return std::chrono::steady_clock::now(); }
  void wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, time_point deadline) override {
    cv.wait_until(lock, deadline);
  }
};

}  // namespace crawl

// BatchQueue: the hand-off between store() callers and a sink's single
// writer thread. Internal to storage/.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace crawl {

// A FIFO of items with a byte budget and completion tickets.
//
// Thread safety: push(), wait_done() and last_ticket() may be called from any
// number of threads; take_all() and mark_done() from the one consumer thread.
// Backpressure: push() blocks only while the bytes queued AND still being
// written (taken but not yet marked done) exceed max_bytes; one item larger
// than the budget is still accepted when nothing else is pending, so no
// item can block forever.
template <typename Item>
class BatchQueue {
 public:
  struct Entry {
    Item item;
    std::size_t bytes;
  };

  // `group`: take_all() hands out a batch at most every `group` (group
  // commit: one transaction for what arrives meanwhile), except when
  // someone waits for it (wait_done(), a producer held back by the budget,
  // an urgent item) or half the budget is queued. Zero: at once.
  explicit BatchQueue(std::size_t max_bytes, std::chrono::milliseconds group = {})
      : max_bytes_(max_bytes), group_(group) {}

  // Queues `item`, accounted as `bytes`; returns its ticket (1, 2, 3, …).
  // `urgent`: someone waits for its effect; no grouping delay.
  std::uint64_t push(Item item, std::size_t bytes, bool urgent = false) {
    std::unique_lock lock(mutex_);
    if (!(pending_bytes_ == 0 || pending_bytes_ + bytes <= max_bytes_)) {
      ++waiting_;
      work_cv_.notify_one();
      space_cv_.wait(lock, [&] { return pending_bytes_ == 0 || pending_bytes_ + bytes <= max_bytes_; });
      --waiting_;
    }
    pending_bytes_ += bytes;
    queued_bytes_ += bytes;
    if (urgent) ++urgent_;
    queue_.push_back(Entry{std::move(item), bytes});
    const std::uint64_t ticket = ++pushed_;
    if (consumer_needed()) work_cv_.notify_one();
    return ticket;
  }

  // Queues `item` without waiting for the budget (small items pushed by
  // threads that must never block); it still counts against it.
  // `wake` false: the consumer is not woken for it (it is not urgent: it
  // goes with the next item pushed, or with wait_done()). `urgent`: as push().
  std::uint64_t push_now(Item item, std::size_t bytes, bool wake = true, bool urgent = false) {
    std::lock_guard lock(mutex_);
    pending_bytes_ += bytes;
    queued_bytes_ += bytes;
    if (urgent) ++urgent_;
    queue_.push_back(Entry{std::move(item), bytes});
    const std::uint64_t ticket = ++pushed_;
    if (wake && consumer_needed()) work_cv_.notify_one();
    return ticket;
  }

  // Consumer: waits until something is queued or close() was called (and,
  // with a `group`, until it is due), then moves EVERYTHING queued into
  // `out` (cleared first). Returns false once closed and empty.
  bool take_all(std::vector<Entry>& out) {
    out.clear();
    std::unique_lock lock(mutex_);
    consumer_ = Consumer::waiting_for_items;
    work_cv_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (group_.count() > 0) {
      consumer_ = Consumer::grouping;
      work_cv_.wait_until(lock, last_take_ + group_, [&] { return group_ends(); });
      last_take_ = std::chrono::steady_clock::now();
    }
    consumer_ = Consumer::busy;
    if (queue_.empty()) return false;
    out.reserve(queue_.size());
    for (Entry& e : queue_) out.push_back(std::move(e));
    queue_.clear();
    queued_bytes_ = 0;
    urgent_ = 0;
    return true;
  }

  // Consumer: the `count` oldest taken items, of `bytes` total, are done.
  void mark_done(std::size_t count, std::size_t bytes) {
    {
      std::lock_guard lock(mutex_);
      done_ += count;
      pending_bytes_ -= bytes;
    }
    space_cv_.notify_all();
    done_cv_.notify_all();
  }

  // Ticket of the newest item pushed so far (0 if none).
  std::uint64_t last_ticket() const {
    std::lock_guard lock(mutex_);
    return pushed_;
  }

  // Blocks until the item with `ticket` (and all before it) is marked done.
  void wait_done(std::uint64_t ticket) {
    std::unique_lock lock(mutex_);
    if (done_ >= ticket) return;
    ++waiting_;
    work_cv_.notify_one();  // items pushed without waking the consumer, or grouped
    done_cv_.wait(lock, [&] { return done_ >= ticket; });
    --waiting_;
  }

  // After close(), take_all() returns false once the queue is drained.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    work_cv_.notify_all();
  }

 private:
  // Where the consumer is. A producer wakes it only when that changes what
  // it waits for: a wake-up it answers by sleeping again costs two system
  // calls and two context switches, and a grouping consumer would get one
  // per item.
  enum class Consumer { busy, waiting_for_items, grouping };

  // Under mutex_: the grouping delay ends early.
  bool group_ends() const { return closed_ || waiting_ > 0 || urgent_ > 0 || queued_bytes_ >= max_bytes_ / 2; }

  // Under mutex_, after an item is queued: whether to wake the consumer.
  bool consumer_needed() const {
    return consumer_ == Consumer::waiting_for_items || (consumer_ == Consumer::grouping && group_ends());
  }

  const std::size_t max_bytes_;
  const std::chrono::milliseconds group_;
  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable work_cv_;   // consumer: items or close
  std::condition_variable space_cv_;  // producers: budget freed
  std::condition_variable done_cv_;   // waiters: items completed
  std::deque<Entry> queue_;
  std::size_t pending_bytes_ = 0;  // queued + taken-but-not-done
  std::size_t queued_bytes_ = 0;   // queued, not yet taken
  std::size_t waiting_ = 0;        // threads in wait_done() or waiting for space
  std::size_t urgent_ = 0;         // urgent items queued
  std::chrono::steady_clock::time_point last_take_{};
  std::uint64_t pushed_ = 0;
  std::uint64_t done_ = 0;
  bool closed_ = false;
  Consumer consumer_ = Consumer::busy;
};

}  // namespace crawl

// BatchQueue's group commit: what arrives within `group` of the last batch
// waits for the next one, unless someone waits for it.
#include "storage/batch_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace crawl {
namespace {

using namespace std::chrono_literals;
using Queue = BatchQueue<int>;

// The consumer: takes batches until closed, marks them done, records them.
class Consumer {
 public:
  explicit Consumer(Queue& queue) : queue_(queue), thread_([this] { run(); }) {}
  ~Consumer() {
    queue_.close();
    thread_.join();
  }
  std::vector<std::vector<int>> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  void run() {
    std::vector<Queue::Entry> batch;
    while (queue_.take_all(batch)) {
      std::vector<int> items;
      std::size_t bytes = 0;
      for (const auto& e : batch) {
        items.push_back(e.item);
        bytes += e.bytes;
      }
      {
        std::lock_guard lock(mutex_);
        batches_.push_back(items);
      }
      queue_.mark_done(batch.size(), bytes);
    }
  }
  Queue& queue_;
  std::mutex mutex_;
  std::vector<std::vector<int>> batches_;
  std::thread thread_;
};

// The first item after a quiet spell goes at once; the next ones wait for
// the group (an hour here) until an urgent item takes them all.
TEST(BatchQueueGroup, ItemsWaitForTheGroupUntilAnUrgentOneArrives) {
  Queue queue(1 << 20, std::chrono::hours(1));
  Consumer consumer(queue);
  queue.wait_done(queue.push(1, 10));  // the first batch: nothing to group with
  ASSERT_EQ(consumer.batches().size(), 1u);
  for (int i = 2; i <= 5; ++i) queue.push(i, 10);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(consumer.batches().size(), 1u) << "taken before the group was due";
  queue.wait_done(queue.push(6, 10, /*urgent=*/true));
  const auto batches = consumer.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1], (std::vector<int>{2, 3, 4, 5, 6}));
}

// flush(): a waiter does not wait for the group.
TEST(BatchQueueGroup, AWaiterTakesTheGroupAtOnce) {
  Queue queue(1 << 20, std::chrono::hours(1));
  Consumer consumer(queue);
  queue.wait_done(queue.push(1, 10));
  const auto start = std::chrono::steady_clock::now();
  queue.push(2, 10);
  queue.push_now(3, 10, /*wake=*/false);
  queue.wait_done(queue.last_ticket());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_EQ(consumer.batches().back(), (std::vector<int>{2, 3}));
}

// Half the byte budget queued: taken without waiting (producers would
// otherwise block on a writer that sleeps).
TEST(BatchQueueGroup, HalfTheBudgetQueuedIsTakenAtOnce) {
  Queue queue(1000, std::chrono::hours(1));
  Consumer consumer(queue);
  queue.wait_done(queue.push(1, 10));
  queue.push(2, 200);
  queue.push(3, 200);  // 400 of 1000
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(consumer.batches().size(), 1u) << "taken before the group was due";
  const auto start = std::chrono::steady_clock::now();
  queue.push(4, 200);  // 600 of 1000: past half
  while (consumer.batches().size() < 2 && std::chrono::steady_clock::now() - start < 30s)
    std::this_thread::sleep_for(1ms);
  ASSERT_EQ(consumer.batches().size(), 2u);
  EXPECT_EQ(consumer.batches()[1], (std::vector<int>{2, 3, 4}));
}

// Without a group every item is taken as soon as it is queued.
TEST(BatchQueueGroup, NoGroupTakesAtOnce) {
  Queue queue(1 << 20);
  Consumer consumer(queue);
  queue.wait_done(queue.push(1, 10));
  queue.push(2, 10);
  const auto start = std::chrono::steady_clock::now();
  while (consumer.batches().size() < 2 && std::chrono::steady_clock::now() - start < 30s)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(consumer.batches().size(), 2u);
}

}  // namespace
}  // namespace crawl

// --mode threads: a fixed pool of OS threads, each owning one reusable easy
// handle (so connections stay alive and are reused), running blocking
// curl_easy_perform transfers. The listener hears transfer_ended() and then
// result_ready() on the thread that ran the transfer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "fetch/easy_factory.h"
#include "fetch/fetcher.h"

namespace crawl {

class ThreadPoolFetcher final : public Fetcher {
 public:
  ThreadPoolFetcher(int threads, TransferOptions options, FetchListener& listener);
  // Drains, then joins the threads.
  ~ThreadPoolFetcher() override;

  void submit(FetchRequest request) override;
  void drain() override;
  void cancel() override;
  std::int64_t spilled_bodies() const override {
    return options_.body_budget ? options_.body_budget->stats().spilled_bodies : 0;
  }

 private:
  void work();

  const TransferOptions options_;
  FetchListener& listener_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;  // guards queue_, pending_, stopping_
  std::condition_variable has_work_;
  std::condition_variable idle_;
  std::deque<FetchRequest> queue_;
  std::size_t pending_ = 0;  // submitted, result_ready not yet returned
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace crawl

// --mode threads: a fixed pool of OS threads, each owning one reusable easy
// handle (so connections stay alive and are reused), running blocking
// curl_easy_perform transfers.
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
  ThreadPoolFetcher(int threads, TransferOptions options);
  // Drains, then joins the threads.
  ~ThreadPoolFetcher() override;

  void submit(FetchRequest request, DoneCallback done) override;
  void drain() override;
  void cancel() override;

 private:
  struct Job {
    FetchRequest request;
    DoneCallback done;
  };
  void work();

  const TransferOptions options_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;  // guards queue_, pending_, stopping_
  std::condition_variable has_work_;
  std::condition_variable idle_;
  std::deque<Job> queue_;
  std::size_t pending_ = 0;  // submitted, callback not yet returned
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace crawl

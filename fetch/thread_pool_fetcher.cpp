#include "fetch/thread_pool_fetcher.h"

#include <spdlog/spdlog.h>

#include "fetch/curl_handles.h"

namespace crawl {

ThreadPoolFetcher::ThreadPoolFetcher(int threads, TransferOptions options) : options_(std::move(options)) {
  ensure_curl_global_init();
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

ThreadPoolFetcher::~ThreadPoolFetcher() {
  drain();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  has_work_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPoolFetcher::submit(FetchRequest request, DoneCallback done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Job{std::move(request), std::move(done)});
    ++pending_;
  }
  has_work_.notify_one();
}

void ThreadPoolFetcher::drain() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return pending_ == 0; });
}

void ThreadPoolFetcher::cancel() {
  cancelled_.store(true);
  has_work_.notify_all();
}

void ThreadPoolFetcher::work() {
  // One easy handle per thread for the thread's lifetime: curl keeps the
  // connections it opened alive in the handle, so reusing the handle reuses
  // them.
  EasyHandle easy = make_easy();
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      has_work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Transfer transfer(std::move(job.request), options_, &cancelled_);
    FetchResult result;
    if (cancelled_.load()) {
      result = transfer.fail(FetchErrc::aborted, "cancelled before start");
    } else if (CURLcode rc = transfer.attach(easy.get()); rc != CURLE_OK) {
      result = transfer.fail(classify(rc), std::string("curl option refused: ") + curl_easy_strerror(rc));
    } else {
      result = transfer.finish(curl_easy_perform(easy.get()));
    }
    transfer_ended(result);
    try {
      job.done(std::move(result));
    } catch (const std::exception& e) {
      spdlog::error("done-callback threw: {}", e.what());
    }
    {
      std::lock_guard lock(mu_);
      --pending_;
      if (pending_ == 0) idle_.notify_all();
    }
  }
}

}  // namespace crawl

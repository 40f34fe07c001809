#include "fetch/thread_pool_fetcher.h"


#include "core/process.h"
#include "fetch/curl_error.h"
#include "fetch/curl_handles.h"

namespace crawl {

ThreadPoolFetcher::ThreadPoolFetcher(int threads, TransferOptions options, FetchListener& listener)
    : options_(std::move(options)), listener_(listener) {
  ensure_curl_global_init();
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] {
      name_this_thread("crawl-fetch");
      work();
    });
}

ThreadPoolFetcher::~ThreadPoolFetcher() {
  drain();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  has_work_.notify_all();
  for (auto& t : threads_) t.join();
  if (options_.body_budget) log_body_budget(*options_.body_budget);
}

void ThreadPoolFetcher::submit(FetchRequest request) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(request));
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
    FetchRequest request;
    {
      std::unique_lock lock(mu_);
      has_work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    Transfer transfer(std::move(request), options_, &cancelled_);
    FetchResult result;
    if (cancelled_.load()) {
      result = transfer.fail(make_error_code(FetchErrc::aborted), "cancelled before start");
    } else if (CURLcode rc = transfer.attach(easy.get()); rc != CURLE_OK) {
      result = transfer.fail(make_curl_error(rc), std::string("curl option refused: ") + curl_easy_strerror(rc));
    } else {
      result = transfer.finish(curl_easy_perform(easy.get()));
    }
    listener_.transfer_ended(result);
    {
      // A spilled body comes back into memory here, once there is room in
      // the budget: this thread holds none of it meanwhile, and every holder
      // (transfers, which spill rather than wait, and result_ready() calls)
      // gives its share back without waiting on the budget.
      auto body = load_body(result, /*wait=*/true);
      listener_.result_ready(std::move(result));
    }
    {
      std::lock_guard lock(mu_);
      --pending_;
      if (pending_ == 0) idle_.notify_all();
    }
  }
}

}  // namespace crawl

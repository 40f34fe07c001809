// The crawl loop's test seam: a scripted fetcher, an in-memory sink and a
// virtual clock, so the loop's rules (robots.txt first, delays, retries,
// back-off, limits, stops, storage failures) are checked without a network,
// a disk or a sleep.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crawler/clock.h"
#include "fetch/fetcher.h"
#include "storage/sink.h"

namespace crawl::testing {

// Virtual time: now() is whatever the crawl has waited for so far. A wait
// jumps straight to its deadline, so a 30 s Crawl-delay costs nothing.
class ManualClock final : public Clock {
 public:
  time_point now() override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void wait_until(std::condition_variable&, std::unique_lock<std::mutex>&, time_point deadline) override {
    std::lock_guard lock(mu_);
    if (deadline > now_) now_ = deadline;
  }
  // Milliseconds since the clock's start.
  double ms_since_start(time_point t) const { return std::chrono::duration<double, std::milli>(t - start_).count(); }

 private:
  std::mutex mu_;
  const time_point start_ = time_point{} + std::chrono::hours(1);
  time_point now_ = start_;
};

// What the scripted web answers for one URL.
struct Scripted {
  Scripted(long status_ = 200, std::string body_ = {}, std::string content_type_ = "text/html")
      : status(status_), body(std::move(body_)), content_type(std::move(content_type_)) {}
  static Scripted failure(FetchErrc e) {
    Scripted s;
    s.error = e;
    return s;
  }
  Scripted& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }

  long status;
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Retry-After
  std::optional<FetchErrc> error;                            // a transport failure instead of a response
};

// Answers every request at once, on the caller's thread (the crawl loop's):
// transfer_ended(), then result_ready(), as the real fetchers do. Unknown
// URLs answer 404. A URL with several scripted answers gets them in order,
// the last one again and again.
class ScriptedFetcher final : public Fetcher {
 public:
  ScriptedFetcher(FetchListener& listener, ManualClock& clock) : listener_(listener), clock_(clock) {}

  void script(const std::string& url, Scripted answer) { answers_[url].push_back(std::move(answer)); }

  void submit(FetchRequest request) override {
    submitted_.push_back({clock_.now(), request});
    FetchResult r;
    r.request = std::move(request);
    r.fetched_at = std::chrono::system_clock::now();
    Scripted answer(404);
    if (auto it = answers_.find(r.request.url); it != answers_.end()) {
      answer = it->second.front();
      if (it->second.size() > 1) it->second.pop_front();
    }
    r.final_url = r.request.url;
    if (cancelled_) answer.error = FetchErrc::aborted;
    if (answer.error) {
      r.error = make_error_code(*answer.error);
      r.error_detail = "scripted";
    } else {
      r.status = answer.status;
      r.body = answer.body;
      r.content_type = answer.content_type;
      r.headers = answer.headers;
      for (const auto& [name, value] : answer.headers)
        if (name == "Retry-After") r.retry_after_s = std::stod(value);
    }
    listener_.transfer_ended(r);
    listener_.result_ready(std::move(r));
  }
  void drain() override {}
  void cancel() override { cancelled_ = true; }

  struct Submitted {
    Clock::time_point at;
    FetchRequest request;
  };
  const std::vector<Submitted>& submitted() const { return submitted_; }
  std::vector<std::string> submitted_urls() const {
    std::vector<std::string> out;
    for (const auto& s : submitted_) out.push_back(s.request.url);
    return out;
  }

 private:
  FetchListener& listener_;
  ManualClock& clock_;
  std::map<std::string, std::deque<Scripted>> answers_;
  std::vector<Submitted> submitted_;
  bool cancelled_ = false;
};

// Keeps every stored result in memory. fail_after(n): the (n+1)-th store and
// every later one fail, as a full disk would.
class MemorySink final : public Sink {
 public:
  void fail_after(int stores) { fail_after_ = stores; }

  std::optional<StorageFailure> begin_run(const RunInfo&) override {
    std::lock_guard lock(mu_);
    ++runs_begun_;
    return failure_;
  }
  void store(const FetchResult& result) override {
    std::lock_guard lock(mu_);
    if (fail_after_ && static_cast<int>(stored_.size()) >= *fail_after_) {
      if (!failure_) failure_ = StorageFailure{"memory", "cannot store " + result.request.url + ": full"};
      return;
    }
    stored_.push_back(result);
  }
  // A caller that gives its result up: counted, then stored as store() does.
  void store_owned(FetchResult&& result) override {
    {
      std::lock_guard lock(mu_);
      ++owned_;
    }
    store(result);
  }
  void settle_owned(FetchResult&& result, bool page, UrlEffects effects) override {
    {
      std::lock_guard lock(mu_);
      ++owned_;
    }
    settle(result, page, std::move(effects));
  }
  std::optional<StorageFailure> flush() override { return failure(); }
  // How many results were handed over with store_owned/settle_owned.
  int owned() const {
    std::lock_guard lock(mu_);
    return owned_;
  }
  std::optional<StorageFailure> end_run(const RunSummary& summary) override {
    std::lock_guard lock(mu_);
    ended_ = summary;
    return failure_;
  }
  bool failed() const noexcept override {
    std::lock_guard lock(mu_);
    return failure_.has_value();
  }
  std::optional<StorageFailure> failure() const override {
    std::lock_guard lock(mu_);
    return failure_;
  }

  std::vector<FetchResult> stored() const {
    std::lock_guard lock(mu_);
    return stored_;
  }
  // The stored result for `url`, if exactly one.
  std::optional<FetchResult> for_url(const std::string& url) const {
    std::lock_guard lock(mu_);
    std::optional<FetchResult> found;
    for (const auto& r : stored_) {
      if (r.request.url != url) continue;
      if (found) return std::nullopt;
      found = r;
    }
    return found;
  }
  std::optional<RunSummary> ended() const {
    std::lock_guard lock(mu_);
    return ended_;
  }

 private:
  mutable std::mutex mu_;  // guards everything below
  std::vector<FetchResult> stored_;
  std::optional<int> fail_after_;
  std::optional<StorageFailure> failure_;
  std::optional<RunSummary> ended_;
  int runs_begun_ = 0;
  int owned_ = 0;
};

}  // namespace crawl::testing

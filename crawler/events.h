// The events the frontier's owner hears from the other threads, and the
// inbox they arrive in. Event loops post TransferEnded (cheap: no parsing);
// result threads post ResultDone once a result is read and recorded.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/fetch_types.h"
#include "crawler/clock.h"
#include "crawler/frontier.h"
#include "crawler/result_reader.h"
#include "web/robots.h"

namespace crawl {

// A transfer is over: its host's lease can be freed.
struct TransferEnded {
  FetchRequest request;  // url and kind only
  Frontier::Outcome outcome = Frontier::Outcome::ok;
  double retry_after_s = 0;
};

// A result was read (and, when final, recorded): what it tells the frontier.
struct ResultDone {
  FetchRequest request;
  Discoveries discoveries;                        // links, sitemap URLs, a redirect's target
  std::optional<std::optional<RobotsRules>> robots;  // set for a robots.txt: its rules, or nullopt if unavailable
  std::string robots_failure;                     // why the rules are unavailable
  std::optional<FetchResult> retry;               // set when it is worth another try (not yet recorded)
  // New URLs with a stored copy (not in discoveries.found), with what is
  // known of it: queued with their validators, or, when not due, handed to
  // the stored-copy thread.
  struct Known {
    std::string url;
    int depth = 0;
    RequestKind kind = RequestKind::page;
    std::shared_ptr<const KnownCopy> copy;
  };
  std::vector<Known> known;
  bool requeue = false;  // a page not due whose copy is missing: fetch it after all
};

// URLs of a host read back from the crawl state (Frontier::take_refills).
struct Refilled {
  std::string origin;
  std::vector<FetchRequest> requests;
};

using CrawlEvent = std::variant<TransferEnded, ResultDone, Refilled>;

// The events waiting for the frontier's owner, from any number of threads.
// push() takes a short lock and never wakes anybody: whoever posts an event
// either serves it (Crawler::serve) or leaves it for the thread that does.
// The crawl loop's thread sleeps in wait() when nobody needs it; notify()
// wakes it.
class Inbox {
 public:
  // Any thread.
  void push(CrawlEvent event) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }

  // Moves every queued event into `out` (cleared first).
  void take(std::vector<CrawlEvent>& out) {
    out.clear();
    std::lock_guard lock(mu_);
    out.swap(events_);
  }

  bool empty() const {
    std::lock_guard lock(mu_);
    return events_.empty();
  }

  // The crawl loop's thread: returns when events are queued, notify() was
  // called since the last wait, or `deadline` has come on `clock`.
  void wait(Clock& clock, Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    if (events_.empty() && !notified_) {
      waiting_ = true;
      clock.wait_until(cv_, lock, deadline);
      waiting_ = false;
    }
    notified_ = false;
  }

  // Any thread: wakes wait().
  void notify() {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      notified_ = true;
      wake = waiting_;
    }
    if (wake) cv_.notify_one();
  }

 private:
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::vector<CrawlEvent> events_;
  bool waiting_ = false;
  bool notified_ = false;
};

}  // namespace crawl

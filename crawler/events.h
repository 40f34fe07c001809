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
};

using CrawlEvent = std::variant<TransferEnded, ResultDone>;

// A many-producer, one-consumer queue of events. push() takes a short lock
// and wakes the consumer only when it is waiting (and the event asks for it),
// so a busy crawl pays no futex round trip per event.
class Inbox {
 public:
  // Any thread. `wake` false: the event waits for the next one that wakes
  // the consumer (or its next timed wake-up).
  void push(CrawlEvent event, bool wake = true) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(event));
      wake = wake && waiting_;
    }
    if (wake) cv_.notify_one();
  }

  // The consumer: moves every queued event into `out` (cleared first),
  // waiting on `clock` until `deadline` when there is none.
  void take(std::vector<CrawlEvent>& out, Clock& clock, Clock::time_point deadline) {
    out.clear();
    std::unique_lock lock(mu_);
    if (events_.empty()) {
      waiting_ = true;
      clock.wait_until(cv_, lock, deadline);
      waiting_ = false;
    }
    out.swap(events_);
  }

 private:
  std::mutex mu_;  // guards events_ and waiting_
  std::condition_variable cv_;
  std::vector<CrawlEvent> events_;
  bool waiting_ = false;
};

}  // namespace crawl

// Crawler: the crawl loop. The frontier and its counters have one owner at a
// time, like an Asio strand: step() (apply the queued events, then hand out
// work — the only place requests are submitted) runs under owner_, taken by
// the thread that calls run() or by a result thread that posted an event and
// found the owner free. Everybody else only posts events (crawler/events.h):
//
//   event loops:    transfer_ended(): when the transfer ended well and the
//                   owner is free, its lease ends there and its host's next
//                   URL, if it may go now, is submitted there
//                   (end_in_place: one host, no walk of the frontier);
//                   otherwise → TransferEnded, and a wake of run()'s thread,
//                   which steps. Either way the host's next request starts
//                   without waiting for this page's parsing. A loop never
//                   steps (a step matches URLs against robots.txt rules and
//                   walks the frontier; a loop that did would stall its
//                   transfers).
//   result threads: result_ready() → read the result (links, robots rules),
//                   record it (storage, stats, log, added callbacks), post
//                   ResultDone, and serve() if the owner is free.
//   run()'s thread: seeds; a step whenever woken (a transfer ended, a host's
//                   delay has passed, a signal, the crawl may be over); the
//                   end of the run.
//
// So nobody waits for parsing while holding the frontier, no event loop ever
// waits for a lock beyond the inbox's push, and "in flight" is counted in
// one place.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "crawler/clock.h"
#include "crawler/events.h"
#include "crawler/frontier.h"
#include "crawler/result_reader.h"
#include "crawler/scope.h"
#include "crawler/seen_set.h"
#include "crawler/seeds.h"
#include "crawler/stats.h"
#include "fetch/fetcher.h"
#include "storage/sink.h"

namespace crawl {

// Written by signal handlers (async-signal-safe: lock-free atomics only),
// read by the crawl loop. First signal: stop handing out work, let transfers
// in flight finish. Second: abort them.
struct StopRequest {
  std::atomic<int> count{0};
  std::atomic<int> last_signal{0};
  static_assert(std::atomic<int>::is_always_lock_free);
};

struct CrawlReport {
  RunSummary summary;
  Stats::Snapshot stats;
  std::int64_t dispatched = 0;
  std::size_t left_queued = 0;
  std::optional<StorageFailure> storage_failure;  // set when outcome is storage_failed (or a late write failed)
  std::optional<std::int64_t> resumed_from;  // the unfinished run this one continued
  std::int64_t requeued = 0;                 // URLs in flight at its interruption, queued again
  std::int64_t resumed_queue = 0;            // URLs queued when it resumed
  std::int64_t not_modified = 0;             // 304s to conditional requests: stored copies confirmed
  std::int64_t not_due = 0;                  // pages not requested (--revisit adaptive): links followed
};

class Crawler final : private FetchListener {
 public:
  using Callback = std::function<void(const FetchResult&)>;

  // sink may be null (--store none); clock null means SteadyClock. config,
  // sink, stop and clock must outlive the crawler.
  Crawler(const Config& config, Sink* sink, const StopRequest* stop = nullptr, Clock* clock = nullptr);
  ~Crawler() override;  // joins the stored-copy thread if run() did not
  Crawler(const Crawler&) = delete;
  Crawler& operator=(const Crawler&) = delete;

  // What the fetcher reports to (make_fetcher(config, crawler.listener())).
  FetchListener& listener() { return *this; }

  // Adds a done-callback, run after the built-in ones (storage, stats, log)
  // for every final result, on a result thread or on the crawl loop's thread
  // (so it must be thread-safe). Call before run().
  void add_done_callback(Callback callback);

  // Crawls from `seeds` with `fetcher` (whose listener is this crawler)
  // until nothing is left, --max-pages is reached, a stop is requested or
  // the sink fails; drains the fetcher, flushes the sink and records the
  // run. Call once.
  CrawlReport run(const std::vector<Seed>& seeds, Fetcher& fetcher);

  // Live figures for a progress display; thread-safe, takes no lock of the
  // crawl loop.
  struct Progress {
    Stats::Snapshot stats;
    std::size_t queued = 0;
    std::size_t in_flight = 0;
  };
  Progress progress() const;

 private:
  // FetchListener, on the fetcher's threads.
  void transfer_ended(const FetchResult& result) noexcept override;
  void result_ready(FetchResult&& result) noexcept override;
  // Where a transfer ended well, when the owner is free: its lease ends
  // here and its host's next URL, if it may go now (Frontier::next_of), is
  // handed to the fetcher from this thread, without an event, a wake of
  // run()'s thread or a step between a response and the host's next
  // request (on a latency-bound crawl, one crawl-thread wake-up per
  // response). Anything else (a failure, a delay, rules to fetch, URLs to
  // skip, a stop, a limit) goes the usual way. Returns whether the lease
  // was ended here.
  bool end_in_place(const FetchResult& result);
  // What `result` tells the frontier; records it when final. Moves the
  // request out of `result` only once nothing can throw any more, so after an
  // exception result.request is intact.
  ResultDone read(FetchResult&& result);

  // Storage, stats, log, added callbacks: for every final result, fetched
  // or skipped. `index` false: a noindex page, not stored.
  // `effects`: what it does to the crawl state (UrlEffects::state is set
  // here from the result).
  void record(FetchResult&& result, bool index = true, UrlEffects effects = {});
  // Keeps the URLs of `found` not seen before and within
  // --max-urls-per-host (the seen-set is shared by the result threads and
  // the owner, under seen_mutex_); counts the ones over the host cap.
  void keep_unseen(FoundUrls& found);
  enum class Taken { fresh, seen, over_host_cap };
  // Marks `url` seen if it is fresh and its host is under the cap; the
  // caller holds seen_mutex_.
  Taken take_unseen(const std::string& url);
  // What `done.discoveries` adds to the crawl, found by `from`: its new
  // URLs (those with a stored copy moved to done.known, with its
  // validators), as state rows in `effects`.
  void follow(ResultDone& done, const FetchRequest& from, UrlEffects& effects);
  // What is known of the good copy stored for `url` (validators, due or
  // not), or nullptr: none stored (known_ says first, without a read).
  std::shared_ptr<const KnownCopy> known_copy(const std::string& url);
  // A page --revisit adaptive says not to request now: its links are
  // followed from its stored copy by the stored-copy thread.
  bool not_due(const FetchRequest& request) const;
  // `r` is a redirect: its target (resolved from Location) becomes the
  // result's final_url and redirects, and, when new to the crawl, a request
  // of its own (done.discoveries.redirect) at the same depth; a target
  // past --max-redirect or outside the crawl's scope is recorded as such
  // (too_many_redirects, out_of_scope) and not fetched.
  void follow_redirect(FetchResult& r, ResultDone& done, UrlEffects& effects);
  // Whether redirect `r` to `target`, a URL seen already, is a cookie wall
  // worth passing: with cookies kept, `r` sets one and sends back to its own
  // URL or to the URL that redirected to it.
  bool cookie_wall(const FetchResult& r, const std::string& target) const;
  // A 304 (or not-due) page's links, from its stored copy; false when
  // none is stored.
  bool follow_stored(const FetchRequest& request, ResultDone& done, UrlEffects& effects);
  // The stored-copy thread (when a state is kept): the links of a page
  // with a stored copy are followed from it when the page is not fetched —
  // not due (--revisit adaptive), or not fetched because its host was given
  // up or its robots.txt is unavailable (`failure`: recorded) — so a batch
  // reaches what the previous one did and reports it failing, not gone.
  struct CopyJob {
    FetchRequest request;
    std::optional<FetchResult> failure;
  };
  void revisit_loop();
  void revisit(CopyJob job);
  // Owner: hands `job` to the stored-copy thread (in flight until its ResultDone).
  void queue_copy_job(CopyJob job);
  void stop_revisits();
  // `found` as state rows, found by `from`.
  static void append_state_urls(std::vector<StateUrl>& out, const FoundUrls& found, const FetchRequest& from);
  // Resumes the crawl state (if any) and queues the seeds new to it.
  void start(const std::vector<Seed>& seeds, CrawlReport& report);
  // Asks the state for the URLs of hosts that drained (owner).
  void request_refills();

  // Whether the caller may run a step (which may block storing skipped URLs
  // into a sink that applies backpressure, and costs the robots.txt matching
  // of dispatch): not on an event loop, nor on the state's writer.
  enum class Serving { may_block, never_block };
  // Posts `event`, then acts as the owner if nobody is.
  void post(CrawlEvent event, Serving serving);
  // may_block: runs step() while events are queued and owner_ is free;
  // wakes run()'s thread when the crawl may be over, a host is ready sooner
  // than it planned to wake, or skipped URLs wait to be recorded.
  // never_block: wakes run()'s thread, which steps.
  void serve(Serving serving);

  // The owner's side: with owner_ held.
  void step();
  void check_stop();
  void apply(CrawlEvent& event);
  void apply_done(ResultDone& done);
  std::optional<Clock::time_point> dispatch();
  // Counts `request` handed out and submits it.
  void hand_out(FetchRequest request);
  // The frontier's size and the transfers in flight, for progress().
  void publish_counts();
  void record_skipped(std::vector<Frontier::Skipped>&& skipped);
  bool limit_reached() const { return config_.max_pages > 0 && dispatched_ >= config_.max_pages; }
  void finish(CrawlReport& report, Clock::time_point started);

  const Config& config_;
  Sink* sink_;
  const StopRequest* stop_;
  SteadyClock steady_clock_;
  Clock* clock_;
  Stats stats_;
  std::vector<Callback> callbacks_;
  std::optional<CrawlScope> scope_;     // set by run() before any request is submitted (grown by seeds' redirects)
  std::optional<ResultReader> reader_;  // likewise; then read by result threads
  Inbox inbox_;
  StateStore* state_ = nullptr;  // the sink's crawl state, if it keeps one
  std::mutex seen_mutex_;        // guards seen_
  SeenSet seen_;                 // every URL ever queued
  std::unordered_map<std::string, std::int64_t> host_urls_;  // URLs queued per origin this run (under seen_mutex_)
  SeenSet known_;                // URLs with a good stored copy (filled by start(), then read-only)
  std::string due_before_;       // --revisit adaptive: copies due after this (the batch's start) are not; "" all due
  std::atomic<std::int64_t> not_modified_{0};
  std::atomic<std::int64_t> not_due_{0};
  std::mutex revisit_mutex_;     // guards the three below
  std::condition_variable revisit_cv_;
  std::deque<CopyJob> revisit_queue_;
  bool revisit_stop_ = false;
  std::thread revisit_thread_;   // started by run() when a state is kept
  Fetcher* fetcher_ = nullptr;              // set by run() before the first step

  std::mutex owner_;  // held by whichever thread is the owner: guards everything below
  std::vector<CrawlEvent> events_;  // taken from the inbox, being applied
  std::vector<Frontier::Skipped> skipped_;  // left by steps that must not block
  Frontier frontier_;
  int in_flight_ = 0;            // submitted, ResultDone not yet applied
  std::int64_t dispatched_ = 0;  // pages handed to the fetcher so far (--max-pages)
  // Hand out nothing more. Written by the owner; also read by result threads
  // deciding on a retry, hence atomic.
  std::atomic<bool> stopping_{false};
  bool cancelled_ = false;       // the fetcher was told to abort
  RunOutcome outcome_ = RunOutcome::completed;
  bool finished_ = false;                       // nothing more will happen: run() may end
  std::optional<Clock::time_point> wake_at_;    // when a waiting host becomes ready
  Clock::time_point planned_wake_ = Clock::time_point::max();  // when run()'s thread wakes by itself

  // Published by the owner for progress().
  std::atomic<std::size_t> queued_published_{0};
  std::atomic<std::size_t> in_flight_published_{0};
};

}  // namespace crawl

// Crawler: the crawl loop. Seeds go into the frontier; the loop hands work
// to the fetcher while leases and --concurrency allow; every finished fetch
// runs the done-callbacks in order (links → frontier, sink, stats, log), then
// releases its host lease.
#pragma once

#include <atomic>
#include <boost/regex.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "crawler/frontier.h"
#include "web/robots.h"
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
};

class Crawler {
 public:
  using Callback = std::function<void(const FetchResult&)>;

  // sink may be null (--store none). fetcher, sink and stop must outlive run().
  Crawler(const Config& config, Fetcher& fetcher, Sink* sink, const StopRequest* stop = nullptr);

  // Adds a done-callback, run after the built-in ones for every result, on a
  // fetcher thread (so it must be thread-safe). Call before run().
  void add_done_callback(Callback callback);

  // Crawls from `seeds` until nothing is left, --max-pages is reached or a
  // stop is requested; flushes the sink and records the run. Call once.
  CrawlReport run(const std::vector<Seed>& seeds);

  // Live figures for a progress display; thread-safe.
  struct Progress {
    Stats::Snapshot stats;
    std::size_t queued = 0;
    std::size_t in_flight = 0;
  };
  Progress progress() const;

 private:
  void on_transfer_end(const FetchResult& result);  // the fetcher's end hook
  void on_done(FetchResult&& result);
  std::optional<RobotsRules> robots_rules_of(const FetchResult& result) const;
  // Runs the done-callbacks for requests the frontier will not fetch.
  void record_skipped(std::vector<Frontier::Skipped>&& skipped);
  // The built-in done-callbacks and then the added ones, in order.
  void run_callbacks(const FetchResult& result);
  // Takes requests from the frontier while leases, --concurrency and
  // --max-pages allow; the caller submits them after unlocking. Sets
  // *wake_at to when a waiting host becomes ready, if nothing is.
  std::vector<FetchRequest> take_work(const std::unique_lock<std::mutex>& held,
                                      std::optional<Frontier::Clock::time_point>* wake_at);
  void submit_all(std::vector<FetchRequest>&& requests);
  bool limit_reached() const { return config_.max_pages > 0 && dispatched_ >= config_.max_pages; }
  // Queues the links of a page (or the URLs of a sitemap); returns whether
  // the page may be stored (false for a noindex page).
  bool enqueue_links(const FetchResult& result);
  void enqueue(std::vector<std::string>&& urls, const FetchRequest& from, int depth, RequestKind kind);
  bool in_scope(const std::string& url) const;

  const Config& config_;
  Fetcher& fetcher_;
  Sink* sink_;
  const StopRequest* stop_;
  Stats stats_;
  std::vector<Callback> callbacks_;
  std::unordered_set<std::string> seed_hosts_;    // written before run() starts fetching
  std::unordered_set<std::string> seed_domains_;  // their registrable domains (--scope domain)
  std::vector<boost::regex> include_, exclude_;
  std::string robots_token_;                      // product token of --user-agent

  mutable std::mutex mu_;  // guards frontier_, in_flight_, dispatched_, stopping_
  std::condition_variable changed_;
  Frontier frontier_;
  int in_flight_ = 0;            // submitted, done-callbacks not yet finished
  std::int64_t dispatched_ = 0;  // handed to the fetcher so far
  bool stopping_ = false;        // a stop was requested: hand out nothing more
};

}  // namespace crawl

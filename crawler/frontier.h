// Frontier: the queue of URLs still to fetch, with per-host leases.
//
// URLs are grouped by host (their origin, "scheme://host:port": the unit
// robots.txt applies to). Per host: a priority queue (lower priority first,
// FIFO among equals), a count of transfers in flight and the earliest time
// the next transfer may start. A host is handed work only while fewer than
// per_host of its transfers are in flight and its delay since the previous
// start has passed — the per-host lock. The delay is the largest of --delay,
// the host's robots.txt Crawl-delay and its current back-off, each capped by
// max_delay. Among eligible hosts, the one whose best URL has the best
// priority goes first, so a worker never idles while any host is ready, and
// a host that must wait holds nothing.
//
// robots.txt: when obeyed, a host's first request is its /robots.txt; its
// pages wait until set_robots() gives the rules, and every page is checked
// against them when it is handed out. Rules expire after robots_ttl and are
// fetched again.
//
// Feedback: done() takes what became of a transfer. A 429/503 with
// Retry-After pauses the host that long; other 429/5xx and connection
// failures double the host's back-off (recovering by halves on success);
// max_host_failures connection failures in a row give the host up. Requests
// that will not be fetched (robots.txt, a host given up) are collected for
// take_skipped(), so the crawler can record each one.
//
// The seen-set stores 64-bit fingerprints (seen_set.h), and a queued URL
// costs its string, one shared referrer pointer and a few numbers.
//
// Not thread-safe: the crawler owns one Frontier and guards it with its lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "web/robots.h"
#include "crawler/seen_set.h"
#include "core/fetch_types.h"
#include "core/url_parts.h"

namespace crawl {


class Frontier {
 public:
  using Clock = std::chrono::steady_clock;
  using Referrer = std::shared_ptr<const std::string>;

  struct Options {
    int per_host = 2;
    std::chrono::milliseconds delay{0};
    bool robots = false;                                 // fetch and obey robots.txt
    int robots_retries = 2;                              // retries of a 5xx/unreachable robots.txt
    std::chrono::milliseconds max_delay{30'000};         // cap on Crawl-delay, Retry-After, back-off
    std::chrono::milliseconds first_backoff{1'000};      // back-off after the first failure
    std::int64_t max_pages_per_host = 0;                 // 0: no limit
    int max_host_failures = 5;                           // connection failures in a row
    std::chrono::seconds robots_ttl{24 * 3600};
    // 0: every queued URL is held in memory. N > 0 (a durable state keeps
    // the queue): at most about N queued URLs are held in memory, the rest
    // wait in the state ("on disk") and are read back host by host as hosts
    // drain (take_refills() / refill()).
    std::size_t memory_queue = 0;
  };

  explicit Frontier(Options options);

  // Queues a request (page or sitemap; url normalized) unless its URL was
  // seen before or its host is over --max-pages-per-host. A request for a
  // host given up goes to the skipped list. Returns whether it was queued.
  bool add(FetchRequest request);
  bool add(std::string url, int depth, double priority, Referrer referrer,
           RequestKind kind = RequestKind::page);

  // Queues a URL the caller knows to be new (its own seen-set said so): no
  // seen-set lookup. With memory_queue, a URL its host cannot hold in memory
  // now is counted as waiting on disk (the caller has written it to the
  // state). Returns whether it was queued.
  // `known`: what is known of its stored copy (the request is conditional).
  bool add_new(std::string url, int depth, double priority, Referrer referrer,
               RequestKind kind = RequestKind::page, std::shared_ptr<const KnownCopy> known = nullptr);
  // The same for a whole request (a redirect's target: its hop count kept).
  bool add_new(FetchRequest request);

  // Resuming: `count` URLs of `origin` wait in the state.
  void restore(const std::string& origin, std::int64_t count);
  // Hosts whose memory queue is empty while URLs of theirs wait on disk,
  // now due for a read (at most a few at a time, and only while memory has
  // room); each must be answered by refill(). `limit` is how many to read.
  std::vector<std::string> take_refills();
  std::size_t refill_limit() const { return refill_size_; }
  // The URLs read for `origin` (best priority first, at most refill_limit()).
  // `read`: how many the read returned, when the caller kept some of them
  // (pages not due, which are not fetched); default requests.size().
  void refill(const std::string& origin, std::vector<FetchRequest> requests, std::size_t read = SIZE_MAX);

  // Queues a request handed out before again (a retry; attempt already
  // counted by the caller). The seen-set is not consulted.
  void retry(FetchRequest request);

  // Marks a URL as seen without queueing it (e.g. a redirect's target).
  void mark_seen(std::string_view url);
  bool seen(std::string_view url) const;

  struct Next {
    std::optional<FetchRequest> request;  // work to start now; its host's lease is taken
    std::optional<Clock::time_point> wake_at;  // when nothing is ready: earliest time something may be
  };
  // The best request whose host lease is free at `now`.
  Next next(Clock::time_point now);
  // The next request of `origin` alone, when next() would hand that host
  // one now and its best URL goes out as it is: the host has a free slot,
  // its delay has passed, its robots.txt rules are known and current, and
  // the URL is allowed and within --max-pages-per-host (and is not the last
  // in memory of a host whose other URLs wait on disk). Its lease is taken
  // as next() takes it. Otherwise nullopt, and nothing has changed: next()
  // decides. A host's successor without a walk of the frontier (the crawler
  // starts it where the host's previous transfer ended).
  std::optional<FetchRequest> next_of(const std::string& origin, Clock::time_point now);

  // What became of a transfer, for the host's back-off.
  enum class Outcome {
    ok,                  // a response that is not a server-side problem
    throttled,           // 429 or 503 (retry_after_s, if given, is honoured)
    server_error,        // other 5xx
    connection_failure,  // no response: connect, DNS, timeout, reset
  };
  // Releases the lease taken by next() for `request`. Call exactly once per
  // request handed out (robots.txt requests included, before set_robots()).
  void done(const FetchRequest& request, Outcome outcome, double retry_after_s, Clock::time_point now);

  // The outcome of a robots.txt request: the rules to obey (parsed, or
  // allow_all() for a 4xx), or nullopt when it could not be had (5xx,
  // unreachable): then it is fetched again after a back-off, up to
  // robots_retries times, and after that the host's URLs are skipped.
  // `failure` says why, when rules is nullopt ("HTTP 503", "connect: …").
  void set_robots(const FetchRequest& robots_request, std::optional<RobotsRules> rules, Clock::time_point now,
                  const std::string& failure = {});

  struct Skipped {
    FetchRequest request;
    CrawlDecision reason;
    std::string detail;
  };
  // Requests that will not be fetched since the last call.
  std::vector<Skipped> take_skipped();

  // Whether anything may still be handed out: hosts ready, waiting for
  // their delay, or waiting for their robots.txt.
  bool has_pending() const {
    return !ready_.empty() || !waiting_.empty() || robots_in_flight_ > 0 || on_disk_ > 0 || refills_pending_ > 0;
  }

  // When the first host waiting for its delay may start, if any waits.
  std::optional<Clock::time_point> next_wake() const {
    if (waiting_.empty()) return std::nullopt;
    return waiting_.begin()->first;
  }

  // Queued URLs, in memory and waiting on disk.
  std::size_t queued() const { return queued_ + static_cast<std::size_t>(on_disk_); }
  std::size_t queued_in_memory() const { return queued_; }
  std::size_t in_flight() const { return in_flight_; }
  std::size_t seen_count() const { return seen_.size(); }
  std::size_t host_count() const { return hosts_.size(); }
  std::size_t seen_bytes() const { return seen_.memory_bytes(); }

 private:
  struct Item {
    double priority;
    std::uint64_t seq;
    std::string path;   // the URL after its origin (the host's name): path and query
    Referrer referrer;  // shared by all links of one page
    std::int32_t depth;
    RequestKind kind;
    std::uint8_t attempt;
    std::uint8_t redirects;  // hops of the redirect chain that led here
    std::shared_ptr<const KnownCopy> known;  // its stored copy, when read back from the state
    // A URL tried before (a retry, or in flight when a crawl was
    // interrupted) waits until its host has nothing fresh, as Scrapy lowers
    // a retry's priority: a URL that fails, or that was being fetched when
    // the crawler died, does not hold up the others.
    bool tried() const { return attempt > 0; }
    bool operator>(const Item& o) const {
      return std::make_tuple(tried(), priority, seq) > std::make_tuple(o.tried(), o.priority, o.seq);
    }
  };
  using ReadyKey = std::tuple<bool, double, std::uint64_t, std::string>;  // best item's tried, priority, seq; host
  using WaitKey = std::pair<Clock::time_point, std::string>;          // next_start, host
  enum class RobotsState : std::uint8_t { not_needed, unknown, fetching, known, given_up };
  struct Host {
    std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
    int in_flight = 0;
    Clock::time_point last_start{};
    Clock::time_point next_start{};
    std::optional<ReadyKey> ready_key;
    std::optional<WaitKey> wait_key;
    RobotsState robots_state = RobotsState::not_needed;
    std::shared_ptr<const RobotsRules> robots;
    Clock::time_point robots_expires{};
    int robots_attempt = 0;
    std::chrono::milliseconds crawl_delay{0};
    std::chrono::milliseconds backoff{0};
    int failures_in_a_row = 0;
    std::int64_t dispatched = 0;  // pages handed out
    bool given_up = false;
    std::int64_t on_disk = 0;     // queued URLs waiting in the state, not in memory
    bool refill_wanted = false;   // in refill_wanted_
    bool refill_pending = false;  // handed out by take_refills(), not yet refilled
    // URLs that went to disk while a read was pending: that read may have
    // missed them (their page committed after it ran).
    std::int64_t on_disk_since_read = 0;
    CrawlDecision gave_up_reason = CrawlDecision::host_given_up;
    std::string gave_up_because;
  };

  bool add_new(FetchRequest&& request, Referrer referrer);
  Host& host_for(const std::string& origin);
  // Whether a page of `origin` (of `host`) would exceed --max-pages-per-host.
  bool over_quota(const std::string& origin, RequestKind kind) const;
  bool over_quota(const Host& host, RequestKind kind) const;
  // Whether `host`'s robots.txt rules forbid `item` (a page).
  static bool disallowed(const Host& host, const Item& item);
  void promote(Clock::time_point now);
  // Queues `item` for `host`, or records it skipped if the host was given up.
  bool enqueue(const std::string& origin, Host& host, Item item);
  void push(Host& host, Item item);
  // Re-files `host` in waiting_ (it has work and a free slot) or nowhere.
  void refile(const std::string& name, Host& host);
  void unfile(Host& host);
  std::chrono::milliseconds delay_of(const Host& host) const;
  void skip(FetchRequest request, CrawlDecision reason, std::string detail);
  void give_up(const std::string& name, Host& host, CrawlDecision reason, std::string detail);
  void pop(Host& host);
  // Puts `host` in line for a refill when its memory queue is empty and
  // URLs of its wait on disk.
  void want_refill(const std::string& name, Host& host);
  void drop_on_disk(Host& host);
  static FetchRequest to_request(const std::string& origin, Item&& item);
  // Hands out `host`'s best item (popped by the caller): its lease taken.
  FetchRequest lease(const std::string& name, Host& host, Item&& item, Clock::time_point now);

  Options options_;
  std::unordered_map<std::string, Host> hosts_;
  SeenSet seen_;
  std::set<ReadyKey> ready_;   // eligible now, best priority first
  std::set<WaitKey> waiting_;  // eligible once their next_start has come
  std::vector<Skipped> skipped_;
  std::uint64_t seq_ = 0;
  std::size_t queued_ = 0;
  std::size_t in_flight_ = 0;
  std::size_t robots_in_flight_ = 0;
  std::size_t refill_size_ = 0;        // URLs read per refill (memory_queue > 0)
  std::int64_t on_disk_ = 0;           // sum of hosts' on_disk
  std::size_t refills_pending_ = 0;
  std::deque<std::string> refill_wanted_;
};

}  // namespace crawl

// Frontier: the queue of URLs still to fetch, with per-host leases.
//
// Per host: a priority queue (lower priority first, FIFO among equals), a
// count of transfers in flight and the earliest time the next transfer may
// start. A host is handed work only while fewer than per_host of its
// transfers are in flight and its delay since the previous start has passed
// — the per-host lock. Among eligible hosts, the one whose best URL has the
// best priority goes first, so a worker never idles while any host is ready.
//
// Not thread-safe: the crawler owns one Frontier and guards it with its lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fetch/fetch_types.h"

namespace crawl {

class Frontier {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    int per_host = 2;
    std::chrono::milliseconds delay{0};
  };

  explicit Frontier(Options options);

  // Queues `request` (its url normalized) unless that URL was seen before.
  // Returns whether it was queued.
  bool add(FetchRequest request);

  // Marks a URL as seen without queueing it (e.g. a redirect's target).
  void mark_seen(const std::string& url);
  bool seen(const std::string& url) const;

  struct Next {
    std::optional<FetchRequest> request;  // work to start now; its host's lease is taken
    std::optional<Clock::time_point> wake_at;  // when nothing is ready: earliest time something may be
  };
  // The best request whose host lease is free at `now`.
  Next next(Clock::time_point now);

  // Releases the lease taken by next() for a request of `host` (url_host of
  // the request's url). Call exactly once per request handed out.
  void done(const std::string& host);

  std::size_t queued() const { return queued_; }
  std::size_t in_flight() const { return in_flight_; }
  std::size_t seen_count() const { return seen_.size(); }
  std::size_t host_count() const { return hosts_.size(); }

 private:
  struct Item {
    double priority;
    std::uint64_t seq;
    FetchRequest request;
    bool operator>(const Item& o) const { return std::tie(priority, seq) > std::tie(o.priority, o.seq); }
  };
  using ReadyKey = std::tuple<double, std::uint64_t, std::string>;    // best item's priority, seq, host
  using WaitKey = std::pair<Clock::time_point, std::string>;          // next_start, host
  struct Host {
    std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
    int in_flight = 0;
    Clock::time_point next_start{};
    std::optional<ReadyKey> ready_key;
    std::optional<WaitKey> wait_key;
  };

  // Re-files `host` in waiting_ (it has work and a free slot) or nowhere.
  void refile(const std::string& name, Host& host);
  void unfile(Host& host);

  Options options_;
  std::unordered_map<std::string, Host> hosts_;
  std::unordered_set<std::string> seen_;
  std::set<ReadyKey> ready_;   // eligible now, best priority first
  std::set<WaitKey> waiting_;  // eligible once their next_start has come
  std::uint64_t seq_ = 0;
  std::size_t queued_ = 0;
  std::size_t in_flight_ = 0;
};

}  // namespace crawl

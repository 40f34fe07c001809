// Stats: counters of a crawl, fed by a done-callback. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/fetch_types.h"

namespace crawl {

// "timeout", "dns", … for transport errors, "http_404" for HTTP errors,
// "" for a successful response.
std::string error_kind(const FetchResult& result);

// Fetch latencies in fixed logarithmic buckets: 40 per decade from 10 µs to
// 1000 s (each bucket spans 6 %, so a percentile is within 6 % of the exact
// value, usually much closer), plus one bucket below and one above. Recording is O(1) with no
// allocation; percentiles are computed from the buckets on demand. A plain
// value type: not thread-safe by itself (Stats guards it).
class LatencyHistogram {
 public:
  static constexpr int kBucketsPerDecade = 40;
  static constexpr int kDecades = 8;
  static constexpr double kMinMs = 0.01;  // lower edge of the first bucket

  void record(double ms);
  std::int64_t count() const { return count_; }
  // The q-th percentile (nearest rank) in milliseconds, interpolated
  // linearly inside the bucket holding that rank and clamped to the
  // smallest and largest value seen; q <= 0 gives the smallest, q >= 100 the
  // largest. nullopt when nothing was recorded.
  std::optional<double> percentile(double q) const;

 private:
  static constexpr int kBuckets = kBucketsPerDecade * kDecades + 2;  // + under, over
  std::array<std::int64_t, kBuckets> buckets_{};
  std::int64_t count_ = 0;
  double min_ = 0;
  double max_ = 0;
};

class Stats {
 public:
  struct Snapshot {
    std::int64_t results = 0;  // fetches attempted and finished (not the skipped ones)
    std::int64_t pages = 0;    // results with a response (any status)
    std::int64_t bytes = 0;    // body bytes of those
    std::int64_t errors = 0;   // no response, or HTTP status >= 400
    std::int64_t transport_errors = 0;  // of which: no response
    std::int64_t skipped = 0;  // not fetched on purpose (FetchResult::skipped(): robots.txt, scope); not errors
    std::map<std::string, std::int64_t> errors_by_kind;
    std::map<std::string, std::int64_t> skipped_by_kind;  // "robots_disallowed", "out_of_scope", …
    // URLs not taken because a bound tripped, by bound ("links-per-page",
    // "url-length": crawler/scope.h's names), counted where they are dropped.
    std::map<std::string, std::int64_t> bounds;
    LatencyHistogram latency;  // elapsed_ms of successful fetches (a response, status < 400)
  };

  void record(const FetchResult& result);
  void count_bound(std::string_view bound, std::int64_t n = 1);
  Snapshot snapshot() const;

 private:
  mutable std::mutex mu_;  // guards now_
  Snapshot now_;
};

}  // namespace crawl

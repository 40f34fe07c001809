// Sink: where finished fetches go. The storage side of the done-callbacks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "fetch/fetch_types.h"

namespace crawl {

// Describes one crawl; handed to begin_run() before the first store().
struct RunInfo {
  std::chrono::system_clock::time_point started_at{};
  std::string mode;         // "threads" | "fibers"
  int concurrency = 0;
  std::string urls_file;
  std::string settings;     // human-readable summary of the options in force
};

// Figures of a finished crawl; handed to end_run() after the last store().
struct RunSummary {
  std::chrono::system_clock::time_point finished_at{};
  std::int64_t pages = 0;   // results with a response (any HTTP status)
  std::int64_t bytes = 0;   // decoded body bytes of those
  std::int64_t errors = 0;  // results without a response + HTTP >= 400
  std::map<std::string, std::int64_t> errors_by_kind;  // "timeout" → 3, "http_404" → 1
  double elapsed_s = 0;
  std::string outcome;      // "completed" | "max-pages" | "interrupted" | "terminated"
  std::int64_t skipped = 0; // not fetched on purpose (FetchResult::skipped(): robots.txt); not errors
  // Cost and latency; empty when unknown (e.g. a sink driven outside `crawl`).
  std::optional<double> cpu_s;                // user + system CPU of the crawling process
  std::optional<std::int64_t> peak_rss_bytes; // its peak resident set size
  std::optional<double> latency_p50_ms;       // of successful fetches (response, status < 400)
  std::optional<double> latency_p95_ms;
  std::optional<double> latency_p99_ms;
};

// Thread safety: store() may be called from any number of threads at once and
// must not wait for disk I/O in the common case (implementations queue and
// batch). begin_run/end_run/flush are called from one thread, never
// concurrently with each other. flush() returns once everything stored so far
// is durable. Errors writing a page are logged and counted, never thrown from
// store(); constructors throw std::runtime_error when the target cannot be
// opened.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void begin_run(const RunInfo&) {}
  virtual void store(const FetchResult& result) = 0;
  virtual void flush() = 0;
  virtual void end_run(const RunSummary&) {}
};

}  // namespace crawl

// RunStats: the figures of one crawl as `crawl --stats-json FILE` writes
// them, and the one definition of that file's keys. app/cli.cpp fills and
// writes it; crawl bench (bench/crawl_run.cpp) reads it back from its child
// runs. Pure values and functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace crawl {

struct RunStats {
  std::string outcome;               // to_string(RunOutcome): "completed", "interrupted", …
  std::int64_t pages = 0;            // results with a response (any status)
  std::int64_t results = 0;          // every finished fetch
  std::int64_t bytes = 0;
  std::int64_t errors = 0;
  std::int64_t transport_errors = 0;  // of which: no response
  std::map<std::string, std::int64_t> errors_by_kind;
  std::int64_t skipped = 0;
  std::int64_t spilled_bodies = 0;  // past --max-body-memory, to temporary files (absent before: 0)
  std::map<std::string, std::int64_t> skipped_by_kind;  // "robots_disallowed", "out_of_scope", …
  std::map<std::string, std::int64_t> bounds;           // URLs dropped by a bound: "links-per-page", …
  double elapsed_s = 0;
  double pages_per_s = 0;
  double cpu_user_s = 0;  // the crawl process's own
  double cpu_sys_s = 0;
  std::int64_t peak_rss_bytes = 0;  // VmHWM
  std::int64_t latency_count = 0;   // successful transfers timed
  std::optional<double> latency_p50_ms, latency_p95_ms, latency_p99_ms;
  std::string mode;  // "threads" | "fibers"
  int concurrency = 0;
  std::int64_t left_queued = 0;
};

// Indented JSON text, ending in a newline. Latency percentiles nobody
// measured are null.
std::string to_json(const RunStats& stats);

// Parses what to_json wrote. Throws std::runtime_error naming the first
// missing or mistyped key, or saying the text is not a JSON object.
RunStats run_stats_from_json(std::string_view text);

}  // namespace crawl

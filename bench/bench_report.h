// The figures of a `crawl bench` run and the four ways it reports them: an
// aligned table, JSON, CSV and an SVG chart. Pure functions of a BenchReport
// (no I/O, no clock), so they are tested without running a crawl.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace crawl::bench {

// One cell of the matrix: a fetch mode at one --concurrency; or, with
// wget2 set, the extra row of `wget2 -r --max-threads=concurrency`.
struct Strategy {
  Mode mode = Mode::fibers;
  int concurrency = 0;
  bool wget2 = false;
  std::string name() const;  // "fibers:512", "wget2:512"
  std::string kind() const;  // "fibers", "threads" or "wget2"
  bool operator==(const Strategy&) const = default;
};

// Parses a matrix such as "threads:8,64,256 fibers:64,512,4096": groups
// separated by spaces or ';', each MODE:N[,N…]; inside a group, an item
// MODE:N switches the mode, so "threads:16,threads:200,fibers:512" works too.
// Keeps the order given. Throws std::invalid_argument with a message naming
// the bad part and what is allowed (unknown mode, bad or out-of-range
// number, a strategy listed twice, an empty list).
std::vector<Strategy> parse_strategies(const std::string& text);

// What was crawled.
struct Workload {
  bool simulated = true;  // the in-process simulated web, or a URL list
  // Simulated web:
  int hosts = 0;
  int pages_per_host = 0;  // plus one root page per host
  std::int64_t page_size = 0;
  int links_per_page = 0;
  int delay_ms = 0;
  int delay_max_ms = 0;  // > delay_ms: uniform in [delay_ms, delay_max_ms]
  double error_rate = 0;
  std::uint64_t seed = 0;
  std::int64_t expected_pages = 0;  // the server's reachable URLs (roots included)
  std::int64_t error_pages = 0;     // of which answer 500
  // URL list:
  std::string urls_file;
  std::int64_t urls = 0;
  int max_depth = 0;
  std::int64_t max_pages = 0;
  // Both:
  int per_host = 0;

  // One line for titles: "200 hosts × 10 pages × 8 KiB, delay 20–80 ms, 1% errors, per-host 2".
  std::string describe() const;

  // Simulated web: the time a crawler that never waits for itself would
  // take with `concurrency` transfers in flight: pages × delay ÷
  // min(concurrency, hosts × per-host), the delay being the mean
  // (delay + delay_max) / 2 when delays are drawn from a range (their
  // expected value). nullopt for a URL list or a zero delay.
  std::optional<double> ideal_s(int concurrency) const;
};

// One crawl of one strategy: the child process as measured by the parent
// (wait4: wall, CPU) and as it reported itself (--stats-json: the rest).
struct RunMeasure {
  int concurrency = 0;  // of its strategy (the ideal depends on it)
  bool external = false;  // wget2: no stats JSON, so errors and latency are unknown
  int repeat = 0;    // 1-based
  int position = 0;  // 1-based place in the whole sequence of runs
  int exit_code = 0;
  std::string outcome;
  double wall_s = 0;  // spawn to exit, measured by the parent
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  std::int64_t peak_rss_bytes = 0;  // the child's own VmHWM
  std::int64_t pages = 0;  // responses counted by the crawler
  std::int64_t results = 0;
  std::int64_t bytes = 0;
  std::int64_t errors = 0;
  std::int64_t skipped = 0;
  std::optional<double> latency_p50_ms, latency_p95_ms, latency_p99_ms;
  std::optional<std::int64_t> served;  // requests the simulated server answered
  std::optional<double> server_cpu_s;  // CPU the simulated server used meanwhile
};

struct StrategyResult {
  Strategy strategy;
  std::vector<RunMeasure> runs;
};

struct BenchReport {
  Workload workload;
  int repeat = 0;
  unsigned cores = 0;
  std::string started_at;  // ISO 8601 UTC
  std::string command;     // the command line, for the record
  std::vector<StrategyResult> strategies;
};

// A figure derived from a run; the same list drives the table, JSON and CSV.
struct Metric {
  const char* key;    // JSON / CSV name, e.g. "pages_per_s"
  const char* label;  // table header, e.g. "pages/s"
  int decimals;       // in the table and the CSV
  std::optional<double> (*of)(const RunMeasure&, const Workload&);
  bool in_table;  // false: JSON and CSV only, to keep the table narrow
};
const std::vector<Metric>& metrics(const Workload& workload);

struct Spread {
  double median = 0, min = 0, max = 0;
};
// Median (mean of the middle two for an even count), min and max of the
// runs' values of `metric`, ignoring runs where it is unknown; nullopt when
// it is unknown in every run.
std::optional<Spread> spread(const StrategyResult& s, const Metric& metric, const Workload& workload);

// Whether every run of `s` counted as many pages as the server served and as
// the site has (simulated web); true for a URL list.
bool pages_agree(const StrategyResult& s, const Workload& workload);

// Median row per strategy, then (with more than one run) a "min-max" row.
std::string render_table(const BenchReport& report);
std::string render_json(const BenchReport& report);
// One header line, then one line per strategy: <metric>_median, _min, _max.
std::string render_csv(const BenchReport& report);
// Two panels sharing a log-scale concurrency axis: pages/s above, CPU ms
// per page below; one line per mode through the medians, whiskers min–max.
std::string render_svg(const BenchReport& report);

}  // namespace crawl::bench

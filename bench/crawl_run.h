// One measured run of crawl bench: a child process (crawl, or wget2 for its
// extra row) measured from outside with wait4 (wall time, CPU user+sys),
// the simulated web's count of the requests it served meanwhile and its CPU,
// and, for crawl, the run's own figures from its --stats-json file
// (app/run_stats.h: pages, bytes, errors, latency, peak RSS as VmHWM).
//
// Free functions; each run is independent. Not thread-safe with respect to
// the SimulatedWeb passed in (one owner).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_report.h"
#include "core/child_process.h"

namespace crawl::bench {

class SimulatedWeb;

// The arguments every crawl run of the bench starts with: CRAWL SEEDS
// --mode --concurrency --per-host --timeout --store --stats-json --quiet.
struct CrawlRunArgs {
  std::filesystem::path crawl;  // the crawl binary
  std::string seeds;            // a URL list file
  Mode mode = Mode::fibers;
  int concurrency = 0;
  int per_host = 2;
  double timeout_s = 30;
  std::string store = "none";
  std::filesystem::path stats_json;
};
std::vector<std::string> crawl_argv(const CrawlRunArgs& a);

// `wget2 -r` over the same roots into `dir`, as crawl is run on the
// simulated web: unlimited depth, no robots.txt, no retry.
std::vector<std::string> wget2_argv(const std::string& roots_file, int max_threads, double timeout_s,
                                    const std::filesystem::path& dir);

struct Measured {
  ChildExit exit;
  std::optional<std::int64_t> served;                   // with a simulated web
  std::optional<std::int64_t> peak_concurrent_requests;  // with a simulated web
  std::optional<double> server_cpu_s;                    // with a simulated web
};

// Resets the simulated web's counters (if any), runs argv with stdin from
// /dev/null and stdout+stderr into `log`, and measures it. Throws
// std::runtime_error when the program cannot be started or the simulated
// web does not answer.
Measured run_measured(const std::vector<std::string>& argv, const std::filesystem::path& log, SimulatedWeb* web,
                      bool search_path = false);

// The measure of a run as the report keeps it (no crawl figures yet).
RunMeasure to_run_measure(const Measured& m);

// Fills the crawl's own figures of `m` from its --stats-json file. Throws
// std::runtime_error naming the file and what is wrong with it.
void read_crawl_stats(const std::filesystem::path& stats_json, RunMeasure& m);

// Bytes of the files under `dir` (what wget2 saved), 0 if none.
std::int64_t bytes_under(const std::filesystem::path& dir);

}  // namespace crawl::bench

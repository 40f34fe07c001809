// crawl bench's options: what they are (BenchOptions), their one table
// (config/option_table.h: the command line and --workload FILE.toml), and
// the checks across options, including the crawl options after `--`.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace crawl::bench {

inline constexpr const char* kDefaultStrategies = "threads:16,128,1024 fibers:16,128,1024";
inline constexpr int kScaleDelayMs = 1000;  // --scale's response delay unless --delay is given

struct BenchOptions {
  std::string urls_file;  // empty: the simulated web
  std::string workload_file;
  // The simulated web.
  int hosts = 512;
  int pages = 6;
  std::int64_t page_size = 16 * 1024;
  int links = 3;
  int delay_ms = 5;
  int delay_max_ms = 25;
  double error_rate = 0.01;
  std::uint64_t seed = 1;
  int server_threads = 1;
  // The crawls.
  std::string strategies = kDefaultStrategies;
  int repeat = 3;
  int per_host = 2;
  double timeout_s = 30;
  int max_depth = 0;          // URL list only
  std::int64_t max_pages = 0; // URL list only
  std::string store = "none";
  std::string out;
  bool wget2 = false;         // also `wget2 -r`, as an extra row
  int scale = 0;              // > 0: the --scale measurement instead of the matrix
  // Outputs.
  std::string json, csv, chart;
  std::vector<std::string> crawl_args;  // after "--"
  std::set<std::string> given;          // options set by the command line or the workload file

  bool simulated() const { return urls_file.empty(); }
};

struct ParsedBench {
  std::optional<BenchOptions> options;  // empty: exit with `exit_code` after printing `output`
  int exit_code = 0;
  std::string output;
};

// argv[0] is "bench". Throws UsageError (exit code 2) naming the option and
// what is allowed.
ParsedBench parse_bench_args(int argc, const char* const* argv);

// Crawl options crawl bench gives every run on the simulated web, each
// unless the same option comes after "--" (see bench_options.cpp).
std::vector<std::string> simulated_web_crawl_defaults(const std::vector<std::string>& crawl_args);

}  // namespace crawl::bench

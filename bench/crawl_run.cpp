#include "bench/crawl_run.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "app/run_stats.h"
#include "bench/simulated_web.h"

namespace crawl::bench {

namespace fs = std::filesystem;

std::vector<std::string> crawl_argv(const CrawlRunArgs& a) {
  return {a.crawl.string(),     a.seeds,
          "--mode",             to_string(a.mode),
          "--concurrency",      std::to_string(a.concurrency),
          "--per-host",         std::to_string(a.per_host),
          "--timeout",          fmt::format("{}", a.timeout_s),
          "--store",            a.store,
          "--stats-json",       a.stats_json.string(),
          "--quiet"};
}

std::vector<std::string> wget2_argv(const std::string& roots_file, int max_threads, double timeout_s,
                                    const fs::path& dir) {
  // Without -H wget2 stays on the start URLs' hosts: the same page set as
  // crawl's default --scope host.
  return {"wget2",        "-r",
          "-l",           "inf",
          "--no-robots",  fmt::format("--max-threads={}", max_threads),
          "--tries=1",    fmt::format("--timeout={}", timeout_s),
          "-q",           "-P",
          dir.string(),   "-i",
          roots_file};
}

Measured run_measured(const std::vector<std::string>& argv, const fs::path& log, SimulatedWeb* web,
                      bool search_path) {
  ChildOptions options;
  options.argv = argv;
  options.search_path = search_path;
  options.out = ChildStream::file(log);
  options.err = ChildStream::same_as_stdout();
  Measured m;
  if (web) web->reset();
  const double server_cpu_before = web ? web->cpu_s() : 0;
  ChildProcess child(options);
  m.exit = child.wait();
  if (web) {
    const ServedStats served = web->stats();
    m.served = served.requests;
    m.peak_concurrent_requests = served.peak_concurrent_requests;
    m.server_cpu_s = web->cpu_s() - server_cpu_before;
  }
  return m;
}

RunMeasure to_run_measure(const Measured& m) {
  RunMeasure r;
  r.exit_code = m.exit.exit_code;
  r.wall_s = m.exit.wall_s;
  r.cpu_user_s = m.exit.user_s;
  r.cpu_sys_s = m.exit.sys_s;
  // Not ru_maxrss for crawl: Linux counts in it the spawning process's size
  // at exec; crawl reports its own peak (VmHWM) in its stats JSON instead.
  r.peak_rss_bytes = static_cast<std::int64_t>(m.exit.max_rss_kib) * 1024;
  r.served = m.served;
  r.server_cpu_s = m.server_cpu_s;
  return r;
}

void read_crawl_stats(const fs::path& stats_json, RunMeasure& m) {
  std::ifstream in(stats_json);
  std::stringstream text;
  text << in.rdbuf();
  RunStats s;
  try {
    s = run_stats_from_json(text.str());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(stats_json.string() + ": " + e.what());
  }
  m.outcome = s.outcome;
  m.pages = s.pages;
  m.results = s.results;
  m.bytes = s.bytes;
  m.errors = s.errors;
  m.skipped = s.skipped;
  m.peak_rss_bytes = s.peak_rss_bytes;
  m.latency_p50_ms = s.latency_p50_ms;
  m.latency_p95_ms = s.latency_p95_ms;
  m.latency_p99_ms = s.latency_p99_ms;
}

std::int64_t bytes_under(const fs::path& dir) {
  std::int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) total += static_cast<std::int64_t>(it->file_size(ec));
  return total;
}

}  // namespace crawl::bench

#include "bench/scale.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <random>

#include "bench/crawl_run.h"
#include "bench/simulated_web.h"
#include "core/process.h"

namespace crawl::bench {
namespace {

namespace fs = std::filesystem;

struct ScaleRun {
  int transfers = 0;
  RunMeasure m;
  std::int64_t peak_concurrent = 0;
};

void print_row(const ScaleRun& r, const fs::path& log) {
  const auto& m = r.m;
  std::cout << fmt::format("{:<16} {:>8.2f} {:>10.1f} {:>8.2f} {:>9.1f} {:>8} {:>9}", fmt::format("fibers:{}", r.transfers),
                           m.wall_s, m.wall_s > 0 ? static_cast<double>(m.pages) / m.wall_s : 0.0,
                           m.cpu_user_s + m.cpu_sys_s, static_cast<double>(m.peak_rss_bytes) / (1 << 20),
                           m.served.value_or(0), r.peak_concurrent);
  if (m.exit_code != 0) std::cout << fmt::format("  (exit code {})\n{}", m.exit_code, last_lines(log, 3));
  std::cout << std::endl;
}

// Crawls the first `n` seeds of `seeds_file` with fibers at concurrency n.
ScaleRun crawl_seeds(const BenchOptions& o, SimulatedWeb& web, const fs::path& dir, int n) {
  const fs::path seeds = dir / fmt::format("seeds-{}.txt", n);
  {
    std::ofstream out(seeds);
    const auto& roots = web.root_urls();
    const int hosts = static_cast<int>(roots.size());
    for (int i = 0; i < n; ++i) out << roots[i % hosts] << "page/" << (i / hosts) % o.per_host << ".html\n";
  }
  const fs::path stats = dir / fmt::format("stats-{}.json", n);
  const fs::path log = dir / fmt::format("scale-{}.log", n);
  std::vector<std::string> args =
      crawl_argv({program_dir() / "crawl", seeds.string(), Mode::fibers, n, o.per_host, 60, "none", stats});
  args.insert(args.end(), {"--max-depth", "0", "--connect-timeout", "30", "--ignore-robots"});
  args.insert(args.end(), o.crawl_args.begin(), o.crawl_args.end());
  const Measured measured = run_measured(args, log, &web);
  ScaleRun r{n, to_run_measure(measured), measured.peak_concurrent_requests.value_or(0)};
  if (r.m.exit_code == 0) read_crawl_stats(stats, r.m);
  print_row(r, log);
  return r;
}

}  // namespace

int run_scale(const BenchOptions& o) {
  SiteSpec site;
  site.hosts = (o.scale + o.per_host - 1) / o.per_host;
  site.pages_per_host = o.per_host;  // all seeds at depth 0: every one can be in flight at once
  site.page_size = o.page_size;
  site.links_per_page = o.links;
  site.delay_ms = o.given.count("delay") ? o.delay_ms : kScaleDelayMs;
  site.threads = o.server_threads;
  const fs::path dir = fs::temp_directory_path() / fmt::format("crawl-bench-scale-{}-{}", ::getpid(), std::random_device{}());
  fs::create_directories(dir);
  raise_open_file_limit();
  int code = 0;
  try {
    SimulatedWeb web(site, dir / "testserver.log");
    std::cout << fmt::format("scale: {} transfers over {} hosts (per-host {}), each response delayed {} ms, "
                             "{}-byte pages\n",
                             o.scale, site.hosts, o.per_host, site.delay_ms, site.page_size);
    std::cout << fmt::format("{:<16} {:>8} {:>10} {:>8} {:>9} {:>8} {:>9}\n", "run", "wall s", "pages/s", "CPU s",
                             "peak MiB", "pages", "peak conc");
    const ScaleRun base = crawl_seeds(o, web, dir, site.hosts);
    const ScaleRun full = crawl_seeds(o, web, dir, o.scale);
    const double base_kib = static_cast<double>(base.m.peak_rss_bytes) / 1024;
    const double full_kib = static_cast<double>(full.m.peak_rss_bytes) / 1024;
    if (full.transfers > base.transfers)
      std::cout << fmt::format("memory per in-flight transfer: {:.1f} KiB ((peak {:.0f} KiB - peak {:.0f} KiB with "
                               "{}) / {})\n",
                               (full_kib - base_kib) / (full.transfers - base.transfers), full_kib, base_kib,
                               base.transfers, full.transfers - base.transfers);
    for (const auto* r : {&base, &full})
      if (r->m.exit_code != 0 || r->m.served.value_or(0) != r->transfers) code = 1;
    if (full.peak_concurrent < full.transfers)
      std::cout << fmt::format("note: only {} of {} transfers were in flight at once; a longer --delay helps\n",
                               full.peak_concurrent, full.transfers);
  } catch (const SimulatedWebError& e) {
    std::cerr << "crawl bench: " << e.what() << "\n";
    code = e.exit_code;
  } catch (const std::exception& e) {
    std::cerr << "crawl bench: " << e.what() << "\n";
    code = 1;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return code;
}

}  // namespace crawl::bench

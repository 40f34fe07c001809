// crawl-fetch-bench: compares fetch strategies on the project's simulated web.
//
// Starts the test web server in this process (H hosts on 127.0.1.x, P pages
// each, a fixed response delay), runs the real `crawl` binary once per
// strategy as a child process and prints, per strategy: wall seconds, pages/s,
// CPU seconds of the crawler (user+sys, from wait4), its peak RSS, and the
// ideal time pages × delay ÷ (hosts × per-host). Where wget2 is installed it
// runs `wget2 -r --max-threads=200` on the same site in the same run.
//
// --scale N instead puts N transfers in flight at once (fibers; N URLs over
// N/per-host hosts, each response delayed --delay-ms) and prints peak memory
// and memory per in-flight transfer.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include "core/process.h"
#include "tools/testserver/test_server.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using crawl::testserver::SiteOptions;
using crawl::testserver::TestServer;

struct Measure {
  int exit_code = -1;
  double wall_s = 0;
  double cpu_s = 0;
  long peak_rss_kib = 0;
};

// Runs argv[0] with args, output to log, and measures it with wait4.
Measure run(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> a = args;
  std::vector<char*> argv;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  Measure m;
  if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    return m;
  }
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  m.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  m.peak_rss_kib = ru.ru_maxrss;
  return m;
}

// The crawl's own peak RSS (VmHWM) from its --stats-json file, in KiB, or
// `fallback`. wait4's ru_maxrss is not used for crawl runs: for a child
// started with posix_spawn, Linux counts in it this process's resident size
// at the moment of exec, i.e. the simulated web's.
long peak_kib_from_stats(const fs::path& stats, long fallback) {
  std::ifstream in(stats);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find("\"peak_rss_bytes\":");
  if (at == std::string::npos) return fallback;
  return std::atol(text.c_str() + at + 17) / 1024;
}

std::uint64_t total_requests(const TestServer& server) {
  std::uint64_t n = 0;
  for (int h = 0; h < server.host_count(); ++h) n += server.stats(h).requests;
  return n;
}

std::string tail_of(const fs::path& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

bool have(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

// CPU seconds this process (the in-process test server) has used so far.
double self_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void print_row(const std::string& name, const Measure& m, std::uint64_t pages, double ideal_s, double server_cpu_s) {
  std::printf("%-16s %8.2f %10.1f %8.2f %9.1f %8llu %9.2f %10.2f%s\n", name.c_str(), m.wall_s,
              m.wall_s > 0 ? static_cast<double>(pages) / m.wall_s : 0.0, m.cpu_s,
              static_cast<double>(m.peak_rss_kib) / 1024.0, static_cast<unsigned long long>(pages),
              ideal_s > 0 ? m.wall_s / ideal_s : 0.0, server_cpu_s, m.exit_code == 0 ? "" : "  (exit code != 0)");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"crawl-fetch-bench: compare crawl's fetch strategies on a simulated web on loopback"};
  int hosts = 100, pages = 100, page_size = 16384, delay_ms = 50, per_host = 2, server_threads = 1, scale = 0;
  int links = 3;
  std::string strategies = "threads:16,threads:200,fibers:512", crawl_bin, store = "none";
  bool no_wget2 = false;
  app.add_option("--hosts", hosts, "simulated hosts (127.0.1.1, 127.0.1.2, …)")->capture_default_str();
  app.add_option("--pages", pages, "pages per host")->capture_default_str();
  app.add_option("--page-size", page_size, "bytes per page")->capture_default_str();
  app.add_option("--links", links, "same-host links per page besides the tree links (how fast pages are discovered)")
      ->capture_default_str();
  app.add_option("--delay-ms", delay_ms, "response delay of every page")->capture_default_str();
  app.add_option("--per-host", per_host, "crawl --per-host")->capture_default_str();
  app.add_option("--strategies", strategies, "comma-separated MODE:CONCURRENCY list")->capture_default_str();
  app.add_option("--store", store, "crawl --store for the runs (sqlite|disk|none)")->capture_default_str();
  app.add_option("--server-threads", server_threads, "test server threads")->capture_default_str();
  app.add_option("--crawl", crawl_bin, "the crawl binary (default: next to this program)");
  app.add_flag("--no-wget2", no_wget2, "skip the wget2 comparison");
  app.add_option("--scale", scale, "instead: N transfers in flight at once (fibers), memory per transfer");
  CLI11_PARSE(app, argc, argv);
  if (crawl_bin.empty()) crawl_bin = (fs::canonical("/proc/self/exe").parent_path() / "crawl").string();

  crawl::raise_open_file_limit();
  const fs::path work = fs::temp_directory_path() / ("crawl-bench-" + std::to_string(::getpid()));
  fs::create_directories(work);

  SiteOptions site;
  site.threads = server_threads;
  site.delay = std::chrono::milliseconds(delay_ms);
  site.page_size = static_cast<std::size_t>(page_size);
  site.links_per_page = links;

  if (scale > 0) {
    // N URLs, per_host of them on each host, all seeds at depth 0: all of
    // them can be in flight at once.
    site.hosts = (scale + per_host - 1) / per_host;
    site.pages_per_host = per_host;
    TestServer server(site);
    auto write_seeds = [&](int n) {
      std::ofstream out(work / "seeds.txt");
      for (int i = 0; i < n; ++i) out << server.page_url(i % site.hosts, (i / site.hosts) % per_host) << "\n";
    };
    std::printf("scale: %d transfers over %d hosts (per-host %d), each response delayed %d ms, %d-byte pages\n",
                scale, site.hosts, per_host, delay_ms, page_size);
    std::printf("%-16s %8s %10s %8s %9s %8s %9s\n", "run", "wall s", "pages/s", "CPU s", "peak MiB", "pages",
                "peak conc");
    long base_kib = 0;
    for (int n : {site.hosts, scale}) {
      write_seeds(n);
      server.reset_stats();
      auto m = run({crawl_bin, (work / "seeds.txt").string(), "--mode", "fibers", "--concurrency",
                    std::to_string(n), "--per-host", std::to_string(per_host), "--max-depth", "0", "--store", "none",
                    "--timeout", "60", "--connect-timeout", "30", "--quiet", "--ignore-robots", "--stats-json",
                    (work / "stats.json").string()},
                   work / "scale.log");
      m.peak_rss_kib = peak_kib_from_stats(work / "stats.json", m.peak_rss_kib);
      int peak = 0;
      for (int h = 0; h < server.host_count(); ++h) peak += server.stats(h).peak_concurrent_requests;
      std::printf("%-16s %8.2f %10.1f %8.2f %9.1f %8llu %9d%s\n", ("fibers:" + std::to_string(n)).c_str(), m.wall_s,
                  n / m.wall_s, m.cpu_s, m.peak_rss_kib / 1024.0,
                  static_cast<unsigned long long>(total_requests(server)), peak,
                  m.exit_code == 0 ? "" : ("  exit " + std::to_string(m.exit_code) + ": " + tail_of(work / "scale.log")).c_str());
      if (n == site.hosts) base_kib = m.peak_rss_kib;
      else
        std::printf("memory per in-flight transfer: %.1f KiB ((peak %ld KiB - peak %ld KiB with %d) / %d)\n",
                    static_cast<double>(m.peak_rss_kib - base_kib) / (scale - site.hosts), m.peak_rss_kib, base_kib,
                    site.hosts, scale - site.hosts);
    }
    fs::remove_all(work);
    return 0;
  }

  site.hosts = hosts;
  site.pages_per_host = pages;
  TestServer server(site);
  {
    std::ofstream out(work / "roots.txt");
    for (const auto& r : server.root_urls()) out << r << "\n";
  }
  const auto site_pages = server.site_urls().size();
  const double ideal_s = static_cast<double>(site_pages) * delay_ms / 1000.0 / (hosts * per_host);
  std::printf("site: %d hosts x %d pages (+1 root each) = %zu pages of ~%d bytes, %d links/page, %d ms delay, "
              "per-host %d, store %s, %u cores\n",
              hosts, pages, site_pages, page_size, links + 3, delay_ms, per_host, store.c_str(),
              std::thread::hardware_concurrency());
  std::printf("ideal time: pages x delay / (hosts x per-host) = %.2f s\n\n", ideal_s);
  std::printf("%-16s %8s %10s %8s %9s %8s %9s %10s\n", "strategy", "wall s", "pages/s", "CPU s", "peak MiB", "pages",
              "x ideal", "server CPU");

  std::stringstream list(strategies);
  for (std::string item; std::getline(list, item, ',');) {
    const auto colon = item.find(':');
    const std::string mode = item.substr(0, colon);
    const std::string conc = colon == std::string::npos ? "" : item.substr(colon + 1);
    // --ignore-robots: wget2 runs with --no-robots, and the ideal time counts
    // the site's pages only (robots.txt would add one round per host).
    std::vector<std::string> args{crawl_bin,    (work / "roots.txt").string(),
                                  "--mode",     mode,
                                  "--per-host", std::to_string(per_host),
                                  "--max-depth", "1000000",
                                  "--store",    store,
                                  "--quiet",    "--ignore-robots",
                                  "--stats-json", (work / "stats.json").string()};
    if (!conc.empty()) args.insert(args.end(), {"--concurrency", conc});
    if (store != "none") args.insert(args.end(), {"--out", (work / ("out-" + mode + conc)).string()});
    server.reset_stats();
    const double server_cpu = self_cpu_s();
    auto m = run(args, work / "crawl.log");
    m.peak_rss_kib = peak_kib_from_stats(work / "stats.json", m.peak_rss_kib);
    print_row(item, m, total_requests(server), ideal_s, self_cpu_s() - server_cpu);
    if (m.exit_code != 0) std::printf("    %s\n", tail_of(work / "crawl.log").c_str());
    fs::remove_all(work / ("out-" + mode + conc));
  }
  if (!no_wget2 && have("wget2")) {
    server.reset_stats();
    const double server_cpu = self_cpu_s();
    // Without -H wget2 stays on the start URLs' hosts, the same page set as
    // crawl's default --scope host.
    auto m = run({"wget2", "-r", "-l", "inf", "--no-robots", "--max-threads=200", "-q", "-P",
                  (work / "wget2").string(), "-i", (work / "roots.txt").string()},
                 work / "wget2.log");
    print_row("wget2 -r (200)", m, total_requests(server), ideal_s, self_cpu_s() - server_cpu);
  } else if (!no_wget2) {
    std::printf("(wget2 not installed: apt-get install -y wget2 to compare)\n");
  }
  fs::remove_all(work);
  return 0;
}

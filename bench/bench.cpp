// crawl bench's run loop: sets up the workload (the simulated web in a
// process of its own, or a URL list), opens the output files, runs the
// matrix (every strategy --repeat times, the order reversed on every other
// repeat, with wget2 as an extra row on request), checks that the pages
// counted are the pages served, and writes the report. The options are in
// bench_options.cpp, one run in crawl_run.cpp, --scale in scale.cpp.
#include "bench/bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <random>
#include <thread>

#include "bench/bench_options.h"
#include "bench/bench_report.h"
#include "bench/crawl_run.h"
#include "bench/progress_bar.h"
#include "bench/scale.h"
#include "bench/simulated_web.h"
#include "config/config.h"
#include "core/process.h"
#include "core/time_text.h"
#include "crawler/seeds.h"

namespace crawl {
namespace {

namespace fs = std::filesystem;
using namespace bench;

// SIGINT/SIGTERM: finish the run in progress (the child, in the same process
// group, gets a terminal's Ctrl-C too and stops itself), then report.
std::atomic<int> g_stop_signal{0};
extern "C" void on_bench_signal(int sig) { g_stop_signal.store(sig); }

bool stopping() { return g_stop_signal.load() != 0; }

// A fresh directory under /tmp for the runs' files, removed at the end.
class WorkDir {
 public:
  WorkDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / fmt::format("crawl-bench-{}-{}", ::getpid(), rd());
    fs::create_directories(path_);
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// An output file, opened (created, emptied) before the runs so that a bad
// path stops the bench before it spends minutes.
struct OutputFile {
  std::string (*render)(const BenchReport&);
  std::string path;
  std::ofstream stream;
};

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=+@%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// What the runs crawl: the seeds file, and the simulated web serving it.
struct Target {
  std::unique_ptr<SimulatedWeb> web;  // null for a URL list
  std::string seeds_path;
};

SiteSpec site_of(const BenchOptions& o) {
  return {o.hosts, o.pages, o.page_size, o.links, o.delay_ms, o.delay_max_ms, o.error_rate, o.seed, o.server_threads};
}

// Starts the simulated web and describes it in `w`. Returns an exit code
// when it cannot start.
std::optional<int> start_simulated_web(const BenchOptions& o, const WorkDir& work, Target& t, Workload& w) {
  raise_open_file_limit();  // thousands of connections; the children inherit it
  try {
    t.web = std::make_unique<SimulatedWeb>(site_of(o), work / "testserver.log");
  } catch (const SimulatedWebError& e) {
    std::cerr << "crawl bench: " << e.what() << "\n";
    return e.exit_code;
  }
  t.seeds_path = (work / "roots.txt").string();
  std::ofstream roots(t.seeds_path);
  for (const auto& url : t.web->root_urls()) roots << url << "\n";
  w.simulated = true;
  w.hosts = o.hosts;
  w.pages_per_host = o.pages;
  w.page_size = o.page_size;
  w.links_per_page = o.links;
  w.delay_ms = o.delay_ms;
  w.delay_max_ms = std::max(o.delay_ms, o.delay_max_ms);
  w.error_rate = o.error_rate;
  w.seed = o.seed;
  w.expected_pages = t.web->site_pages();
  w.error_pages = t.web->error_pages();
  return std::nullopt;
}

std::optional<int> read_url_list(const BenchOptions& o, Target& t, Workload& w) {
  SeedList seeds;
  try {
    seeds = read_seed_file(o.urls_file);
  } catch (const std::exception& e) {
    std::cerr << "crawl bench: " << e.what() << "\n";
    return 2;
  }
  for (const auto& warning : seeds.warnings) std::cerr << "crawl bench: " << warning << "\n";
  if (seeds.seeds.empty()) {
    std::cerr << "crawl bench: " << o.urls_file << ": no valid URL to crawl\n";
    return 2;
  }
  t.seeds_path = fs::absolute(o.urls_file).string();
  w.simulated = false;
  w.urls_file = o.urls_file;
  w.urls = static_cast<std::int64_t>(seeds.seeds.size());
  w.max_depth = o.max_depth;
  w.max_pages = o.max_pages;
  return std::nullopt;
}

std::optional<int> open_outputs(const BenchOptions& o, std::vector<OutputFile>& outputs) {
  for (const auto& [path, render] : {std::pair{&o.json, &render_json}, std::pair{&o.csv, &render_csv},
                                     std::pair{&o.chart, &render_svg}}) {
    if (path->empty()) continue;
    OutputFile f{render, *path, std::ofstream(*path, std::ios::out | std::ios::trunc | std::ios::binary)};
    if (!f.stream) {
      std::cerr << "crawl bench: cannot write " << *path << ": " << std::strerror(errno) << "\n";
      return 3;
    }
    outputs.push_back(std::move(f));
  }
  return std::nullopt;
}

void print_header(const BenchOptions& o, const BenchReport& report, const std::vector<Strategy>& strategies) {
  const Workload& w = report.workload;
  std::cout << "crawl bench: " << w.describe() << "\n";
  if (w.simulated) {
    std::cout << fmt::format("site: {} pages ({} answer 500), every one to be fetched once per run\n",
                             w.expected_pages, w.error_pages);
    if (const auto ideal = w.ideal_s(std::numeric_limits<int>::max()))
      std::cout << fmt::format("ideal time: pages × {} ÷ (hosts × per-host) = {:.2f} s; "
                               "x ideal uses min(concurrency, hosts × per-host)\n",
                               w.delay_max_ms > w.delay_ms ? "mean delay" : "delay", *ideal);
  }
  std::cout << fmt::format("{} strategies × {} repeats = {} runs, {} cores\n", strategies.size(), o.repeat,
                           static_cast<int>(strategies.size()) * o.repeat, report.cores);
  if (w.simulated) {
    const long long cap = static_cast<long long>(o.hosts) * o.per_host;
    for (const auto& s : strategies)
      if (!s.wget2 && s.concurrency > cap) {
        std::cout << fmt::format("note: at most {} transfers can be in flight (--hosts {} × --per-host {}); "
                                 "a higher --concurrency only adds idle capacity\n",
                                 cap, o.hosts, o.per_host);
        break;
      }
  }
  std::cout << "\n";
  std::cout.flush();
}

// Everything the runs of one bench share.
struct Matrix {
  const BenchOptions& o;
  Target& target;
  const WorkDir& work;
  fs::path crawl;
  ProgressBar& progress;
  BenchReport& report;
  int failures = 0;
};

std::vector<std::string> crawl_run_argv(const Matrix& mx, const Strategy& s, int position, fs::path& temp_out) {
  const BenchOptions& o = mx.o;
  std::vector<std::string> args = crawl_argv({mx.crawl, mx.target.seeds_path, s.mode, s.concurrency, o.per_host,
                                              o.timeout_s, o.store, mx.work / fmt::format("run-{}.json", position)});
  if (o.store != "none") {
    temp_out = mx.work / fmt::format("out-{}", position);
    args.insert(args.end(), {"--out", o.out.empty() ? temp_out.string() : o.out});
  }
  if (o.simulated()) {
    args.insert(args.end(), {"--max-depth", "1000000"});
    for (auto& a : simulated_web_crawl_defaults(o.crawl_args)) args.push_back(std::move(a));
  } else {
    args.insert(args.end(),
                {"--max-depth", std::to_string(o.max_depth), "--max-pages", std::to_string(o.max_pages)});
  }
  args.insert(args.end(), o.crawl_args.begin(), o.crawl_args.end());
  return args;
}

// Runs wget2 on the simulated web: its pages are the requests served.
RunMeasure run_wget2(const Matrix& mx, const Strategy& s, int position) {
  const fs::path dir = mx.work / fmt::format("wget2-{}", position);
  const Measured measured = run_measured(wget2_argv(mx.target.seeds_path, s.concurrency, mx.o.timeout_s, dir),
                                         mx.work / fmt::format("run-{}.log", position), mx.target.web.get(), true);
  RunMeasure m = to_run_measure(measured);
  m.external = true;
  m.pages = m.results = measured.served.value_or(0);
  m.bytes = bytes_under(dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return m;
}

// One run of strategy `i`; returns an exit code when the bench must stop.
std::optional<int> run_one(Matrix& mx, std::size_t i, int repeat, int position) {
  const Strategy s = mx.report.strategies[i].strategy;
  const fs::path log = mx.work / fmt::format("run-{}.log", position);
  const char* const clear = mx.progress.clear_line();
  RunMeasure m;
  try {
    if (s.wget2) {
      m = run_wget2(mx, s, position);
    } else {
      fs::path temp_out;
      m = to_run_measure(run_measured(crawl_run_argv(mx, s, position, temp_out), log, mx.target.web.get()));
      std::error_code ec;
      fs::remove_all(temp_out, ec);
    }
  } catch (const std::exception& e) {
    std::cerr << clear << "crawl bench: " << e.what() << "\n";
    return 1;
  }
  m.repeat = repeat;
  m.position = position;
  m.concurrency = s.concurrency;
  // crawl: 0, 4 (transfer errors) and 8 (HTTP errors) are crawls that ran;
  // 130/143: stopped by the signal we got too. wget2: 8 is a server error.
  const bool ran = m.exit_code == 0 || m.exit_code == 4 || m.exit_code == 8 ||
                   (stopping() && (m.exit_code == 130 || m.exit_code == 143));
  if (!ran) {
    std::cerr << clear
              << fmt::format("crawl bench: run {} ({}) failed with exit code {}:\n{}", position, s.name(),
                             m.exit_code, last_lines(log, 5));
    if (m.exit_code == 2 && !s.wget2) return 2;  // the crawl options are wrong: every run would fail
    ++mx.failures;
    return std::nullopt;
  }
  if (!s.wget2) {
    try {
      read_crawl_stats(mx.work / fmt::format("run-{}.json", position), m);
    } catch (const std::exception& e) {
      std::cerr << clear << "crawl bench: run " << position << " (" << s.name() << "): " << e.what() << "\n";
      ++mx.failures;
      return std::nullopt;
    }
  }
  if (!mx.progress.enabled())
    std::cerr << fmt::format("crawl bench: run {}/{} {}: {:.2f} s, {} pages, {:.1f} pages/s\n", position,
                             mx.report.strategies.size() * static_cast<std::size_t>(mx.o.repeat), s.name(), m.wall_s,
                             m.pages, m.wall_s > 0 ? static_cast<double>(m.pages) / m.wall_s : 0.0);
  mx.report.strategies[i].runs.push_back(std::move(m));
  return std::nullopt;
}

std::optional<int> run_matrix(Matrix& mx) {
  const std::size_t n = mx.report.strategies.size();
  int position = 0;
  for (int r = 1; r <= mx.o.repeat && !stopping(); ++r) {
    // Every other repeat in reverse order, so no strategy always runs
    // first (cold caches) or last (a warm, maybe throttled machine).
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    if (r % 2 == 0) std::reverse(order.begin(), order.end());
    for (const std::size_t i : order) {
      if (stopping()) break;
      ++position;
      mx.progress.start_run(position, fmt::format("{}  (repeat {}/{})", mx.report.strategies[i].strategy.name(), r,
                                                  mx.o.repeat));
      if (auto code = run_one(mx, i, r, position)) return code;
    }
  }
  return std::nullopt;
}

// Prints the table and the pages check; false when a crawl's count disagrees.
bool print_results(const BenchReport& report) {
  const Workload& w = report.workload;
  std::cout << render_table(report);
  if (!w.simulated) return true;
  bool agree = true;
  for (const auto& s : report.strategies) {
    if (pages_agree(s, w)) continue;
    for (const auto& run : s.runs) {
      if (s.strategy.wget2)  // not ours to check: wget2 may find fewer pages
        std::cout << fmt::format("note: {} run {} fetched {} of the site's {} pages\n", s.strategy.name(),
                                 run.position, run.pages, w.expected_pages);
      else
        std::cout << fmt::format("MISMATCH {} run {}: {} pages counted, {} served, {} expected\n",
                                 s.strategy.name(), run.position, run.pages, run.served.value_or(-1),
                                 w.expected_pages);
    }
    agree = agree && s.strategy.wget2;
  }
  if (agree && !report.strategies.empty())
    std::cout << fmt::format("\npages counted = pages served = {} in every run\n", w.expected_pages);
  return agree;
}

std::optional<int> write_outputs(const BenchReport& report, std::vector<OutputFile>& outputs) {
  for (auto& f : outputs) {
    f.stream << f.render(report);
    f.stream.close();
    if (!f.stream) {
      std::cerr << "crawl bench: cannot write " << f.path << "\n";
      return 3;
    }
    std::cout << "wrote " << f.path << "\n";
  }
  return std::nullopt;
}

std::vector<Strategy> strategies_of(const BenchOptions& o) {
  std::vector<Strategy> strategies = parse_strategies(o.strategies);
  if (o.wget2) {
    int most = 0;
    for (const auto& s : strategies) most = std::max(most, s.concurrency);
    strategies.push_back(Strategy{Mode::fibers, most, true});
  }
  return strategies;
}

int run_bench(const BenchOptions& o, const std::string& command) {
  const std::vector<Strategy> strategies = strategies_of(o);
  BenchReport report;
  report.repeat = o.repeat;
  report.cores = std::max(1u, std::thread::hardware_concurrency());
  report.started_at = iso8601_utc(std::chrono::system_clock::now());
  report.command = command;
  report.workload.per_host = o.per_host;
  for (const auto& s : strategies) report.strategies.push_back(StrategyResult{s, {}});

  WorkDir work;
  Target target;
  std::vector<OutputFile> outputs;
  if (auto code = o.simulated() ? start_simulated_web(o, work, target, report.workload)
                                : read_url_list(o, target, report.workload))
    return *code;
  if (auto code = open_outputs(o, outputs)) return *code;
  print_header(o, report, strategies);

  on_stop_signals(on_bench_signal, /*restart=*/false);  // wait4 returns EINTR: the run loop sees the signal

  int failures = 0;
  {
    ProgressBar progress(static_cast<int>(strategies.size()) * o.repeat);
    Matrix mx{o, target, work, program_dir() / "crawl", progress, report};
    if (auto code = run_matrix(mx)) return *code;
    failures = mx.failures;
  }
  std::erase_if(report.strategies, [](const StrategyResult& s) { return s.runs.empty(); });
  const bool agree = print_results(report);
  if (auto code = write_outputs(report, outputs)) return *code;
  if (const int sig = g_stop_signal.load(); sig != 0) {
    std::cerr << "crawl bench: stopped by signal; the runs above are the ones finished\n";
    return sig == SIGTERM ? 143 : 130;
  }
  return failures > 0 || !agree ? 1 : 0;
}

}  // namespace

int bench_main(int argc, const char* const* argv) {
  std::string command = "crawl";
  for (int i = 0; i < argc; ++i) {
    command += ' ';  // not `" " + …`: GCC 12 -Wrestrict false positive
    command += shell_quote(argv[i]);
  }
  try {
    ParsedBench parsed = parse_bench_args(argc, argv);
    if (!parsed.options) {
      std::cout << parsed.output;
      return parsed.exit_code;
    }
    if (parsed.options->scale > 0) return run_scale(*parsed.options);
    return run_bench(*parsed.options, command);
  } catch (const UsageError& e) {
    // CLI11's parse errors end with its own hint ("Run with --help …"): one hint, ours.
    std::string message = e.what();
    const std::string cli11_hint = "\nRun with --help for more information.";
    if (message.ends_with(cli11_hint)) message.resize(message.size() - cli11_hint.size());
    std::cerr << "crawl bench: " << message << "\nRun crawl bench --help for more information.\n";
    return e.exit_code;
  } catch (const std::exception& e) {
    std::cerr << "crawl bench: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace crawl

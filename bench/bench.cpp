#include "bench/bench.h"

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/process.h"
#include "bench/bench_report.h"
#include "core/json_text.h"
#include "crawler/seeds.h"
#include "tools/testserver/test_server.h"

extern char** environ;

namespace crawl {
namespace {

namespace fs = std::filesystem;
using bench::BenchReport;
using bench::RunMeasure;
using bench::Strategy;
using bench::StrategyResult;
using bench::Workload;

constexpr const char* kDefaultStrategies = "threads:16,128,1024 fibers:16,128,1024";

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
  // Outputs.
  std::string json, csv, chart;
  std::vector<std::string> crawl_args;  // after "--"
};

// Where an option applies.
enum class Applies { both, simulated, urls };

struct BenchSpec {
  std::string name;     // long option without "--"; also the TOML key
  std::string allowed;  // for help and error messages
  std::string help;
  std::string metavar;
  std::function<std::string(const BenchOptions&)> get;
  std::function<void(BenchOptions&, const std::string&)> set;  // throws std::invalid_argument
  Applies scope = Applies::both;
};

template <class T>
std::function<void(BenchOptions&, const std::string&)> int_in(T BenchOptions::*member, long long lo, long long hi) {
  return [=](BenchOptions& o, const std::string& v) {
    const long long n = parse_integer(v);
    if (n < lo || n > hi) throw std::invalid_argument(v);
    o.*member = static_cast<T>(n);
  };
}

std::function<void(BenchOptions&, const std::string&)> path_into(std::string BenchOptions::*member) {
  return [=](BenchOptions& o, const std::string& v) {
    if (v.empty()) throw std::invalid_argument(v);
    o.*member = v;
  };
}

template <class T>
std::function<std::string(const BenchOptions&)> show(T BenchOptions::*member) {
  return [=](const BenchOptions& o) { return fmt::format("{}", o.*member); };
}

std::vector<BenchSpec> bench_specs() {
  std::vector<BenchSpec> s;
  // The simulated web.
  s.push_back({"hosts", "an integer from 1 to 10000", "simulated web: hosts (127.0.1.1, 127.0.1.2, …)", "N",
               show(&BenchOptions::hosts), int_in(&BenchOptions::hosts, 1, 10000), Applies::simulated});
  s.push_back({"pages", "an integer from 1 to 1000000", "simulated web: pages per host (plus a root page)", "N",
               show(&BenchOptions::pages), int_in(&BenchOptions::pages, 1, 1000000), Applies::simulated});
  s.push_back({"page-size", "bytes from 0 to 64M, optionally with k or M (binary)",
               "simulated web: body size of a page", "BYTES", show(&BenchOptions::page_size),
               [](BenchOptions& o, const std::string& v) {
                 std::int64_t n = 0;
                 try {
                   n = parse_size(v);
                 } catch (const std::invalid_argument&) {
                   throw std::invalid_argument(v);
                 }
                 if (n > (64 << 20)) throw std::invalid_argument(v);
                 o.page_size = n;
               },
               Applies::simulated});
  s.push_back({"links", "an integer from 0 to 1000",
               "simulated web: extra same-host links per page (how fast pages are discovered)", "N",
               show(&BenchOptions::links), int_in(&BenchOptions::links, 0, 1000), Applies::simulated});
  s.push_back({"delay", "milliseconds, an integer from 0 to 60000",
               "simulated web: response delay (the lower bound when --delay-max is larger)", "MS",
               show(&BenchOptions::delay_ms), int_in(&BenchOptions::delay_ms, 0, 60000), Applies::simulated});
  s.push_back({"delay-max", "milliseconds, an integer from 0 to 60000 (0 or <= --delay: fixed delay)",
               "simulated web: response delays drawn uniformly from [--delay, --delay-max]", "MS",
               show(&BenchOptions::delay_max_ms), int_in(&BenchOptions::delay_max_ms, 0, 60000), Applies::simulated});
  s.push_back({"error-rate", "a number from 0 to 0.99", "simulated web: fraction of pages answering HTTP 500", "F",
               show(&BenchOptions::error_rate),
               [](BenchOptions& o, const std::string& v) {
                 const double f = parse_number(v);
                 if (f < 0 || f > 0.99) throw std::invalid_argument(v);
                 o.error_rate = f;
               },
               Applies::simulated});
  s.push_back({"seed", "an integer from 0 to 2^63", "simulated web: seed of the delays and of the error pages", "N",
               show(&BenchOptions::seed), int_in(&BenchOptions::seed, 0, INT64_MAX), Applies::simulated});
  s.push_back({"server-threads", "an integer from 1 to 64", "simulated web: server threads (in this process)", "N",
               show(&BenchOptions::server_threads), int_in(&BenchOptions::server_threads, 1, 64), Applies::simulated});
  // The crawls.
  s.push_back({"strategies", "MODE:N[,N…] groups, e.g. \"threads:8,64 fibers:64,512\"; modes: threads, fibers",
               "the matrix: modes × --concurrency values", "LIST", show(&BenchOptions::strategies),
               [](BenchOptions& o, const std::string& v) {
                 bench::parse_strategies(v);  // throws with the reason
                 o.strategies = v;
               }});
  s.push_back({"repeat", "an integer from 1 to 100", "runs of every strategy (order reversed every other time)", "R",
               show(&BenchOptions::repeat), int_in(&BenchOptions::repeat, 1, 100)});
  s.push_back({"per-host", "an integer from 1 to 1000", "crawl --per-host of every run (politeness)", "N",
               show(&BenchOptions::per_host), int_in(&BenchOptions::per_host, 1, 1000)});
  s.push_back({"timeout", "seconds, a number from 0.001 to 86400", "crawl --timeout of every run", "SECONDS",
               show(&BenchOptions::timeout_s), [](BenchOptions& o, const std::string& v) {
                 const double t = parse_number(v);
                 if (t < 0.001 || t > 86400) throw std::invalid_argument(v);
                 o.timeout_s = t;
               }});
  s.push_back({"max-depth", "an integer from 0 to 1000000", "URL list: crawl --max-depth of every run (0: the listed URLs only)",
               "N", show(&BenchOptions::max_depth), int_in(&BenchOptions::max_depth, 0, 1000000), Applies::urls});
  s.push_back({"max-pages", "an integer >= 0 (0: no limit)", "URL list: crawl --max-pages of every run", "N",
               show(&BenchOptions::max_pages), int_in(&BenchOptions::max_pages, 0, INT64_MAX), Applies::urls});
  s.push_back({"store", "sqlite|disk|none", "crawl --store of every run (none: measure fetching only)", "KIND",
               show(&BenchOptions::store), [](BenchOptions& o, const std::string& v) {
                 if (v != "sqlite" && v != "disk" && v != "none") throw std::invalid_argument(v);
                 o.store = v;
               }});
  s.push_back({"out", "a path", "with --store: where every run stores (default: a temporary path, deleted)", "PATH",
               [](const BenchOptions& o) { return o.out.empty() ? std::string("a temporary path") : o.out; },
               path_into(&BenchOptions::out)});
  // Outputs.
  s.push_back({"json", "a path", "also write the figures, every run included, as JSON", "FILE",
               [](const BenchOptions&) { return std::string(); }, path_into(&BenchOptions::json)});
  s.push_back({"csv", "a path", "also write one CSV line per strategy (median, min, max of every figure)", "FILE",
               [](const BenchOptions&) { return std::string(); }, path_into(&BenchOptions::csv)});
  s.push_back({"chart", "a path", "also draw pages/s and CPU per page against concurrency as an SVG chart",
               "FILE.svg", [](const BenchOptions&) { return std::string(); }, path_into(&BenchOptions::chart)});
  return s;
}

void apply(const BenchSpec& spec, BenchOptions& o, const std::string& value, const std::string& where) {
  try {
    spec.set(o, value);
  } catch (const std::invalid_argument& e) {
    const std::string reason = e.what() == value ? "" : std::string(" (") + e.what() + ")";
    throw UsageError(where + ": invalid value '" + value + "'" + reason + "; allowed: " + spec.allowed);
  }
}


std::string help_footer() {
  return fmt::format(
      "\nWithout URLS_FILE the workload is the simulated web, served by this process on 127.0.1.x;\n"
      "with it, the URLs of that list (politely: --per-host, robots.txt obeyed).\n"
      "Every run is `crawl` in a child process with --mode, --concurrency, --per-host, --timeout,\n"
      "--store none (unless --store), --stats-json and --quiet; on the simulated web also\n"
      "--max-depth 1000000 and, unless given after --, --ignore-robots --retries 0\n"
      "--max-crawl-delay 0: every page fetched once, its 500s causing no back-off.\n"
      "Crawl options after `--` are given to every run, e.g. `crawl bench -- --loops 1`.\n"
      "--workload FILE.toml sets any option above by its long name (hosts = 50,\n"
      "strategies = \"threads:8,64 fibers:64,512\"); the command line wins.\n"
      "Default matrix: {}.\n"
      "Exit codes: 0 done, 1 a run failed or pages counted != pages served, 2 bad option,\n"
      "3 an output file cannot be written, 130/143 interrupted (runs so far are reported).\n",
      kDefaultStrategies);
}

// Crawl options the bench sets itself, refused after "--".
const char* const kManagedCrawlOptions[] = {"--mode",  "--concurrency", "--per-host", "--timeout",   "--store",
                                            "--out",   "--stats-json",  "--quiet",    "-q",          "--config",
                                            "--max-depth", "--max-pages", "--help", "-h", "--version"};

// Crawl options the bench gives every run on the simulated web, each
// unless the same option comes after "--". The site has no robots.txt; its
// 500s are to be counted, not retried; and the back-off they would cause
// measures the politeness policy rather than the fetch strategy.
const std::pair<const char*, const char*> kSimulatedWebDefaults[] = {
    {"--ignore-robots", ""}, {"--retries", "0"}, {"--max-crawl-delay", "0"}};

bool given_after_dashes(const std::vector<std::string>& crawl_args, const std::string& name) {
  for (const auto& a : crawl_args)
    if (a == name || a.rfind(name + "=", 0) == 0) return true;
  return false;
}

void check_crawl_args(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    const std::string name = a.substr(0, a.find('='));
    for (const char* managed : kManagedCrawlOptions)
      if (name == managed)
        throw UsageError("after --: " + name +
                         " is set by crawl bench itself (see --strategies, --per-host, --timeout, --store, --out, "
                         "--max-depth, --max-pages)");
  }
  // Parse them as crawl would, so a typo fails now rather than in every run.
  std::vector<const char*> argv{"crawl", "urls.txt"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    parse_args(static_cast<int>(argv.size()), argv.data());
  } catch (const UsageError& e) {
    throw UsageError(std::string("after --: ") + e.what());
  }
}

struct ParsedBench {
  std::optional<BenchOptions> options;  // empty: exit with `exit_code` after printing `output`
  int exit_code = 0;
  std::string output;
};

ParsedBench parse_bench_args(int argc, const char* const* argv) {
  // Everything after the first "--" is for the crawls.
  std::vector<const char*> own{argv, argv + argc};
  std::vector<std::string> crawl_args;
  for (std::size_t i = 1; i < own.size(); ++i)
    if (std::string_view(own[i]) == "--") {
      crawl_args.assign(own.begin() + static_cast<std::ptrdiff_t>(i) + 1, own.end());
      own.resize(i);
      break;
    }

  const auto specs = bench_specs();
  const BenchOptions defaults;
  CLI::App app{
      "crawl bench: compare fetch strategies (--mode × --concurrency) on the simulated web or on a URL list.\n"
      "Prints per strategy the median and min-max over the repeats of wall time, pages/s, MB/s, fetch\n"
      "latency p50/p95/p99, CPU (user+sys), peak RSS and errors.",
      "crawl bench"};
  app.get_formatter()->column_width(36);
  app.footer(help_footer());
  std::string urls_file, workload_file;
  app.add_option("URLS_FILE", urls_file, "a URL list to crawl instead of the simulated web")->type_name("FILE");
  app.add_option("--workload", workload_file, "TOML file setting any of the options below by long name")
      ->type_name("FILE.toml");
  std::vector<std::string> raw(specs.size());
  std::vector<CLI::Option*> opts(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    std::string help = s.help + " [" + s.allowed + "]";
    opts[i] = app.add_option("--" + s.name, raw[i], help)->type_name(s.metavar);
    if (const std::string d = s.get(defaults); !d.empty()) opts[i]->default_str(d);
  }

  ParsedBench parsed;
  try {
    app.parse(static_cast<int>(own.size()), own.data());
  } catch (const CLI::Success& e) {
    std::ostringstream out, err;
    parsed.exit_code = app.exit(e, out, err);
    parsed.output = out.str() + err.str();
    return parsed;
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    app.exit(e, out, err);
    std::string msg = err.str();
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    throw UsageError(msg);
  }

  BenchOptions o;
  o.urls_file = urls_file;
  o.workload_file = workload_file;
  o.crawl_args = crawl_args;
  const bool simulated = urls_file.empty();
  const auto check_scope = [&](const BenchSpec& spec, const std::string& where) {
    if (spec.scope == Applies::simulated && !simulated)
      throw UsageError(where + " describes the simulated web; it cannot be used with a URLS_FILE");
    if (spec.scope == Applies::urls && simulated)
      throw UsageError(where + " applies to a URLS_FILE bench only (the simulated web is always crawled whole)");
  };
  if (!workload_file.empty()) {
    for (const auto& entry : read_options_file("--workload", workload_file)) {
      std::size_t i = 0;
      while (i < specs.size() && specs[i].name != entry.key) ++i;
      if (i == specs.size()) {
        std::string keys;
        for (const auto& s : specs) keys += (keys.empty() ? "" : ", ") + s.name;
        throw UsageError(workload_file + ": unknown key '" + entry.key + "'; allowed keys: " + keys);
      }
      const std::string where = workload_file + ": key '" + entry.key + "'";
      if (entry.shape_error || entry.values.empty())
        throw UsageError(where + " must be a single value; allowed: " + specs[i].allowed);
      check_scope(specs[i], where);
      if (opts[i]->count() > 0) continue;  // the command line wins
      // An array is its elements joined by spaces: strategies = ["threads:8,64", "fibers:64,512"].
      std::string value;
      for (const auto& v : entry.values) value += (value.empty() ? "" : " ") + v;
      apply(specs[i], o, value, where);
    }
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (opts[i]->count() == 0) continue;
    check_scope(specs[i], "--" + specs[i].name);
    apply(specs[i], o, raw[i], "--" + specs[i].name);
  }
  if (o.delay_max_ms > 0 && o.delay_max_ms < o.delay_ms)
    throw UsageError(fmt::format("--delay-max {} is below --delay {}; allowed: 0 (a fixed delay) or >= --delay",
                                 o.delay_max_ms, o.delay_ms));
  if (!o.out.empty() && o.store == "none")
    throw UsageError("--out " + o.out + " needs --store sqlite or --store disk");
  check_crawl_args(o.crawl_args);
  parsed.options = std::move(o);
  return parsed;
}

// ---------------------------------------------------------------------------
// Running the children

// SIGINT/SIGTERM: finish the run in progress (the child, in the same process
// group, gets a terminal's Ctrl-C too and stops itself), then report.
std::atomic<int> g_stop_signal{0};
extern "C" void on_bench_signal(int sig) { g_stop_signal.store(sig); }

struct Child {
  int exit_code = -1;  // 128+N when killed by signal N
  double wall_s = 0;
  double user_s = 0;
  double sys_s = 0;
};

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

// Runs args[0] with stdin from /dev/null and stdout+stderr into `log`;
// measures it with wait4. Throws std::runtime_error if it cannot be started.
Child run_child(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(std::string("cannot start ") + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  Child c;
  c.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  c.user_s = seconds(ru.ru_utime);
  c.sys_s = seconds(ru.ru_stime);
  // Not ru.ru_maxrss: Linux counts in it this process's resident size at the
  // moment the child exec'd (the spawned child shares our memory until
  // then), so every run would seem to need as much as the simulated web.
  // The child reports its own peak (VmHWM) in its stats JSON instead.
  return c;
}

std::string last_lines(const fs::path& log, int n) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > static_cast<std::size_t>(n) ? lines.size() - n : 0; i < lines.size(); ++i)
    out += "    " + lines[i] + "\n";
  return out;
}

double own_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

// Fills the crawler's own figures of `m` from its --stats-json file.
void read_stats_json(const fs::path& path, RunMeasure& m) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text.str(), ec);
  if (ec || !v.is_object()) throw std::runtime_error("no valid stats JSON in " + path.string());
  const auto& o = v.get_object();
  const auto integer = [&](const char* key) -> std::int64_t {
    const auto* p = o.if_contains(key);
    if (!p) throw std::runtime_error(std::string("stats JSON lacks ") + key);
    return p->to_number<std::int64_t>();
  };
  m.pages = integer("pages");
  m.results = integer("results");
  m.bytes = integer("bytes");
  m.errors = integer("errors");
  m.skipped = integer("skipped");
  m.peak_rss_bytes = integer("peak_rss_bytes");
  if (const auto* s = o.if_contains("outcome"); s && s->is_string()) m.outcome = s->get_string().c_str();
  if (const auto* lat = o.if_contains("latency_ms"); lat && lat->is_object()) {
    const auto pick = [&](const char* key) -> std::optional<double> {
      const auto* p = lat->get_object().if_contains(key);
      if (!p || p->is_null()) return std::nullopt;
      return p->to_number<double>();
    };
    m.latency_p50_ms = pick("p50");
    m.latency_p95_ms = pick("p95");
    m.latency_p99_ms = pick("p99");
  }
}

// A progress bar on stderr, redrawn a few times a second from its own
// thread, when stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(int total) : total_(total) {
    if (::isatty(STDERR_FILENO)) thread_ = std::jthread([this](std::stop_token st) { loop(st); });
  }
  ~ProgressBar() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
      std::fputs("\r\x1b[K", stderr);
      std::fflush(stderr);
    }
  }
  bool enabled() const { return thread_.joinable(); }
  void start_run(int index, std::string label) {
    std::lock_guard lock(mu_);
    index_ = index;
    label_ = std::move(label);
    run_started_ = std::chrono::steady_clock::now();
  }

 private:
  void loop(std::stop_token st) {
    while (!st.stop_requested()) {
      draw();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  void draw() {
    std::lock_guard lock(mu_);
    if (index_ == 0) return;
    constexpr int kWidth = 30;
    const int filled = total_ > 0 ? (index_ - 1) * kWidth / total_ : 0;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_started_).count();
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r\x1b[K[%s] run %d/%d  %s  %.1f s", bar.c_str(), index_, total_, label_.c_str(), secs);
    std::fflush(stderr);
  }

  const int total_;
  std::mutex mu_;  // guards index_, label_, run_started_
  int index_ = 0;
  std::string label_;
  std::chrono::steady_clock::time_point run_started_;
  std::jthread thread_;  // last: joined before the members above go
};

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
  const fs::path& path() const { return path_; }

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

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=+@%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::uint64_t served_requests(const testserver::TestServer& server) {
  std::uint64_t n = 0;
  for (int h = 0; h < server.host_count(); ++h) n += server.stats(h).requests;
  return n;
}

int run_bench(const BenchOptions& o, const std::string& command) {
  const std::vector<Strategy> strategies = bench::parse_strategies(o.strategies);
  BenchReport report;
  report.repeat = o.repeat;
  report.cores = std::max(1u, std::thread::hardware_concurrency());
  report.started_at = now_iso8601();
  report.command = command;
  Workload& w = report.workload;
  w.per_host = o.per_host;

  WorkDir work;
  std::unique_ptr<testserver::TestServer> server;
  std::string seeds_path;
  if (o.urls_file.empty()) {
    raise_open_file_limit();  // thousands of connections; the children inherit it
    testserver::SiteOptions site;
    site.hosts = o.hosts;
    site.pages_per_host = o.pages;
    site.page_size = static_cast<std::size_t>(o.page_size);
    site.links_per_page = o.links;
    site.delay = std::chrono::milliseconds(o.delay_ms);
    site.delay_max = std::chrono::milliseconds(o.delay_max_ms);
    site.error_rate = o.error_rate;
    site.seed = o.seed;
    site.threads = o.server_threads;
    try {
      server = std::make_unique<testserver::TestServer>(site);
    } catch (const std::exception& e) {
      std::cerr << "crawl bench: cannot start the simulated web: " << e.what() << "\n";
      return 1;
    }
    seeds_path = (work.path() / "roots.txt").string();
    std::ofstream roots(seeds_path);
    for (const auto& url : server->root_urls()) roots << url << "\n";
    w.simulated = true;
    w.hosts = o.hosts;
    w.pages_per_host = o.pages;
    w.page_size = o.page_size;
    w.links_per_page = o.links;
    w.delay_ms = o.delay_ms;
    w.delay_max_ms = std::max(o.delay_ms, o.delay_max_ms);
    w.error_rate = o.error_rate;
    w.seed = o.seed;
    w.expected_pages = static_cast<std::int64_t>(server->site_urls().size());
    w.error_pages = static_cast<std::int64_t>(server->error_urls().size());
  } else {
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
    seeds_path = fs::absolute(o.urls_file).string();
    w.simulated = false;
    w.urls_file = o.urls_file;
    w.urls = static_cast<std::int64_t>(seeds.seeds.size());
    w.max_depth = o.max_depth;
    w.max_pages = o.max_pages;
  }

  std::vector<OutputFile> outputs;
  for (const auto& [path, render] : {std::pair{&o.json, &bench::render_json}, std::pair{&o.csv, &bench::render_csv},
                                      std::pair{&o.chart, &bench::render_svg}}) {
    if (path->empty()) continue;
    OutputFile f{render, *path, std::ofstream(*path, std::ios::out | std::ios::trunc | std::ios::binary)};
    if (!f.stream) {
      std::cerr << "crawl bench: cannot write " << *path << ": " << std::strerror(errno) << "\n";
      return 3;
    }
    outputs.push_back(std::move(f));
  }


  const int total = static_cast<int>(strategies.size()) * o.repeat;
  std::cout << "crawl bench: " << w.describe() << "\n";
  if (w.simulated)
    std::cout << fmt::format("site: {} pages ({} answer 500), every one to be fetched once per run\n",
                             w.expected_pages, w.error_pages);
  std::cout << fmt::format("{} strategies × {} repeats = {} runs, {} cores\n", strategies.size(), o.repeat, total,
                           report.cores);
  if (w.simulated) {
    const long long cap = static_cast<long long>(o.hosts) * o.per_host;
    for (const auto& s : strategies)
      if (s.concurrency > cap) {
        std::cout << fmt::format("note: at most {} transfers can be in flight (--hosts {} × --per-host {}); "
                                 "a higher --concurrency only adds idle capacity\n",
                                 cap, o.hosts, o.per_host);
        break;
      }
  }
  std::cout << "\n";
  std::cout.flush();

  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    std::cerr << "crawl bench: cannot find this program (/proc/self/exe): " << ec.message() << "\n";
    return 1;
  }

  struct sigaction sa {};
  sa.sa_handler = on_bench_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  for (const auto& s : strategies) report.strategies.push_back(StrategyResult{s, {}});
  int failures = 0;
  {
    ProgressBar progress(total);
    // Messages start by wiping the progress bar's line, if it is drawn.
    const char* const clear_line = progress.enabled() ? "\r\x1b[K" : "";
    int position = 0;
    for (int r = 1; r <= o.repeat && g_stop_signal.load() == 0; ++r) {
      // Every other repeat in reverse order, so no strategy always runs
      // first (cold caches) or last (a warm, maybe throttled machine).
      std::vector<std::size_t> order(strategies.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      if (r % 2 == 0) std::reverse(order.begin(), order.end());
      for (const std::size_t i : order) {
        if (g_stop_signal.load() != 0) break;
        ++position;
        const Strategy& s = strategies[i];
        progress.start_run(position, fmt::format("{}  (repeat {}/{})", s.name(), r, o.repeat));
        const fs::path stats_path = work.path() / fmt::format("run-{}.json", position);
        const fs::path log_path = work.path() / fmt::format("run-{}.log", position);
        std::vector<std::string> args{self.string(),       seeds_path,
                                      "--mode",            to_string(s.mode),
                                      "--concurrency",     std::to_string(s.concurrency),
                                      "--per-host",        std::to_string(o.per_host),
                                      "--timeout",         fmt::format("{}", o.timeout_s),
                                      "--store",           o.store,
                                      "--stats-json",      stats_path.string(),
                                      "--quiet"};
        fs::path temp_out;
        if (o.store != "none") {
          temp_out = work.path() / fmt::format("out-{}", position);
          args.insert(args.end(), {"--out", o.out.empty() ? temp_out.string() : o.out});
        }
        if (w.simulated) {
          args.insert(args.end(), {"--max-depth", "1000000"});
          // Every page fetched once and no wait imposed by the crawler's
          // politeness policy, unless the options after -- say otherwise:
          // the run measures the fetch strategy, not robots.txt or back-off.
          for (const auto& [name, value] : kSimulatedWebDefaults) {
            if (given_after_dashes(o.crawl_args, name)) continue;
            args.push_back(name);
            if (*value) args.push_back(value);
          }
        } else {
          args.insert(args.end(), {"--max-depth", std::to_string(o.max_depth), "--max-pages",
                                   std::to_string(o.max_pages)});
        }
        args.insert(args.end(), o.crawl_args.begin(), o.crawl_args.end());

        if (server) server->reset_stats();
        const double server_cpu_before = own_cpu_s();
        Child child;
        try {
          child = run_child(args, log_path);
        } catch (const std::exception& e) {
          std::cerr << "crawl bench: " << e.what() << "\n";
          return 1;
        }
        RunMeasure m;
        m.repeat = r;
        m.position = position;
        m.exit_code = child.exit_code;
        m.wall_s = child.wall_s;
        m.cpu_user_s = child.user_s;
        m.cpu_sys_s = child.sys_s;
        if (server) {
          m.server_cpu_s = own_cpu_s() - server_cpu_before;
          m.served = static_cast<std::int64_t>(served_requests(*server));
        }
        fs::remove_all(temp_out, ec);
        // 0, 4 (transfer errors) and 8 (HTTP errors) are crawls that ran;
        // 130/143: stopped by the signal we got too.
        const bool ran = child.exit_code == 0 || child.exit_code == 4 || child.exit_code == 8 ||
                         (g_stop_signal.load() != 0 && (child.exit_code == 130 || child.exit_code == 143));
        if (ran) {
          try {
            read_stats_json(stats_path, m);
          } catch (const std::exception& e) {
            std::cerr << clear_line << "crawl bench: run " << position << " (" << s.name() << "): " << e.what()
                      << "\n";
            ++failures;
            continue;
          }
        } else {
          std::cerr << clear_line
                    << fmt::format("crawl bench: run {} ({}) failed with exit code {}:\n{}", position, s.name(),
                                   child.exit_code, last_lines(log_path, 5));
          if (child.exit_code == 2) return 2;  // the crawl options are wrong: every run would fail
          ++failures;
          continue;
        }
        if (!progress.enabled())
          std::cerr << fmt::format("crawl bench: run {}/{} {}: {:.2f} s, {} pages, {:.1f} pages/s\n", position,
                                   total, s.name(), m.wall_s, m.pages,
                                   m.wall_s > 0 ? static_cast<double>(m.pages) / m.wall_s : 0.0);
        report.strategies[i].runs.push_back(std::move(m));
      }
    }
  }
  std::erase_if(report.strategies, [](const StrategyResult& s) { return s.runs.empty(); });

  std::cout << bench::render_table(report);
  bool agree = true;
  if (w.simulated) {
    for (const auto& s : report.strategies) {
      if (bench::pages_agree(s, w)) continue;
      agree = false;
      for (const auto& run : s.runs)
        std::cout << fmt::format("MISMATCH {} run {}: {} pages counted, {} served, {} expected\n", s.strategy.name(),
                                 run.position, run.pages, run.served.value_or(-1), w.expected_pages);
    }
    if (agree && !report.strategies.empty())
      std::cout << fmt::format("\npages counted = pages served = {} in every run\n", w.expected_pages);
  }
  for (auto& f : outputs) {
    f.stream << f.render(report);
    f.stream.close();
    if (!f.stream) {
      std::cerr << "crawl bench: cannot write " << f.path << "\n";
      return 3;
    }
    std::cout << "wrote " << f.path << "\n";
  }
  if (const int sig = g_stop_signal.load(); sig != 0) {
    std::cerr << "crawl bench: stopped by signal; the runs above are the ones finished\n";
    return sig == SIGTERM ? 143 : 130;
  }
  return failures > 0 || !agree ? 1 : 0;
}

}  // namespace

int bench_main(int argc, const char* const* argv) {
  std::string command = "crawl";
  for (int i = 0; i < argc; ++i) command += " " + shell_quote(argv[i]);
  try {
    ParsedBench parsed = parse_bench_args(argc, argv);
    if (!parsed.options) {
      std::cout << parsed.output;
      return parsed.exit_code;
    }
    return run_bench(*parsed.options, command);
  } catch (const UsageError& e) {
    std::cerr << "crawl bench: " << e.what() << "\nRun crawl bench --help for more information.\n";
    return e.exit_code;
  }
}

}  // namespace crawl

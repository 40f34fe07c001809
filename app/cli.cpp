#include "app/cli.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>

#include "config/config.h"
#include "core/process.h"
#include "crawler/crawler.h"
#include "core/json_text.h"
#include "core/time_text.h"
#include "app/run_stats.h"
#include "app/history_cmd.h"
#include "app/runs_cmd.h"
#include "crawler/seeds.h"
#include "fetch/fetcher.h"
#include "storage/disk_sink.h"
#include "storage/file_system.h"
#include "storage/sqlite_sink.h"
#include "storage/warc_sink.h"

namespace crawl {

namespace {

StopRequest g_stop;

extern "C" void on_stop_signal(int sig) {
  g_stop.last_signal.store(sig);
  g_stop.count.fetch_add(1);
}

void install_signal_handlers() {
  on_stop_signals(on_stop_signal, /*restart=*/true);
  std::signal(SIGPIPE, SIG_IGN);
}

void setup_logging(const Config& config) {
  std::vector<spdlog::sink_ptr> sinks;
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  console->set_pattern("%^%l%$: %v");
  console->set_level(config.quiet ? spdlog::level::warn : spdlog::level::trace);
  sinks.push_back(console);
  if (!config.log_file.empty()) {
    try {
      auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.log_file);
      file->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%t] %v");
      sinks.push_back(file);
    } catch (const spdlog::spdlog_ex& e) {
      throw UsageError("--log-file " + config.log_file + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("crawl", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.log_level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

// A SQLite file that keeps only the crawl state (beside another output).
std::unique_ptr<SqliteSink> state_only(const std::string& path) {
  SqliteSinkOptions o;
  o.pages = false;
  return std::make_unique<SqliteSink>(path, o);
}

// The --store sink, and the state's.
std::unique_ptr<Sink> make_store_sink(const Config& config) {
  const std::string state = config.state_path();
  switch (config.store) {
    case StoreKind::sqlite: {
      SqliteSinkOptions o;
      o.state = state == config.out_path();
      auto sink = std::make_unique<SqliteSink>(config.out_path(), o);
      if (!o.state) sink->keep_state_in(state_only(state));
      return sink;
    }
    case StoreKind::disk: {
      auto sink = std::make_unique<DiskSink>(config.out_path());  // creates OUT/.crawl
      sink->keep_state_in(state_only(state));
      return sink;
    }
    case StoreKind::none: return state.empty() ? nullptr : state_only(state);
  }
  return nullptr;
}

// The warcinfo record's fields: what made the archive and how.
std::vector<std::pair<std::string, std::string>> warcinfo(const Config& config) {
  return {{"software", "crawl/" CRAWL_VERSION_STRING " (" + http_library_version() + ")"},
          {"format", "WARC File Format 1.1"},
          {"conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"},
          {"operator", config.user_agent},
          {"http-header-user-agent", config.user_agent},
          {"robots", config.ignore_robots ? "ignore" : "obey"},
          {"urls-file", config.urls_file},
          {"options", config.summary()}};
}

// The runtime choice of sink: one line per kind, and where the crawl state
// lives (config.state_path(): with the pages, or in a database of its own
// fed in order after the pages are written); --warc wraps it.
std::unique_ptr<Sink> make_sink(const Config& config) {
  auto sink = make_store_sink(config);
  if (config.warc.empty()) return sink;
  WarcWriterOptions o;
  o.prefix = config.warc;
  o.max_size = config.warc_max_size;
  o.gzip_level = config.warc_gzip_level;
  o.info = warcinfo(config);
  return std::make_unique<WarcSink>(std::move(sink), std::move(o));
}

// Exactly one crawl works on a state at a time: a lock file beside it.
// nullopt (after saying why) when another crawl holds it.
std::optional<std::optional<PidFileLock>> lock_state(const Config& config) {
  const std::string state = config.state_path();
  if (state.empty()) return std::optional<PidFileLock>();
  const std::filesystem::path lock_path = state + ".lock";
  if (config.store == StoreKind::disk && config.state.empty()) {  // OUT/.crawl, which the sink makes anyway
    std::error_code ec;
    std::filesystem::create_directories(lock_path.parent_path(), ec);
  }
  long holder = 0;
  auto lock = PidFileLock::try_lock(lock_path.string(), &holder);
  if (!lock) {
    std::cerr << "crawl: " << state << " is in use by another crawl ("
              << (holder > 0 ? "pid " + std::to_string(holder) : std::string("pid unknown")) << ")\n";
    return std::nullopt;
  }
  return std::optional<PidFileLock>(std::move(*lock));
}

// Wraps the chosen sink and completes the run's figures that only the
// process knows (its CPU and peak memory) before they are recorded, so every
// crawl's `runs` row has them. Everything else is passed through unchanged;
// same thread-safety contract as the wrapped sink.
class RunFiguresSink final : public Sink {
 public:
  explicit RunFiguresSink(std::unique_ptr<Sink> inner) : inner_(std::move(inner)) {}

  std::optional<StorageFailure> begin_run(const RunInfo& info) override { return inner_->begin_run(info); }
  void store(const FetchResult& result) override { inner_->store(result); }
  void settle(const FetchResult& result, bool page, UrlEffects effects) override {
    inner_->settle(result, page, std::move(effects));
  }
  void store_owned(FetchResult&& result) override { inner_->store_owned(std::move(result)); }
  void settle_owned(FetchResult&& result, bool page, UrlEffects effects) override {
    inner_->settle_owned(std::move(result), page, std::move(effects));
  }
  void record_exchanges(const FetchResult& result) override { inner_->record_exchanges(result); }
  StateStore* state() noexcept override { return inner_->state(); }
  std::optional<FetchResult> stored_copy(const std::string& url) override { return inner_->stored_copy(url); }
  std::optional<KnownCopy> known_copy(const std::string& url, const std::string& due_before) override {
    return inner_->known_copy(url, due_before);
  }
  std::optional<StorageFailure> flush() override { return inner_->flush(); }
  bool failed() const noexcept override { return inner_->failed(); }
  std::optional<StorageFailure> failure() const override { return inner_->failure(); }
  std::optional<RunChangeCounts> run_changes() const override { return inner_->run_changes(); }
  std::optional<StorageFailure> end_run(const RunSummary& summary) override {
    RunSummary s = summary;
    const auto usage = process_usage();
    s.cpu_s = usage.user_s + usage.sys_s;
    s.peak_rss_bytes = usage.peak_rss_bytes;
    return inner_->end_run(s);
  }

 private:
  std::unique_ptr<Sink> inner_;
};

std::string human_bytes(std::int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

// A progress line on a terminal, a few times a second, until stopped.
class ProgressLine {
 public:
  ProgressLine(const Crawler& crawler, bool enabled) : crawler_(crawler) {
    if (enabled) thread_ = std::jthread([this](std::stop_token st) {
      name_this_thread("crawl-progress");
      loop(st);
    });
  }
  ~ProgressLine() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
      std::fputs("\r\x1b[K", stderr);
    }
  }

 private:
  void loop(std::stop_token st) {
    const auto start = std::chrono::steady_clock::now();
    while (!st.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      auto p = crawler_.progress();
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\r\x1b[K%lld pages  %.1f pages/s  queued %zu  in flight %zu  errors %lld",
                   static_cast<long long>(p.stats.results), secs > 0 ? p.stats.results / secs : 0.0, p.queued,
                   p.in_flight, static_cast<long long>(p.stats.errors));
      std::fflush(stderr);
    }
  }
  const Crawler& crawler_;
  std::jthread thread_;
};

// What the fetcher reports of itself after a crawl.
struct FetcherFigures {
  std::optional<double> stall_ms;  // Fetcher::longest_stall_ms()
  std::int64_t spilled_bodies = 0;  // Fetcher::spilled_bodies()
};

// "1 page", "2 pages": a count with its noun in the right number.
std::string counted(std::int64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

void print_summary(const Config& config, const CrawlReport& r, const FetcherFigures& figures,
                   const std::optional<RunChangeCounts>& run_changes) {
  const auto& s = r.summary;
  if (r.resumed_from)
    std::cout << fmt::format("crawl: resumed the unfinished crawl of run {} ({} queued, {} re-queued)\n",
                             *r.resumed_from, counted(r.resumed_queue, "URL", "URLs"), r.requeued);
  const auto listed = [](const std::map<std::string, std::int64_t>& by_name) {
    std::string text;
    for (const auto& [name, n] : by_name) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", name, n);
    return text;
  };
  const std::string kinds = listed(s.errors_by_kind);
  std::cout << fmt::format("crawl: {}: {}, {} in {:.1f} s ({:.1f} pages/s), {}{}\n", to_string(s.outcome),
                           counted(s.pages, "page", "pages"), human_bytes(s.bytes), s.elapsed_s,
                           s.elapsed_s > 0 ? s.pages / s.elapsed_s : 0.0, counted(s.errors, "error", "errors"),
                           kinds.empty() ? "" : " (" + kinds + ")");
  if (r.stats.skipped > 0)
    std::cout << fmt::format("crawl: {} skipped ({}; not fetched on purpose, not errors)\n", r.stats.skipped,
                             listed(r.stats.skipped_by_kind));
  if (!r.stats.bounds.empty())
    std::cout << fmt::format("crawl: bounds tripped ({}): URLs not taken\n", listed(r.stats.bounds));
  if (r.not_modified > 0 || r.not_due > 0)
    std::cout << fmt::format("crawl: {} not modified (304: stored copy current), {} not due for a revisit\n",
                             r.not_modified, r.not_due);
  if (config.store == StoreKind::sqlite && !r.storage_failure) {
    try {
      // Counted by the sink as it wrote them; read back from the file (what
      // `crawl changes` reads) only when it could not count them.
      std::optional<RunChangeCounts> changes = run_changes;
      if (!changes) changes = read_changes(config.out_path(), 0, /*pages=*/false);
      if (changes) {
        const auto counts = count_changes(*changes);
        std::cout << fmt::format("crawl: run {}: {} (crawl changes {})\n", changes->run,
                                 changes_line(counts), config.out_path());
      }
    } catch (const std::exception& e) {
      spdlog::debug("no change summary: {}", e.what());
    }
  }
  if (figures.stall_ms)
    std::cout << fmt::format("crawl: {}, longest loop stall {:.1f} ms\n", counted(config.loops, "event loop", "event loops"),
                             *figures.stall_ms);
  if (figures.spilled_bodies > 0)
    std::cout << fmt::format("crawl: {} to temporary files (past --max-body-memory {})\n",
                             counted(figures.spilled_bodies, "body spilled", "bodies spilled"),
                             human_bytes(config.max_body_memory));
  if (r.left_queued > 0) {
    const bool resumable = !config.state_path().empty() && s.outcome != RunOutcome::completed &&
                           s.outcome != RunOutcome::max_pages;
    std::cout << fmt::format("crawl: {} left in the queue{}\n", counted(r.left_queued, "URL", "URLs"),
                             resumable ? "; run the same command again to resume" : "");
  }
  if (r.storage_failure)
    std::cerr << fmt::format("crawl: storage failed: {}: {}\n", r.storage_failure->where, r.storage_failure->message);
  else if (config.store != StoreKind::none)
    std::cout << fmt::format("crawl: stored in {} ({})\n", config.out_path(), to_string(config.store));
  std::cout.flush();
}

// The run's figures for --stats-json, one JSON object (see README).
std::string stats_json(const Config& config, const CrawlReport& r, const FetcherFigures& figures,
                       const ProcessUsage& usage) {
  const auto& s = r.summary;
  RunStats out;
  out.outcome = to_string(s.outcome);
  out.pages = r.stats.pages;
  out.results = r.stats.results;
  out.bytes = r.stats.bytes;
  out.errors = r.stats.errors;
  out.transport_errors = r.stats.transport_errors;
  out.errors_by_kind = s.errors_by_kind;
  out.skipped = r.stats.skipped;
  out.spilled_bodies = figures.spilled_bodies;
  out.skipped_by_kind = r.stats.skipped_by_kind;
  out.bounds = r.stats.bounds;
  out.elapsed_s = s.elapsed_s;
  out.pages_per_s = s.elapsed_s > 0 ? static_cast<double>(s.pages) / s.elapsed_s : 0.0;
  out.cpu_user_s = usage.user_s;
  out.cpu_sys_s = usage.sys_s;
  out.peak_rss_bytes = usage.peak_rss_bytes;
  out.latency_count = r.stats.latency.count();
  out.latency_p50_ms = r.stats.latency.percentile(50);
  out.latency_p95_ms = r.stats.latency.percentile(95);
  out.latency_p99_ms = r.stats.latency.percentile(99);
  out.mode = to_string(config.mode);
  out.concurrency = config.concurrency;
  out.left_queued = static_cast<std::int64_t>(r.left_queued);
  return to_json(out);
}

int exit_code(const CrawlReport& r) {
  if (r.summary.outcome == RunOutcome::storage_failed || r.storage_failure) return 3;
  if (r.summary.outcome == RunOutcome::interrupted) return g_stop.last_signal.load() == SIGHUP ? 129 : 130;
  if (r.summary.outcome == RunOutcome::terminated) return 143;
  if (r.stats.transport_errors > 0) return 4;
  if (r.stats.errors > 0) return 8;
  return 0;
}

// The command line and the config file; nullopt with *exit set when the
// program ends here (--help, --version, a usage error).
std::optional<Config> parse_command_line(int argc, const char* const* argv, int* exit) {
  try {
    ParsedArgs parsed = parse_args(argc, argv);
    if (!parsed.config) {
      std::cout << parsed.output;
      if (parsed.exit_code == 0 && parsed.output.find("Usage:") != std::string::npos)
        std::cout << "\nCommands:\n"
                     "  crawl bench [URLS_FILE] [OPTIONS]   compare fetch strategies (crawl bench --help)\n"
                     "  crawl runs [DB] [--json]            list the crawls recorded in a SQLite file\n"
                     "  crawl changes [DB] [--run N]        what a batch changed: new, changed, gone, …\n"
                     "  crawl history URL [DB]              every fetch (version) of one page\n"
                     "  crawl prune [DB] --keep-versions N  delete old versions from the history\n";
      *exit = parsed.exit_code;
      return std::nullopt;
    }
    setup_logging(*parsed.config);
    return std::move(parsed.config);
  } catch (const UsageError& e) {
    std::string message = e.what();
    // CLI11's own messages already end in the hint; ours do not.
    if (message.find("--help") == std::string::npos) message += "\nRun with --help for more information.";
    std::cerr << "crawl: " << message << "\n";
    *exit = e.exit_code;
    return std::nullopt;
  }
}

// The URL list; nullopt (after saying why) when it has no URL to crawl.
std::optional<std::vector<Seed>> read_seeds(const Config& config) {
  SeedList seeds;
  try {
    seeds = read_seed_file(config.urls_file, static_cast<std::size_t>(config.max_url_length));
  } catch (const std::exception& e) {
    std::cerr << "crawl: " << e.what() << "\n";
    return std::nullopt;
  }
  for (const auto& w : seeds.warnings) spdlog::warn("{}", w);
  std::erase_if(seeds.seeds, [&](const Seed& seed) {
    if (seed.url.size() <= static_cast<std::size_t>(config.max_url_length)) return false;
    spdlog::warn("{}:{}: URL longer than --max-url-length {} ({} characters): skipped", config.urls_file, seed.line,
                 config.max_url_length, seed.url.size());
    return true;
  });
  if (seeds.seeds.empty()) {
    std::cerr << "crawl: " << config.urls_file << ": no valid URL to crawl\n";
    return std::nullopt;
  }
  return std::move(seeds.seeds);
}

// Takes the state's lock for the whole process (every batch of --every);
// nullopt with *exit set when it cannot.
std::optional<std::optional<PidFileLock>> take_lock(const Config& config, int* exit) {
  std::optional<std::optional<PidFileLock>> lock;
  try {
    lock = lock_state(config);
  } catch (const std::exception& e) {
    std::cerr << "crawl: cannot open the crawl state: " << e.what() << "\n";
    *exit = 3;
    return std::nullopt;
  }
  if (!lock) *exit = 2;
  return lock;
}

// Writes `text` to `path` through a temporary file beside it, synced, then
// renamed over it and the directory synced (a crash, a power failure
// included, leaves the old file or the new one); "" on success, else why not.
std::string write_file_atomically(const std::string& path, std::string_view text, mode_t mode) {
  FileSystem& fs = posix_file_system();
  const std::string tmp = path + ".tmp";
  int fd = -1;
  if (auto ec = fs.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode, fd)) return ec.message();
  std::error_code ec = write_all(fs, fd, text);
  if (!ec) ec = fs.sync(fd);
  if (auto closed = fs.close(fd); !ec) ec = closed;
  if (!ec) ec = fs.rename(tmp, path);
  if (ec) (void)fs.unlink(tmp);
  if (!ec) ec = sync_parent_directory(fs, path);
  return ec ? ec.message() : std::string();
}

// Runs one crawl (a batch); the report, or nullopt with *exit set when it
// cannot start.
std::optional<CrawlReport> crawl(const Config& config, const std::vector<Seed>& seeds, FetcherFigures* figures,
                                 std::optional<RunChangeCounts>* changes, int* exit) {
  std::unique_ptr<RunFiguresSink> sink;
  try {
    if (auto inner = make_sink(config)) sink = std::make_unique<RunFiguresSink>(std::move(inner));
  } catch (const std::exception& e) {
    std::cerr << "crawl: cannot open storage: " << e.what() << "\n";
    *exit = 3;
    return std::nullopt;
  }
  std::shared_ptr<CookieJar> cookies;
  if (config.cookies) {
    if (!config.save_cookies.empty()) {
      // Checked now, so a bad path stops the crawl before it starts.
      const std::filesystem::path path(config.save_cookies);
      const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
      std::error_code ec;
      const char* why = nullptr;
      if (std::filesystem::is_directory(path, ec)) why = "is a directory";
      else if (!std::filesystem::is_directory(dir, ec)) why = "its directory does not exist";
      else if (::access(dir.c_str(), W_OK) != 0) why = "its directory is not writable";
      if (why) {
        std::cerr << "crawl: --save-cookies " << config.save_cookies << ": " << why << "\n";
        *exit = 3;
        return std::nullopt;
      }
    }
    try {
      cookies = std::make_shared<CookieJar>();
      if (!config.load_cookies.empty()) {
        if (const auto n = cookies->load(config.load_cookies))
          spdlog::info("--load-cookies {}: {}", config.load_cookies, counted(static_cast<std::int64_t>(*n), "cookie", "cookies"));
        else
          spdlog::info("--load-cookies {}: no such file yet: starting without cookies", config.load_cookies);
      }
    } catch (const std::exception& e) {
      std::cerr << "crawl: --load-cookies " << e.what() << "\n";
      *exit = 2;
      return std::nullopt;
    }
  }
  Crawler crawler(config, sink.get(), &g_stop);
  std::unique_ptr<Fetcher> fetcher;  // after the crawler, its listener: destroyed first
  try {
    std::vector<std::string> seed_urls;
    for (const auto& seed : seeds) seed_urls.push_back(seed.url);
    fetcher = make_fetcher(config, crawler.listener(), seed_urls, cookies);
  } catch (const UsageError& e) {
    std::cerr << "crawl: " << e.what() << "\n";
    *exit = e.exit_code;
    return std::nullopt;
  }
  install_signal_handlers();
  spdlog::info("crawling {} from {} ({})", counted(static_cast<std::int64_t>(seeds.size()), "seed URL", "seed URLs"),
               config.urls_file, config.summary());
  CrawlReport report;
  {
    ProgressLine progress(crawler, !config.quiet && ::isatty(STDERR_FILENO));
    report = crawler.run(seeds, *fetcher);
  }
  figures->stall_ms = fetcher->longest_stall_ms();
  figures->spilled_bodies = fetcher->spilled_bodies();
  // The fetcher's teardown (its loops stopped, their connections closed)
  // runs beside the store's close (the last checkpoint and its syncs): once
  // the run has drained they share nothing, and each is a few ms of every
  // crawl's wall time (farm: 3.4 and 8.8 ms).
  std::thread teardown;
  try {
    teardown = std::thread([&fetcher] {
      name_this_thread("crawl-close");
      fetcher.reset();
    });
  } catch (const std::system_error&) {
    fetcher.reset();  // no thread to spare: one after the other
  }
  if (sink) *changes = sink->run_changes();
  sink.reset();  // closes the database / joins writers before the summary claims it's stored
  if (teardown.joinable()) teardown.join();
  if (cookies && !config.save_cookies.empty()) {
    std::string why;
    try {
      why = write_file_atomically(config.save_cookies, cookies->file_text(), 0600);  // cookies are credentials
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (!why.empty()) {
      std::cerr << "crawl: --save-cookies " << config.save_cookies << ": cannot write: " << why << "\n";
      *exit = 3;  // the crawl is stored; its cookies are not
    }
  }
  return report;
}

// One batch: the crawl, its summary and --stats-json; the exit code.
int run_batch(const Config& config, const std::vector<Seed>& seeds, CrawlReport* out) {
  // Opened (and emptied) now, so a bad path stops the crawl before it starts.
  std::ofstream stats_out;
  if (!config.stats_json.empty()) {
    stats_out.open(config.stats_json, std::ios::out | std::ios::trunc);
    if (!stats_out) {
      std::cerr << "crawl: --stats-json " << config.stats_json << ": cannot open: " << std::strerror(errno) << "\n";
      return 3;
    }
  }
  int exit = 0;
  FetcherFigures figures;
  std::optional<RunChangeCounts> changes;
  const auto report = crawl(config, seeds, &figures, &changes, &exit);
  if (!report) return exit;
  if (out) *out = *report;
  print_summary(config, *report, figures, changes);
  if (stats_out.is_open()) {
    stats_out << stats_json(config, *report, figures, process_usage());
    stats_out.close();
    if (!stats_out) {
      std::cerr << "crawl: --stats-json " << config.stats_json << ": cannot write\n";
      return 3;
    }
  }
  return exit != 0 ? exit : exit_code(*report);
}

// "2026-12-01T06:00:00Z": when a batch starts, to the second.
std::string utc_seconds(std::chrono::system_clock::time_point t) {
  return iso8601_utc(t).substr(0, 19) + "Z";
}

// --every: a batch every config.every_s from the start of the previous one,
// until a signal. A batch that a signal stops ends the process with its
// exit code (it resumes when the command is run again); a signal between
// batches ends it with 0.
int run_every(Config config) {
  using Clock = std::chrono::system_clock;
  const auto every = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.every_s));
  for (std::int64_t batch = 1;; ++batch) {
    const auto started = Clock::now();
    std::cout << fmt::format("crawl: batch {} starting at {}\n", batch, utc_seconds(started)) << std::flush;
    int exit = 0;
    if (const auto seeds = read_seeds(config)) {  // read again: the list may have changed
      CrawlReport report;
      exit = run_batch(config, *seeds, &report);
      const auto outcome = report.summary.outcome;
      if (exit == 3 || outcome == RunOutcome::interrupted || outcome == RunOutcome::terminated ||
          outcome == RunOutcome::storage_failed)
        return exit;
    } else {
      std::cerr << "crawl: batch " << batch << " skipped\n";
    }
    if (g_stop.count.load() > 0) return 0;
    auto next = started + every;
    const auto now = Clock::now();
    if (next < now) {
      spdlog::warn("batch {} took {:.0f} s, longer than --every ({:.0f} s): the next one starts now", batch,
                   std::chrono::duration<double>(now - started).count(), config.every_s);
      next = now;
    }
    std::cout << fmt::format("crawl: batch {} done (exit {}); next batch at {}\n", batch, exit, utc_seconds(next))
              << std::flush;
    while (Clock::now() < next) {
      if (g_stop.count.load() > 0) {
        std::cout << "crawl: stopped between batches (signal " << g_stop.last_signal.load() << ")\n";
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (config.batch_time) *config.batch_time += every;
  }
}

}  // namespace

int crawl_main(int argc, const char* const* argv) {
  int exit = 0;
  std::optional<Config> config = parse_command_line(argc, argv, &exit);
  if (!config) return exit;
  // Tests move the batches' clock (revisit intervals) with this: seconds since the epoch.
  if (const char* t = std::getenv("CRAWL_BATCH_TIME"); t != nullptr && *t != '\0') {
    try {
      config->batch_time = std::chrono::system_clock::time_point(std::chrono::seconds(parse_integer(t)));
    } catch (const std::exception&) {
      std::cerr << "crawl: CRAWL_BATCH_TIME=" << t << ": not a number of seconds since 1970\n";
      return 2;
    }
  }
  const auto lock = take_lock(*config, &exit);  // held until the last batch ends
  if (!lock) return exit;
  install_signal_handlers();
  if (config->every_s > 0) return run_every(*config);
  const auto seeds = read_seeds(*config);
  if (!seeds) return 2;
  return run_batch(*config, *seeds, nullptr);
}

}  // namespace crawl

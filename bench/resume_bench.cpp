// crawl-resume-bench: does a crawl killed at any moment, then run again with
// the same command, end with exactly the site's pages, fetching each page
// at most twice?
//
// Against the in-process test server (which logs every request it reads),
// per mode (--mode threads, fibers or both):
//   1. a baseline run of the real `crawl` binary, uninterrupted, into a
//      database of its own: it must fetch the whole site, and its wall time
//      T places the kills;
//   2. the kill loop: K runs of the same command into one database, each
//      signalled (SIGKILL by default) at a random moment, then the same
//      command once more, left to finish;
//   3. the checks: the final database holds exactly the site's page set,
//      with no duplicate rows; server-side, no page was requested more than
//      twice, and the repeated requests add up to at most the transfers in
//      flight at the kills.
// Exit code: 0 every check passed, 1 some check failed, 2 bad command line,
// 3 the bench itself could not run (no crawl binary, no temporary directory).
//
//   build/crawl-resume-bench [--pages 10000] [--hosts 10] [--kills 20] [--mode both]
//                            [--signal KILL] [--seed 1] [--delay-ms 5] [--delay-max-ms 20]
//                            [--crawl build/crawl] [--keep]
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/child_process.h"
#include "tools/testserver/test_server.h"

namespace {

namespace fs = std::filesystem;
namespace ts = crawl::testserver;
using Clock = std::chrono::steady_clock;  // the test server's clock too: its timestamps compare with ours
using Seconds = std::chrono::duration<double>;

// ---------------------------------------------------------------- options

struct Options {
  int pages = 10'000;  // total, spread evenly over the hosts
  int hosts = 10;
  int kills = 20;
  std::uint64_t seed = 1;
  std::string mode = "both";
  std::string signal = "KILL";
  int delay_ms = 5;
  int delay_max_ms = 20;
  fs::path crawl;  // empty: the crawl next to this program
  bool keep = false;
};

int signal_number(const std::string& name) {
  if (name == "INT") return SIGINT;
  if (name == "TERM") return SIGTERM;
  if (name == "HUP") return SIGHUP;
  return SIGKILL;
}

// Like crawl bench, find crawl in this program's own directory, so the bench
// measures the build it was built with, not whatever is on PATH.
fs::path default_crawl() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this program (/proc/self/exe): " + ec.message());
  return self.parent_path() / "crawl";
}

// Returns the exit code to end with, or nullopt to go on.
std::optional<int> parse_options(int argc, char** argv, Options& o) {
  CLI::App app{"crawl-resume-bench: kill a crawl at random moments, run the same command again, check the result"};
  app.add_option("--pages", o.pages, "pages of the site in total (spread over the hosts)")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--hosts", o.hosts, "hosts of the site (127.0.1.1, …)")->check(CLI::Range(1, 1000));
  app.add_option("--kills", o.kills, "kills before the run left to finish")->check(CLI::Range(0, 10'000));
  app.add_option("--seed", o.seed, "seed of the kill moments and of the server's delays");
  app.add_option("--mode", o.mode, "crawl --mode of the runs")->check(CLI::IsMember({"threads", "fibers", "both"}));
  app.add_option("--signal", o.signal, "how runs are stopped: KILL (kill -9); INT, TERM (crawl stops gracefully); HUP")
      ->transform([](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
        return s.rfind("SIG", 0) == 0 ? s.substr(3) : s;
      })
      ->check(CLI::IsMember({"KILL", "INT", "TERM", "HUP"}));
  app.add_option("--delay-ms", o.delay_ms, "server response delay, lower bound")->check(CLI::Range(0, 10'000));
  app.add_option("--delay-max-ms", o.delay_max_ms, "server response delay, upper bound (drawn per request)")
      ->check(CLI::Range(0, 10'000));
  app.add_option("--crawl", o.crawl, "the crawl binary (default: the one next to this program)");
  app.add_flag("--keep", o.keep, "keep the temporary directory (databases, run logs)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // the project's exit code for a bad command line
  }
  if (o.pages < o.hosts) {
    fmt::print(stderr, "--pages {} is fewer than --hosts {}\n", o.pages, o.hosts);
    return 2;
  }
  return std::nullopt;
}

// ------------------------------------------------------- the crawl process


// One run of the crawl command, as seen from outside.
struct RunEnd {
  double signalled_at_s = -1;  // after the spawn; < 0: not signalled (ended on its own)
  double ended_at_s = 0;       // after the spawn
  // The kill: when the signal was sent, or when the process ended if it
  // ended on its own. What the server had not begun to answer by then was
  // in flight at the kill.
  Clock::time_point stopped;
  int exit_code = -1;
};

// Runs `argv`, sends `sig` after `kill_after` unless it ended before, and
// waits for its end. A graceful signal gets `grace` to finish the transfers
// in flight (the crawler's documented behaviour), then SIGKILL.
RunEnd run_crawl(const std::vector<std::string>& argv, const fs::path& log, std::optional<Seconds> kill_after, int sig,
                 Seconds grace) {
  crawl::ChildOptions options;
  options.argv = argv;
  options.out = crawl::ChildStream::file(log);
  options.err = crawl::ChildStream::same_as_stdout();
  RunEnd end;
  const auto started = Clock::now();
  crawl::ChildProcess child(options);
  const crawl::ExitWatch watch(child.pid());
  const auto grace_deadline = [&] { return Clock::now() + std::chrono::duration_cast<Clock::duration>(grace); };
  if (kill_after && !watch.wait_until(started + std::chrono::duration_cast<Clock::duration>(*kill_after))) {
    end.stopped = Clock::now();
    end.signalled_at_s = Seconds(end.stopped - started).count();
    child.signal(sig);
  }
  if (!watch.wait_until(grace_deadline())) child.signal(SIGKILL);  // hung: a failure the exit code shows
  watch.wait_until(Clock::time_point::max());
  const auto ended = Clock::now();
  end.ended_at_s = Seconds(ended - started).count();
  if (end.signalled_at_s < 0) end.stopped = ended;
  end.exit_code = child.wait().exit_code;
  return end;
}

std::vector<std::string> crawl_command(const fs::path& crawl, const fs::path& urls, const fs::path& db,
                                       const std::string& mode) {
  return {crawl.string(), urls.string(), "--out", db.string(), "--mode", mode, "--max-depth", "1000", "--quiet"};
}

// ------------------------------------------------------------ the database

struct DbFigures {
  std::string error;  // non-empty: could not be read
  long long rows = 0;
  long long distinct_urls = 0;
  long long urls_with_duplicates = 0;  // urls having more than one row
  std::string integrity = "ok";        // PRAGMA quick_check: a kill must never corrupt the file
  std::set<std::string> urls;
};

// Reads the pages table read-only, between runs (no crawl is running). A
// read-only connection never writes the database or checkpoints the WAL a
// killed run left (it may create an empty -wal and the -shm index, which
// SQLite rebuilds anyway), so the next run recovers what the kill left. No
// file or no pages table yet (killed before it was created): empty.
DbFigures read_db(const fs::path& path) {
  DbFigures f;
  if (!fs::exists(path)) return f;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    f.error = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return f;
  }
  const auto query = [&](const char* sql, auto&& row) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
    if (rc == SQLITE_OK)
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) row(stmt);
    if (rc != SQLITE_DONE && f.error.empty()) f.error = sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
  };
  const auto text = [](sqlite3_stmt* s, int column) {
    const auto* t = sqlite3_column_text(s, column);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  std::string check;
  query("PRAGMA quick_check", [&](sqlite3_stmt* s) { check += (check.empty() ? "" : "; ") + text(s, 0); });
  if (!check.empty()) f.integrity = check;
  bool has_pages = false;
  query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pages'",
        [&](sqlite3_stmt*) { has_pages = true; });
  if (has_pages) {
    query("SELECT count(*), count(DISTINCT url) FROM pages", [&](sqlite3_stmt* s) {
      f.rows = sqlite3_column_int64(s, 0);
      f.distinct_urls = sqlite3_column_int64(s, 1);
    });
    query("SELECT count(*) FROM (SELECT url FROM pages GROUP BY url HAVING count(*) > 1)",
          [&](sqlite3_stmt* s) { f.urls_with_duplicates = sqlite3_column_int64(s, 0); });
    query("SELECT url FROM pages", [&](sqlite3_stmt* s) { f.urls.insert(text(s, 0)); });
  }
  sqlite3_close(db);
  return f;
}

// ------------------------------------------------------ the server's side

bool is_robots(const std::string& target) { return target == "/robots.txt"; }

// What the server saw of one run.
struct RunRequests {
  long long pages = 0;             // requests for URLs of the site
  long long repeats = 0;           // of those, for a URL requested before in this loop (any earlier run, or this one)
  long long in_flight = 0;         // of those, not begun to be answered at the kill (read before it or just after)
  long long robots = 0;            // /robots.txt (404 here), not pages
  long long other = 0;             // anything else (none expected)
  std::set<std::string> answered;  // site URLs whose response had begun at the kill
};

// Reads the server's request log run by run. The log is append-only, in
// arrival order, so the requests of a run are those logged since the last
// take(); every run ends (and the server settles) before the next starts.
class RequestLedger {
 public:
  RequestLedger(const ts::TestServer& server, std::set<std::string> site)
      : server_(server), site_(std::move(site)), seen_(static_cast<std::size_t>(server.host_count()), 0) {}

  RunRequests take(Clock::time_point stopped) {
    RunRequests r;
    for (int h = 0; h < server_.host_count(); ++h) {
      const auto log = server_.stats(h).log;
      const std::string root = server_.root_url(h);  // "http://127.0.1.1:PORT/"
      for (std::size_t i = seen_[static_cast<std::size_t>(h)]; i < log.size(); ++i) {
        const auto& entry = log[i];
        if (is_robots(entry.target)) {
          ++r.robots;
          continue;
        }
        const std::string url = root + entry.target.substr(1);
        if (!site_.count(url)) {
          ++r.other;
          continue;
        }
        ++r.pages;
        if (++requests_per_url_[url] > 1) ++r.repeats;
        // `responded` is when the response write began (default while
        // pending); a 2 KiB page goes out in one write, so begun ≈ done.
        const bool answered = entry.responded != Clock::time_point{} && entry.responded <= stopped;
        if (answered)
          r.answered.insert(url);
        else
          ++r.in_flight;
      }
      seen_[static_cast<std::size_t>(h)] = log.size();
    }
    return r;
  }

  // The page requested most often, and how often.
  std::pair<std::string, int> most_requested() const {
    std::pair<std::string, int> best{"", 0};
    for (const auto& [url, n] : requests_per_url_)
      if (n > best.second) best = {url, n};
    return best;
  }

 private:
  const ts::TestServer& server_;
  std::set<std::string> site_;
  std::vector<std::size_t> seen_;  // per host: log entries already taken
  std::map<std::string, int> requests_per_url_;
};

// --------------------------------------------------------------- reports

// One line of the per-kill table (the final run too).
struct RunLine {
  std::string label;  // kill number, or "final"
  RunEnd end;
  DbFigures db;
  RunRequests requests;
  long long requests_so_far = 0;  // page requests of the loop up to this run
  long long unsaved = 0;          // answered before the kill, yet not in the database after the run
};

void print_header() {
  fmt::print("{:>5} {:>8} {:>8} {:>5} {:>9} {:>9} {:>8} {:>8} {:>9} {:>8}\n", "kill", "signal s", "ended s", "exit",
             "db pages", "requests", "this run", "repeats", "in flight", "unsaved");
}

void print_line(const RunLine& l) {
  const std::string signalled = l.end.signalled_at_s < 0 ? "-" : fmt::format("{:.3f}", l.end.signalled_at_s);
  fmt::print("{:>5} {:>8} {:>8.3f} {:>5} {:>9} {:>9} {:>8} {:>8} {:>9} {:>8}{}{}\n", l.label, signalled,
             l.end.ended_at_s, l.end.exit_code, l.db.rows, l.requests_so_far, l.requests.pages, l.requests.repeats,
             l.requests.in_flight, l.unsaved, l.db.error.empty() ? "" : "  db error: " + l.db.error,
             l.db.integrity == "ok" ? "" : "  quick_check: " + l.db.integrity);
}

struct Check {
  std::string what;
  bool pass;
  std::string detail;
};

// ------------------------------------------------------------ one mode

struct Setup {
  Options options;
  ts::TestServer* server = nullptr;  // reset_stats() before each loop
  std::set<std::string> site;
  fs::path urls_file;
  fs::path dir;  // temporary directory
};

// The kill moments: K points drawn uniformly over the baseline's duration
// T and sorted; run k is signalled t_k - t_{k-1} after its start. Once runs
// resume, run k continues where run k-1 stopped, so the kills land spread
// over the whole crawl (not all in its first seconds, nor after its end);
// before that, every run starts over and the kills show the cost of it.
std::vector<Seconds> kill_delays(int kills, double baseline_s, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, baseline_s);
  std::vector<double> moments(static_cast<std::size_t>(kills));
  for (auto& m : moments) m = uniform(rng);
  std::sort(moments.begin(), moments.end());
  std::vector<Seconds> delays;
  double previous = 0;
  for (const double m : moments) {
    delays.emplace_back(m - previous);
    previous = m;
  }
  return delays;
}

// Runs the baseline, the kill loop and the final run of one mode, prints
// them, and returns the checks.
std::vector<Check> run_mode(const Setup& s, const std::string& mode) {
  const Options& o = s.options;
  const fs::path dir = s.dir / mode;
  fs::create_directories(dir);
  const int sig = signal_number(o.signal);
  const Seconds grace{120};  // a graceful stop finishes its transfers: 20 ms each here
  std::vector<Check> checks;
  fmt::print("\n== --mode {} ==\n", mode);

  // 1. Baseline: the same command, never interrupted, into its own database.
  const fs::path baseline_db = dir / "baseline.db";
  const RunEnd base = run_crawl(crawl_command(o.crawl, s.urls_file, baseline_db, mode), dir / "baseline.log",
                                std::nullopt, sig, Seconds{600});
  const DbFigures base_db = read_db(baseline_db);
  fmt::print("baseline (no kill): exit {}, {} pages stored in {:.2f} s\n", base.exit_code, base_db.rows,
             base.ended_at_s);
  checks.push_back({"baseline run (no kill) fetches the site", base.exit_code == 0 && base_db.urls == s.site,
                    fmt::format("exit {}, {} of {} pages", base.exit_code, base_db.rows, s.site.size())});

  // 2. The kill loop, into one database, with the server's log from zero.
  s.server->reset_stats();
  RequestLedger ledger(*s.server, s.site);
  const fs::path db = dir / "crawl.db";
  const auto command = crawl_command(o.crawl, s.urls_file, db, mode);
  fmt::print("command of every run: {}\n", fmt::join(command, " "));
  print_header();
  long long requests_so_far = 0, in_flight_at_kills = 0, unsaved_at_kills = 0, repeats = 0, robots = 0, other = 0;
  const auto account = [&](RunLine& line) {
    // Let the server read what the dead process had sent and finish the
    // responses it was delaying, so its log of this run is complete.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    line.db = read_db(db);
    line.requests = ledger.take(line.end.stopped);
    for (const auto& url : line.requests.answered) line.unsaved += !line.db.urls.count(url);
    requests_so_far += line.requests.pages;
    line.requests_so_far = requests_so_far;
    repeats += line.requests.repeats;
    robots += line.requests.robots;
    other += line.requests.other;
    print_line(line);
  };
  const auto delays = kill_delays(o.kills, base.ended_at_s, o.seed);
  bool finished_early = false;
  for (std::size_t k = 0; k < delays.size() && !finished_early; ++k) {
    RunLine line{std::to_string(k + 1), {}, {}, {}, 0, 0};
    line.end = run_crawl(command, dir / fmt::format("run-{:02}.log", k + 1), delays[k], sig, grace);
    account(line);
    if (line.end.signalled_at_s < 0) {
      // It ended before its kill moment: the crawl is over, and a further
      // run would be a new crawl of the list. Its end is checked as the final run's.
      finished_early = true;
      fmt::print("      run {} ended on its own before its kill moment: it is the final run\n", k + 1);
      checks.push_back({"final run exits 0", line.end.exit_code == 0, fmt::format("exit {}", line.end.exit_code)});
    } else {
      in_flight_at_kills += line.requests.in_flight;
      unsaved_at_kills += line.unsaved;
    }
  }

  // 3. The same command once more, left to finish.
  if (!finished_early) {
    RunLine line{"final", {}, {}, {}, 0, 0};
    line.end = run_crawl(command, dir / "run-final.log", std::nullopt, sig, Seconds{600});
    account(line);
    checks.push_back({"final run exits 0", line.end.exit_code == 0, fmt::format("exit {}", line.end.exit_code)});
    if (line.end.exit_code != 0) fmt::print("{}", crawl::last_lines(dir / "run-final.log", 5));
  }

  // 4. The checks of the final database and of the server's log.
  const DbFigures final_db = read_db(db);
  long long missing = 0, extra = 0, robots_rows = 0;
  for (const auto& url : s.site) missing += !final_db.urls.count(url);
  for (const auto& url : final_db.urls) {
    if (s.site.count(url)) continue;
    if (url.ends_with("/robots.txt"))
      ++robots_rows;  // not a page of the site, but not a wrong page either
    else
      ++extra;
  }
  const auto [top_url, top_count] = ledger.most_requested();
  fmt::print("totals ({}):\n", mode);
  fmt::print("  pages expected {}, stored {} rows ({} distinct urls), missing {}, extra {}{}\n", s.site.size(),
             final_db.rows, final_db.distinct_urls, missing, extra,
             robots_rows ? fmt::format(" (+ {} robots.txt rows)", robots_rows) : "");
  fmt::print("  duplicate rows {} (urls with more than one row: {})\n", final_db.rows - final_db.distinct_urls,
             final_db.urls_with_duplicates);
  fmt::print(
      "  page requests {}, of which repeats {}; in flight at the kills {}, answered but unsaved at the kills {}\n",
      requests_so_far, repeats, in_flight_at_kills, unsaved_at_kills);
  fmt::print("  most requests for one page: {} ({})\n", top_count, top_url);
  fmt::print("  robots.txt requests {} (404, not pages); other requests {}\n", robots, other);
  if (!final_db.error.empty()) fmt::print("  database error: {}\n", final_db.error);

  checks.push_back({"page set: 0 missing, 0 extra", final_db.error.empty() && missing == 0 && extra == 0,
                    fmt::format("{} missing, {} extra", missing, extra)});
  checks.push_back({"database intact (PRAGMA quick_check)", final_db.integrity == "ok", final_db.integrity});
  checks.push_back({"0 duplicate rows", final_db.rows == final_db.distinct_urls && final_db.urls_with_duplicates == 0,
                    fmt::format("{} rows, {} distinct urls", final_db.rows, final_db.distinct_urls)});
  checks.push_back(
      {"no page requested more than twice", top_count <= 2, fmt::format("max {} ({})", top_count, top_url)});
  // In flight as the crawler sees it: handed out and not yet committed —
  // not answered by the server, or answered but its page and effects not
  // yet in the database (they commit together, in batches).
  checks.push_back({"repeats <= transfers in flight at the kills (not answered + answered but uncommitted)",
                    repeats <= in_flight_at_kills + unsaved_at_kills,
                    fmt::format("{} repeats, {} + {} in flight", repeats, in_flight_at_kills, unsaved_at_kills)});
  for (const auto& c : checks) fmt::print("  {}  {} ({})\n", c.pass ? "PASS" : "FAIL", c.what, c.detail);
  return checks;
}

// A site of `hosts` hosts whose pages add up to about `pages`, slow enough
// that a crawl takes seconds, without errors (a 500 would be retried, and
// the retries would count as repeats).
ts::SiteOptions site_options(const Options& o) {
  ts::SiteOptions site;
  site.hosts = o.hosts;
  site.pages_per_host = o.pages / o.hosts;
  site.delay = std::chrono::milliseconds(o.delay_ms);
  site.delay_max = std::chrono::milliseconds(std::max(o.delay_ms, o.delay_max_ms));
  site.error_rate = 0;
  site.seed = o.seed;
  return site;
}

fs::path make_temp_dir() {
  std::string name = (fs::temp_directory_path() / "crawl-resume-bench-XXXXXX").string();
  if (!::mkdtemp(name.data()))
    throw std::runtime_error(std::string("cannot create a temporary directory: ") + std::strerror(errno));
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const auto exit = parse_options(argc, argv, o)) return *exit;
  try {
    if (o.crawl.empty()) o.crawl = default_crawl();
    if (::access(o.crawl.c_str(), X_OK) != 0) {
      fmt::print(stderr, "crawl-resume-bench: no crawl binary at {} (--crawl PATH)\n", o.crawl.string());
      return 3;
    }
    ts::TestServer server(site_options(o));
    Setup s{o, &server, server.site_urls(), {}, make_temp_dir()};
    s.urls_file = s.dir / "urls.txt";
    {
      std::ofstream urls(s.urls_file);
      for (const auto& root : server.root_urls()) urls << root << '\n';
    }
    const auto site = site_options(o);
    fmt::print("crawl-resume-bench: {} hosts x {} pages + roots = {} URLs, delay {}-{} ms, seed {}, crawl {}\n",
               site.hosts, site.pages_per_host, s.site.size(), site.delay.count(), site.delay_max.count(), o.seed,
               o.crawl.string());
    fmt::print(
        "stops: {} kills with SIG{} at moments drawn uniformly over the baseline run's duration T and sorted;\n"
        "  run k is signalled t_k - t(k-1) after its start (with resume, the kills spread over the whole crawl),\n"
        "  then the same command runs to its end\n",
        o.kills, o.signal);
    fmt::print(
        "columns: signal s / ended s: after the run's start; db pages: rows after the run; requests: page\n"
        "  requests of the loop so far (robots.txt apart); this run: its page requests; repeats: its requests\n"
        "  for pages requested before; in flight: requests the server had not begun to answer at the kill (the\n"
        "  signal; read before it, or just after it when sent before); unsaved: pages answered before the kill\n"
        "  but not in the database after the run (a resumed crawl must fetch them again too)\n");

    std::vector<std::string> modes = {o.mode};
    if (o.mode == "both") modes = {"threads", "fibers"};
    bool all_pass = true;
    std::vector<std::pair<std::string, std::vector<Check>>> results;
    for (const auto& mode : modes) results.emplace_back(mode, run_mode(s, mode));

    fmt::print("\nsummary:\n");
    for (const auto& [mode, checks] : results)
      for (const auto& c : checks) {
        all_pass = all_pass && c.pass;
        fmt::print("  {:<8} {}  {}\n", mode, c.pass ? "PASS" : "FAIL", c.what);
      }
    if (o.keep)
      fmt::print("kept {}\n", s.dir.string());
    else
      fs::remove_all(s.dir);
    return all_pass ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "crawl-resume-bench: {}\n", e.what());
    return 3;
  }
}

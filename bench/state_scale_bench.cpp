// crawl-state-scale-bench: does a crawl that discovers millions of URLs over
// a hundred thousand hosts keep its memory bounded, now that the frontier is
// a cache of the durable crawl state? The requirement: 10,000,000 URLs over
// 100,000 hosts, peak RSS under 1 GiB; this bench gives the curve (RSS and
// state-file size against URLs discovered).
//
// The site, generated in a temporary directory and served by the in-process
// test server in static-root mode (one host, 127.0.1.1, ephemeral port; the
// files naming it are written once it listens, the server reads them per
// request):
//   /robots.txt                 Allow everything; Sitemap: /sitemap_index.xml
//   /sitemap_index.xml          <sitemapindex> of the K sitemaps
//   /sitemaps/NNNNNN.xml.gz     K gzip-compressed <urlset>s of up to
//                               --per-sitemap (50,000, the protocol's limit) URLs
//   /                           a page without links (the seed)
// URL j (0 <= j < N) is http://HOST(j mod H):9/p/j.html, so every sitemap
// spreads over many hosts (with the defaults each one names 50,000 distinct
// hosts and every host comes back every other sitemap): many hosts are live
// at once, as in a wide crawl. HOST(i) is 127.A.B.C with A >= 2 — a distinct
// loopback address per host, never the server's 127.0.1.x, last byte 1..254 —
// and port 9 (discard), where nothing listens: every robots.txt fetch is
// refused at once, the host is given up and its URLs are recorded as
// skipped. Distinct addresses rather than distinct ports on one address:
// ports give at most 65,535 hosts and some of them may have a wildcard
// listener (this is checked: a connect to a dead host must be refused).
// The dead hosts are not the point; the state and the frontier are.
//
// The crawl is the real `crawl` binary in a child process:
//   crawl URLS --out DB --sitemaps --scope any --max-depth 3 --retries 0
//         --max-host-failures 1 --connect-timeout 1 --quiet --log-file LOG [-- extra args]
// sampled every --interval seconds: VmRSS and VmHWM from /proc/PID/status,
// the size of DB + DB-wal (the state shares the output database: the pages
// table, one row per skipped URL, is in the same file), and the URLs
// discovered: SELECT count(*) FROM urls on a read-only connection of its own,
// on a thread of its own. count(*) walks the whole table (fp is the rowid and
// random, seq has no index: max(rowid) or max(seq) would be no cheaper, and
// the only index is partial), so a count that took d waits 9 d before the
// next (--count-duty 0.1: at most ~10% of one core); a sample taken before
// the next count ends shows the previous one, marked *. Also sampled: the
// sitemap files the server has answered (its own count).
// When the count reaches every URL of the site (N pages + the seed + the
// index + K sitemaps; with --count-duty 0: when the server has answered
// every sitemap), the crawl runs on for --after seconds, then gets SIGINT (a
// graceful stop: it finishes its transfers and writes its runs row); or it
// ends by itself first.
//
// Exit code: 0 PASS (all N URLs discovered, peak RSS < --limit-mib), 1 FAIL,
// 2 bad command line, 3 the bench itself could not run.
//
//   build/crawl-state-scale-bench [--urls 10000000] [--hosts 100000] [--per-sitemap 50000]
//                                 [--interval 1] [--after 10] [--max-time 7200] [--limit-mib 1024]
//                                 [--count-duty 0.1] [--print-every 10]
//                                 [--dir /tmp] [--keep] [--csv FILE] [--crawl build/crawl] [-- CRAWL ARGS]
#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
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
using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

constexpr double kMiB = 1024.0 * 1024.0;

// ---------------------------------------------------------------- options

struct Options {
  long long urls = 10'000'000;
  int hosts = 100'000;
  int per_sitemap = 50'000;
  double interval = 1.0;    // seconds between samples
  double print_every = 10;  // seconds between live rows
  double after = 10;        // seconds the crawl runs on once every URL is discovered
  double max_time = 7200;   // seconds before the crawl is stopped anyway (a FAIL)
  double limit_mib = 1024;  // the requirement: peak RSS below this
  double count_duty = 0.1;  // share of the wall time spent counting the urls table (0: only at the end)
  fs::path dir;             // parent of the temporary directory (default: the system's temp dir)
  fs::path crawl;           // empty: the crawl next to this program
  fs::path csv;             // every sample, if given
  bool keep = false;
  std::vector<std::string> crawl_args;  // after --: appended to the crawl command
};

fs::path default_crawl() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this program (/proc/self/exe): " + ec.message());
  return self.parent_path() / "crawl";
}

// Returns the exit code to end with, or nullopt to go on.
std::optional<int> parse_options(int argc, char** argv, Options& o) {
  CLI::App app{
      "crawl-state-scale-bench: a crawl discovering N URLs over H hosts from sitemaps; RSS and state-file size "
      "against URLs discovered"};
  app.add_option("--urls", o.urls, "URLs listed in the sitemaps")->check(CLI::Range(1LL, 100'000'000LL));
  app.add_option("--hosts", o.hosts, "distinct (dead) hosts they are spread over, 127.2.0.1:9, …")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--per-sitemap", o.per_sitemap, "URLs per sitemap file (the protocol allows 50,000)")
      ->check(CLI::Range(1, 50'000));
  app.add_option("--interval", o.interval, "seconds between samples")->check(CLI::Range(0.05, 60.0));
  app.add_option("--print-every", o.print_every, "seconds between live rows")->check(CLI::Range(0.0, 3600.0));
  app.add_option("--after", o.after, "seconds the crawl runs on once every URL is discovered, then SIGINT")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--max-time", o.max_time, "seconds before the crawl is stopped anyway (SIGINT; a FAIL)")
      ->check(CLI::Range(1.0, 7 * 86400.0));
  app.add_option("--count-duty", o.count_duty,
                 "share of the wall time spent on SELECT count(*) FROM urls (0: only at the end; the stop then "
                 "comes --after seconds after the last sitemap was served)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--limit-mib", o.limit_mib, "PASS if the peak RSS stays below this")->check(CLI::Range(1.0, 1e7));
  app.add_option("--dir", o.dir, "where to create the temporary directory (default: $TMPDIR or /tmp)");
  app.add_option("--crawl", o.crawl, "the crawl binary (default: the one next to this program)");
  app.add_option("--csv", o.csv, "write every sample to this CSV file");
  app.add_flag("--keep", o.keep, "keep the temporary directory (site, database, log)");
  app.add_option("crawl-args", o.crawl_args, "after --: more arguments for crawl (e.g. -- --memory-queue 10000)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // the project's exit code for a bad command line
  }
  if (o.urls < o.hosts) {
    fmt::print(stderr, "--urls {} is fewer than --hosts {}\n", o.urls, o.hosts);
    return 2;
  }
  return std::nullopt;
}

// --------------------------------------------------------------- the site

// Host i as an authority: 127.A.B.C:9, A >= 2, C in 1..254.
std::string dead_host(long long i) {
  constexpr long long kPerA = 256 * 254;
  return fmt::format("127.{}.{}.{}:9", 2 + i / kPerA, (i / 254) % 256, 1 + i % 254);
}

// A connect to a dead host must be refused at once: if something listens
// there (a wildcard listener on port 9), the hosts are not dead.
void check_dead(long long i) {
  const std::string authority = dead_host(i);
  const std::string address = authority.substr(0, authority.find(':'));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(9);
  if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) throw std::runtime_error("bad address " + address);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  const int err = errno;
  ::close(fd);
  if (rc == 0) throw std::runtime_error("something listens on " + authority + ": the hosts would not be dead");
  if (err != ECONNREFUSED)
    throw std::runtime_error("connect to " + authority + ": " + std::strerror(err) + " (expected: refused)");
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

class GzFile {
 public:
  explicit GzFile(const fs::path& path) : path_(path), f_(::gzopen(path.c_str(), "wb1")) {
    if (!f_) throw std::runtime_error("cannot create " + path.string());
  }
  ~GzFile() {
    if (f_) ::gzclose(f_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  void write(const std::string& data) {
    if (!data.empty() && ::gzwrite(f_, data.data(), static_cast<unsigned>(data.size())) <= 0)
      throw std::runtime_error("cannot write " + path_.string());
  }
  void close() {
    const int rc = ::gzclose(f_);
    f_ = nullptr;
    if (rc != Z_OK) throw std::runtime_error("cannot write " + path_.string());
  }

 private:
  fs::path path_;
  gzFile f_;
};

struct Site {
  std::string root;  // "http://127.0.1.1:PORT/"
  long long sitemaps = 0;
  long long total_urls = 0;  // what the crawl discovers: N pages + the seed + the index + the sitemaps
  std::uintmax_t bytes = 0;  // on disk
};

// Writes the site under `root_dir` for the server at `root` ("http://…/").
Site write_site(const Options& o, const fs::path& root_dir, const std::string& root) {
  Site site;
  site.root = root;
  site.sitemaps = (o.urls + o.per_sitemap - 1) / o.per_sitemap;
  site.total_urls = o.urls + 2 + site.sitemaps;
  fs::create_directories(root_dir / "sitemaps");
  write_text(root_dir / "index.html", "<!doctype html><title>state scale bench</title><p>No links here.</p>\n");
  write_text(root_dir / "robots.txt", fmt::format("User-agent: *\nAllow: /\n\nSitemap: {}sitemap_index.xml\n", root));
  std::string index =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  std::string buffer;
  buffer.reserve(1 << 20);
  for (long long s = 0; s < site.sitemaps; ++s) {
    const std::string name = fmt::format("sitemaps/{:06}.xml.gz", s);
    index += fmt::format("  <sitemap><loc>{}{}</loc></sitemap>\n", root, name);
    GzFile gz(root_dir / name);
    buffer =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
    const long long end = std::min(o.urls, (s + 1) * o.per_sitemap);
    for (long long j = s * o.per_sitemap; j < end; ++j) {
      fmt::format_to(std::back_inserter(buffer), "<url><loc>http://{}/p/{}.html</loc></url>\n", dead_host(j % o.hosts),
                     j);
      if (buffer.size() > (1 << 20) - 256) {
        gz.write(buffer);
        buffer.clear();
      }
    }
    buffer += "</urlset>\n";
    gz.write(buffer);
    gz.close();
  }
  index += "</sitemapindex>\n";
  write_text(root_dir / "sitemap_index.xml", index);
  for (const auto& entry : fs::recursive_directory_iterator(root_dir))
    if (entry.is_regular_file()) site.bytes += entry.file_size();
  return site;
}

// ------------------------------------------------------- the crawl process


struct Memory {
  long rss_kib = -1;  // VmRSS; -1: not readable (the process has ended)
  long hwm_kib = -1;  // VmHWM: the process's own peak so far
};

Memory read_memory(pid_t pid) {
  Memory m;
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    const auto value = [&] { return std::strtol(line.c_str() + line.find(':') + 1, nullptr, 10); };
    if (line.starts_with("VmRSS:")) m.rss_kib = value();
    if (line.starts_with("VmHWM:")) m.hwm_kib = value();
  }
  return m;
}

std::uintmax_t file_size_or_0(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

// ------------------------------------------------------------ the database

// A read-only connection opened for one use: no transaction is held between
// uses, so the crawl's checkpoints are never held back.
class ReadOnlyDb {
 public:
  explicit ReadOnlyDb(const fs::path& path) {
    if (!fs::exists(path)) return;
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      error_ = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      return;
    }
    sqlite3_busy_timeout(db_, 2000);
  }
  ~ReadOnlyDb() { sqlite3_close(db_); }
  ReadOnlyDb(const ReadOnlyDb&) = delete;
  ReadOnlyDb& operator=(const ReadOnlyDb&) = delete;

  bool open() const { return db_ != nullptr; }
  const std::string& error() const { return error_; }

  // Runs `sql`, calling row(stmt) per row; false (and error()) on failure.
  template <class Row>
  bool query(const char* sql, Row&& row) {
    if (!db_) return false;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
    if (rc == SQLITE_OK)
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) row(stmt);
    if (rc != SQLITE_DONE) error_ = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE;
  }

 private:
  sqlite3* db_ = nullptr;
  std::string error_;
};

std::string column_text(sqlite3_stmt* s, int column) {
  const auto* t = sqlite3_column_text(s, column);
  return t ? std::string(reinterpret_cast<const char*>(t)) : std::string("NULL");
}

// SELECT count(*) FROM urls: nullopt if it cannot be had now (no table yet
// counts as 0; a busy or missing file as nullopt).
std::optional<long long> count_urls(const fs::path& db_path) {
  if (!fs::exists(db_path)) return 0;
  ReadOnlyDb db(db_path);
  if (!db.open()) return std::nullopt;
  bool has_table = false;
  if (!db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'urls'",
                [&](sqlite3_stmt*) { has_table = true; }))
    return std::nullopt;
  if (!has_table) return 0;
  long long n = 0;
  if (!db.query("SELECT count(*) FROM urls", [&](sqlite3_stmt* s) { n = sqlite3_column_int64(s, 0); }))
    return std::nullopt;
  return n;
}

// Counts the urls table on a thread of its own, so that a slow count(*)
// (it walks the whole table) never delays the memory samples. After a count
// that took d, it waits max(interval, d (1 - duty) / duty): counting takes
// at most `duty` of the wall time (0: never counts).
class UrlCounter {
 public:
  struct Result {
    long long count = 0;
    double took_ms = 0;
    std::uint64_t serial = 0;  // counts done so far
  };

  UrlCounter(fs::path db, Seconds interval, double duty)
      : db_(std::move(db)), interval_(interval), duty_(duty), thread_([this] { loop(); }) {}
  ~UrlCounter() { stop(); }
  UrlCounter(const UrlCounter&) = delete;
  UrlCounter& operator=(const UrlCounter&) = delete;

  void stop() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Result latest() const {
    const std::lock_guard lock(mutex_);
    return latest_;
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stop_ && duty_ > 0) {
      lock.unlock();
      const auto c0 = Clock::now();
      const auto n = count_urls(db_);
      const Seconds took = Clock::now() - c0;
      lock.lock();
      if (n) latest_ = {*n, took.count() * 1000, latest_.serial + 1};
      cv_.wait_for(lock, std::chrono::duration_cast<Clock::duration>(std::max(interval_, took * ((1 - duty_) / duty_))),
                   [this] { return stop_; });
    }
  }

  const fs::path db_;
  const Seconds interval_;
  const double duty_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  Result latest_;
  std::thread thread_;  // last: starts once the rest is built
};

// ---------------------------------------------------------------- samples

struct Sample {
  double t = 0;                 // seconds since the crawl's start
  long long discovered = 0;     // count(*) of urls (the last one taken); -1: not counted (--count-duty 0)
  bool fresh = false;           // a count finished since the previous sample (else carried)
  double count_ms = 0;          // how long that count took
  int sitemaps_served = 0;      // sitemap files the server has answered (the index apart)
  long rss_kib = 0, hwm_kib = 0;
  std::uintmax_t db_bytes = 0, wal_bytes = 0;
  double cpu_s = 0;             // the crawl's CPU so far (user + system)
  std::string event;            // what happened at this sample, if anything
};

void print_header() {
  fmt::print("{:>8} {:>12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}  {}\n", "elapsed", "discovered",
             "sitemaps", "RSS", "peak", "db", "wal", "state", "CPU", "count", "");
  fmt::print("{:>8} {:>12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}  {}\n", "s", "URLs", "served", "MiB",
             "MiB", "MiB", "MiB", "MiB", "s", "ms", "");
}

void print_sample(const Sample& s) {
  fmt::print("{:>8.1f} {:>11}{} {:>8} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} {:>8.1f} {:>7.1f} {:>7}  {}\n", s.t,
             s.discovered < 0 ? "-" : std::to_string(s.discovered), s.fresh || s.discovered < 0 ? ' ' : '*',
             s.sitemaps_served, s.rss_kib / 1024.0, s.hwm_kib / 1024.0, s.db_bytes / kMiB, s.wal_bytes / kMiB,
             (s.db_bytes + s.wal_bytes) / kMiB, s.cpu_s, s.fresh ? fmt::format("{:.0f}", s.count_ms) : "-", s.event);
}

void write_csv(const fs::path& path, const std::vector<Sample>& samples) {
  std::ofstream out(path);
  out << "elapsed_s,discovered,fresh_count,count_ms,sitemaps_served,rss_mib,peak_rss_mib,db_mib,wal_mib,state_mib,"
         "cpu_s,event\n";
  for (const auto& s : samples)
    out << fmt::format("{:.2f},{},{},{:.1f},{},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{}\n", s.t, s.discovered,
                       s.fresh ? 1 : 0, s.count_ms, s.sitemaps_served, s.rss_kib / 1024.0, s.hwm_kib / 1024.0, s.db_bytes / kMiB,
                       s.wal_bytes / kMiB, (s.db_bytes + s.wal_bytes) / kMiB, s.cpu_s, s.event);
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// About `rows` samples spread evenly over the run (each the first sample
// at or after its moment, with a fresh count when `counted`), plus every
// sample with an event and the one where VmRSS was highest.
std::vector<std::size_t> curve_rows(const std::vector<Sample>& samples, std::size_t rows, bool counted) {
  std::set<std::size_t> pick;
  if (samples.empty()) return {};
  std::vector<std::size_t> fresh;
  for (std::size_t k = 0; k < samples.size(); ++k)
    if (samples[k].fresh || !counted) fresh.push_back(k);
  const double span = samples.back().t;
  for (std::size_t r = 0; r <= rows && !fresh.empty(); ++r) {
    const double at = span * static_cast<double>(r) / static_cast<double>(rows);
    const auto it = std::find_if(fresh.begin(), fresh.end(), [&](std::size_t k) { return samples[k].t >= at; });
    pick.insert(it == fresh.end() ? fresh.back() : *it);
  }
  std::size_t top = 0;
  for (std::size_t k = 0; k < samples.size(); ++k) {
    if (!samples[k].event.empty()) pick.insert(k);
    if (samples[k].rss_kib > samples[top].rss_kib) top = k;
  }
  pick.insert(top);
  return {pick.begin(), pick.end()};
}

// Sitemap files (not the index) the server has answered so far.
int sitemaps_served(const ts::TestServer& server) {
  int n = 0;
  for (const auto& [target, count] : server.stats(0).requests_by_target) n += target.starts_with("/sitemaps/");
  return n;
}

fs::path make_temp_dir(const fs::path& parent) {
  const fs::path base = parent.empty() ? fs::temp_directory_path() : parent;
  fs::create_directories(base);
  std::string name = (base / "crawl-state-scale-bench-XXXXXX").string();
  if (!::mkdtemp(name.data()))
    throw std::runtime_error("cannot create a temporary directory in " + base.string() + ": " + std::strerror(errno));
  return name;
}

// ------------------------------------------------------------------- run

int run(const Options& o) {
  if (::access(o.crawl.c_str(), X_OK) != 0) {
    fmt::print(stderr, "crawl-state-scale-bench: no crawl binary at {} (--crawl PATH)\n", o.crawl.string());
    return 3;
  }
  check_dead(0);
  check_dead(o.hosts - 1);
  const fs::path dir = make_temp_dir(o.dir);
  const fs::path site_dir = dir / "site";
  fs::create_directories(site_dir);

  ts::SiteOptions server_options;
  server_options.static_root = site_dir.string();
  server_options.threads = 1;
  ts::TestServer server(server_options);

  fmt::print("crawl-state-scale-bench: {} URLs over {} hosts ({}:9 … {}:9), {} per sitemap, crawl {}\n", o.urls,
             o.hosts, dead_host(0).substr(0, dead_host(0).find(':')),
             dead_host(o.hosts - 1).substr(0, dead_host(o.hosts - 1).find(':')), o.per_sitemap, o.crawl.string());
  fmt::print("directory {}\n", dir.string());
  const auto gen_start = Clock::now();
  const Site site = write_site(o, site_dir, server.root_url(0));
  fmt::print("site: {} + robots.txt → sitemap_index.xml → {} gzipped sitemaps, {:.1f} MiB on disk, written in {:.1f} s\n",
             site.root, site.sitemaps, site.bytes / kMiB, Seconds(Clock::now() - gen_start).count());
  fmt::print("the crawl discovers {} URLs: {} pages + the seed + the index + {} sitemaps\n", site.total_urls, o.urls,
             site.sitemaps);

  const fs::path urls_file = dir / "urls.txt";
  write_text(urls_file, site.root + "\n");
  const fs::path db = dir / "crawl.db";
  const fs::path wal = dir / "crawl.db-wal";
  const fs::path log = dir / "crawl.log";
  const fs::path out = dir / "crawl.out";
  std::vector<std::string> command = {o.crawl.string(), urls_file.string(), "--out",   db.string(),
                                      "--sitemaps",      "--scope",          "any",     "--max-depth",
                                      "3",               "--retries",        "0",       "--max-host-failures",
                                      "1",               "--connect-timeout", "1",      "--quiet",
                                      "--log-file",      log.string()};
  command.insert(command.end(), o.crawl_args.begin(), o.crawl_args.end());
  fmt::print("command: {}\n", fmt::join(command, " "));
  fmt::print(
      "every {} s: RSS = VmRSS, peak = VmHWM (/proc/PID/status); db, wal = sizes of crawl.db and crawl.db-wal,\n"
      "  state = their sum (the state's urls table and the pages table share the file); discovered = SELECT\n"
      "  count(*) FROM urls, read-only, on a thread of its own, at most {:.0f}% of the wall time (* = no count\n"
      "  ended since the previous sample: the last one, carried); count ms = how long it took; sitemaps served =\n"
      "  sitemap files the server has answered; CPU = the crawl's user + system so far\n\n",
      o.interval, o.count_duty * 100);

  crawl::ChildOptions child_options;
  child_options.argv = command;
  child_options.out = crawl::ChildStream::file(out);
  child_options.err = crawl::ChildStream::same_as_stdout();
  const auto started = Clock::now();
  crawl::ChildProcess child(child_options);
  const crawl::ExitWatch watch(child.pid());

  std::vector<Sample> samples;
  long long discovered = 0;
  long peak_hwm_kib = 0;
  std::optional<double> reached_at, stopped_at;
  std::uint64_t last_serial = 0;
  UrlCounter counter(db, Seconds(o.interval), o.count_duty);
  int signals_sent = 0;
  bool timed_out = false;
  double last_print = -1e9;
  const auto interval = std::chrono::duration_cast<Clock::duration>(Seconds(o.interval));
  auto next = started + interval;
  print_header();
  for (;;) {
    if (watch.wait_until(next)) break;
    next += interval;
    if (next < Clock::now()) next = Clock::now() + interval;
    Sample s;
    s.t = Seconds(Clock::now() - started).count();
    const Memory m = read_memory(child.pid());
    if (m.rss_kib < 0) continue;  // ending: nothing left to read
    s.rss_kib = m.rss_kib;
    s.hwm_kib = m.hwm_kib;
    peak_hwm_kib = std::max(peak_hwm_kib, m.hwm_kib);
    s.db_bytes = file_size_or_0(db);
    s.wal_bytes = file_size_or_0(wal);
    s.cpu_s = child.cpu_s().value_or(0);
    const UrlCounter::Result count = counter.latest();
    s.fresh = count.serial != last_serial;
    last_serial = count.serial;
    s.count_ms = count.took_ms;
    discovered = o.count_duty > 0 ? count.count : -1;
    s.sitemaps_served = sitemaps_served(server);
    s.discovered = discovered;
    if (!reached_at && o.count_duty > 0 && discovered >= site.total_urls) {
      reached_at = s.t;
      s.event = "all URLs discovered";
    }
    if (!reached_at && o.count_duty == 0 && s.sitemaps_served >= site.sitemaps) {
      reached_at = s.t;
      s.event = "all sitemaps served";
    }
    if (!stopped_at && reached_at && s.t - *reached_at >= o.after) {
      child.signal(SIGINT);
      ++signals_sent;
      stopped_at = s.t;
      s.event = "SIGINT";
    }
    if (!stopped_at && s.t >= o.max_time) {
      child.signal(SIGINT);
      ++signals_sent;
      stopped_at = s.t;
      timed_out = true;
      s.event = "SIGINT (--max-time)";
    }
    // A graceful stop finishes the transfers in flight (1 s connect timeout
    // here) and flushes; give it 5 minutes, then a second SIGINT (abort the
    // transfers), then 1 more minute before SIGKILL.
    if (stopped_at && signals_sent == 1 && s.t - *stopped_at > 300) {
      child.signal(SIGINT);
      ++signals_sent;
      s.event = "second SIGINT (still running 300 s after the first)";
    } else if (stopped_at && signals_sent == 2 && s.t - *stopped_at > 360) {
      child.signal(SIGKILL);
      ++signals_sent;
      s.event = "SIGKILL (still running 60 s after the second SIGINT)";
    }
    samples.push_back(s);
    if (!s.event.empty() || s.t - last_print >= o.print_every) {
      print_sample(s);
      std::fflush(stdout);
      last_print = s.t;
    }
  }
  const crawl::ChildExit exit = child.wait();
  counter.stop();

  // The end: the files and the table as the crawl left them.
  Sample last;
  last.t = exit.wall_s;
  last.db_bytes = file_size_or_0(db);
  last.wal_bytes = file_size_or_0(wal);
  last.cpu_s = exit.user_s + exit.sys_s;
  const auto c0 = Clock::now();
  if (const auto n = count_urls(db)) {
    discovered = *n;
    last.fresh = true;
    last.count_ms = Seconds(Clock::now() - c0).count() * 1000;
  }
  last.discovered = discovered;
  last.sitemaps_served = sitemaps_served(server);
  last.rss_kib = 0;
  last.hwm_kib = peak_hwm_kib;
  last.event = fmt::format("exited {}", exit.exit_code);
  samples.push_back(last);
  print_sample(last);

  // The crawl's own account: its runs row and the state by kind and state.
  std::string run_row = "(no runs row)";
  long long run_peak_rss = 0;
  std::string by_state;
  {
    ReadOnlyDb rdb(db);
    rdb.query(
        "SELECT outcome, pages, errors, skipped, round(elapsed_s, 1), round(cpu_s, 1), peak_rss_bytes FROM runs "
        "ORDER BY id DESC LIMIT 1",
        [&](sqlite3_stmt* st) {
          run_row = fmt::format("outcome {}, pages {}, errors {}, skipped {}, elapsed {} s, CPU {} s, peak_rss {}",
                                column_text(st, 0), column_text(st, 1), column_text(st, 2), column_text(st, 3),
                                column_text(st, 4), column_text(st, 5), column_text(st, 6));
          run_peak_rss = sqlite3_column_int64(st, 6);
        });
    rdb.query("SELECT kind, state, count(*) FROM urls GROUP BY kind, state ORDER BY kind, state",
              [&](sqlite3_stmt* st) {
                by_state += fmt::format("{}{} {}: {}", by_state.empty() ? "" : ", ", column_text(st, 0),
                                        column_text(st, 1), column_text(st, 2));
              });
    if (!rdb.error().empty()) fmt::print("database: {}\n", rdb.error());
  }

  fmt::print("\ncurve ({} samples; * = count carried from an earlier sample):\n", samples.size());
  print_header();
  for (const std::size_t k : curve_rows(samples, 16, o.count_duty > 0)) print_sample(samples[k]);
  if (!o.csv.empty()) {
    write_csv(o.csv, samples);
    fmt::print("every sample: {}\n", o.csv.string());
  }

  const double peak_mib = std::max<double>(peak_hwm_kib / 1024.0, static_cast<double>(run_peak_rss) / kMiB);
  const bool all_discovered = discovered >= site.total_urls;
  const bool pass = all_discovered && !timed_out && peak_mib < o.limit_mib;
  fmt::print("\ncrawl: exit {}, wall {:.1f} s, CPU {:.1f} s (user {:.1f}, sys {:.1f}), wait4 max RSS {:.1f} MiB\n",
             exit.exit_code, exit.wall_s, exit.user_s + exit.sys_s, exit.user_s, exit.sys_s, exit.max_rss_kib / 1024.0);
  fmt::print("runs row: {}\n", run_row);
  fmt::print("urls by kind and state: {}\n", by_state.empty() ? "(none)" : by_state);
  fmt::print("log ({}), last lines:\n{}", log.string(), crawl::last_lines(log, 5));
  if (fs::exists(out) && fs::file_size(out) > 0) fmt::print("crawl's output, last lines:\n{}", crawl::last_lines(out, 5));
  fmt::print("state file at the end: {:.1f} MiB (crawl.db {:.1f} + wal {:.1f})\n",
             (last.db_bytes + last.wal_bytes) / kMiB, last.db_bytes / kMiB, last.wal_bytes / kMiB);
  fmt::print("URLs discovered: {} of {}{}\n", discovered, site.total_urls, all_discovered ? "" : "  (NOT ALL)");
  fmt::print("peak RSS: {:.1f} MiB (VmHWM last seen {:.1f}, runs.peak_rss_bytes {:.1f})\n", peak_mib,
             peak_hwm_kib / 1024.0, run_peak_rss / kMiB);
  fmt::print("{}: peak RSS {:.1f} MiB {} {:.0f} MiB{}{}\n", pass ? "PASS" : "FAIL", peak_mib,
             peak_mib < o.limit_mib ? "<" : ">=", o.limit_mib, all_discovered ? "" : "; not every URL discovered",
             timed_out ? "; stopped by --max-time" : "");
  if (o.keep)
    fmt::print("kept {}\n", dir.string());
  else
    fs::remove_all(dir);
  return pass ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const auto exit = parse_options(argc, argv, o)) return *exit;
  try {
    if (o.crawl.empty()) o.crawl = default_crawl();
    return run(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "crawl-state-scale-bench: {}\n", e.what());
    return 3;
  }
}

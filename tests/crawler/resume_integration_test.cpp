// End-to-end: the durable crawl state and resuming an interrupted crawl.
// The real crawl binary (both fetch modes where it is cheap) against the
// project's test web server, whose per-target request counts say what was
// fetched again; the state is read back with SQL.
//
// Written test-first against the specification of the feature (urls table,
// runs.resumed_from/requeued/pid, resume of an unfinished state, --restart,
// --state, --memory-queue, signals, one writer per state file, corrupt and
// old-version state files). The checks that describe what the crawler
// already does pass today; the others fail until the feature is there.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <set>

#include "core/child_process.h"
#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testserver::SiteOptions;
using testserver::TestServer;
namespace fs = std::filesystem;
using Rows = std::vector<std::vector<std::string>>;

// Longest wait for a crawl to make progress or to end: generous, for the
// sanitizer builds on a busy machine. Polls return as soon as they can.
constexpr auto kPollLimit = 60s;
constexpr auto kPollStep = 5ms;
// A crawl that takes longer than this is stuck: killed, and the test fails.
constexpr auto kCrawlLimit = 120s;

// ---------------------------------------------------------------------------
// The crawl as a child process

// Like testing::CrawlProcess, plus what these tests need: the child's pid
// (the lock message names it, runs.pid records it), whether it has ended
// without reaping it (so a poll can stop early), and a bounded wait.
class Crawl {
 public:
  // Logs go to log_dir/stdout.txt and stderr.txt (created).
  Crawl(const std::vector<std::string>& args, const fs::path& log_dir)
      : dir_(make_dir(log_dir)), child_(options(args, dir_)) {}

  pid_t pid() const { return pid_; }
  // The child has ended (it stays a zombie until wait(): its pid is not reused).
  bool ended() const {
    if (!child_.running()) return true;
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_;
  }
  void signal(int sig) { child_.signal(sig); }
  // Exit code (128+N if killed by signal N). A crawl still running after
  // `limit` is killed (-9) and timed_out() says so.
  int wait(std::chrono::milliseconds limit = kCrawlLimit) {
    if (code_) return *code_;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ended() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(kPollStep);
    if (!ended()) {
      timed_out_ = true;
      child_.signal(SIGKILL);
    }
    code_ = child_.wait().exit_code;
    return *code_;
  }
  bool timed_out() const { return timed_out_; }
  std::string out() const { return testing::read_file(dir_ / "stdout.txt"); }
  std::string err() const { return testing::read_file(dir_ / "stderr.txt"); }
  // Both streams, the end of each, for assertion messages.
  std::string log() const {
    auto tail = [](std::string s) { return s.size() > 3000 ? "…" + s.substr(s.size() - 3000) : s; };
    return "\n--- crawl stdout:\n" + tail(out()) + "--- crawl stderr:\n" + tail(err()) +
           (timed_out_ ? "--- (killed: still running after the time limit)\n" : "");
  }

 private:
  static fs::path make_dir(const fs::path& p) {
    fs::create_directories(p);
    return p;
  }
  static ChildOptions options(const std::vector<std::string>& args, const fs::path& dir) {
    ChildOptions o;
    o.argv = {CRAWL_BIN};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.out = ChildStream::file(dir / "stdout.txt");
    o.err = ChildStream::file(dir / "stderr.txt");
    return o;
  }

  fs::path dir_;
  ChildProcess child_;
  pid_t pid_ = child_.pid();
  std::optional<int> code_;
  bool timed_out_ = false;
};

// Polls `done` every few ms until it holds (true), the crawl ends or
// kPollLimit passes (false).
bool poll_while_running(const Crawl& crawl, const std::function<bool()>& done,
                        std::chrono::milliseconds step = kPollStep) {
  const auto deadline = std::chrono::steady_clock::now() + kPollLimit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    if (crawl.ended()) return done();
    std::this_thread::sleep_for(step);
  }
  return done();
}

// ---------------------------------------------------------------------------
// Reading the state

// query(), or nullopt with the reason in *error (no such file, table or
// column: what a missing feature looks like).
std::optional<Rows> try_query(const fs::path& db, const std::string& sql, std::string* error = nullptr) {
  if (!fs::exists(db)) {
    if (error) *error = db.string() + " does not exist";
    return std::nullopt;
  }
  try {
    return testing::query(db, sql);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

// The rows, or no rows and a test failure naming the query and the reason.
Rows rows(const fs::path& db, const std::string& sql) {
  std::string error;
  auto r = try_query(db, sql, &error);
  if (!r) {
    ADD_FAILURE() << "query failed on " << db.string() << ": " << sql << "\n  -> " << error;
    return {};
  }
  return *r;
}

// The first cell of the first row, or "<no row>" / "<query failed: why>",
// so EXPECT_EQ on it says what is missing.
std::string cell(const fs::path& db, const std::string& sql) {
  std::string error;
  auto r = try_query(db, sql, &error);
  if (!r) return "<query failed: " + error + ">";
  if (r->empty() || r->front().empty()) return "<no row>";
  return r->front().front();
}

// A count(*) while a crawl writes the file: -1 until the file and table exist.
long count_now(const fs::path& db, const std::string& sql) {
  auto r = try_query(db, sql);
  if (!r || r->empty() || r->front().empty()) return -1;
  return std::stol(r->front().front());
}

// Polls `probe` until it reaches `at_least`; a failure saying how far it got
// when the crawl ends first (or the poll limit passes).
::testing::AssertionResult reaches(const Crawl& crawl, const std::function<long()>& probe, long at_least,
                                   const char* what) {
  long last = -1;
  if (poll_while_running(crawl, [&] { return (last = probe()) >= at_least; })) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "the crawl " << (crawl.ended() ? "ended" : "still ran after the poll limit")
                                       << " with " << what << " at " << last << ", short of " << at_least
                                       << crawl.log();
}

std::function<long()> pages_in(const fs::path& db) {
  return [db] { return count_now(db, "SELECT count(*) FROM pages"); };
}

std::set<std::string> first_column(const Rows& rs) {
  std::set<std::string> out;
  for (const auto& r : rs) out.insert(r.at(0));
  return out;
}

std::set<std::string> url_set(const fs::path& db, const std::string& sql) { return first_column(rows(db, sql)); }

// Whether `db` has the table; if not, one failure saying so (the callers
// then skip the checks of its contents rather than repeat that).
bool expect_table(const fs::path& db, const std::string& table) {
  std::string error;
  auto r = try_query(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'", &error);
  if (!r) {
    ADD_FAILURE() << "cannot read " << db.string() << ": " << error;
    return false;
  }
  if (r->at(0).at(0) != "1") {
    ADD_FAILURE() << "no table `" << table << "` in " << db.string();
    return false;
  }
  return true;
}

std::set<std::string> column_names(const fs::path& db, const std::string& table) {
  std::set<std::string> names;
  for (const auto& r : rows(db, "PRAGMA table_info(" + table + ")")) names.insert(r.at(1));
  return names;
}

// A readable list of at most a few elements, for messages.
std::string sample(const std::set<std::string>& s, std::size_t n = 5) {
  std::string out;
  std::size_t i = 0;
  for (const auto& x : s) {
    if (i++ == n) return out + " …(" + std::to_string(s.size()) + " in all)";
    out += (out.empty() ? "" : ", ") + x;
  }
  return out.empty() ? "(none)" : out;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

// ---------------------------------------------------------------------------
// The server's side

std::string seed_file(const fs::path& path, const std::vector<std::string>& urls) {
  std::string text = "# seeds\n";
  for (const auto& u : urls) text += u + "\n";
  testing::write_file(path, text);
  return path.string();
}



// Waits (polling, at most a few seconds) until the server has no request
// pending: the delayed answers to a killed crawl are out of the way.
bool server_idle(const TestServer& server) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    bool idle = true;
    for (int h = 0; h < server.host_count() && idle; ++h)
      for (const auto& r : server.stats(h).log)
        if (r.responded == std::chrono::steady_clock::time_point{}) idle = false;
    if (idle) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPollStep);
  }
}

// Absolute URL ("http://127.0.1.1:PORT/page/3.html") → times requested.
std::map<std::string, int> requests_by_url(const TestServer& server) {
  std::map<std::string, int> out;
  for (int h = 0; h < server.host_count(); ++h) {
    std::string root = server.root_url(h);
    root.pop_back();  // the '/'
    for (const auto& [target, n] : server.stats(h).requests_by_target) out[root + target] += n;
  }
  return out;
}

// Each of `urls` requested exactly once (since the last reset_stats()).
void expect_each_requested_once(const TestServer& server, const std::set<std::string>& urls, const std::string& why) {
  auto seen = requests_by_url(server);
  std::set<std::string> never, again;
  for (const auto& u : urls) {
    const int n = seen.count(u) ? seen[u] : 0;
    if (n == 0) never.insert(u);
    if (n > 1) again.insert(u);
  }
  EXPECT_TRUE(never.empty()) << why << ": " << never.size() << " URLs never requested: " << sample(never);
  EXPECT_TRUE(again.empty()) << why << ": " << again.size() << " URLs requested more than once: " << sample(again);
}

// Across an interruption and its resume (server counts over both runs):
// every URL fetched, none more than twice, and none that the state had
// stored as done before the interruption fetched again.
void expect_resumed_fetches(const TestServer& server, const std::set<std::string>& urls,
                            const std::set<std::string>& done_before) {
  auto seen = requests_by_url(server);
  std::set<std::string> never, thrice, refetched;
  for (const auto& u : urls) {
    const int n = seen.count(u) ? seen[u] : 0;
    if (n == 0) never.insert(u);
    if (n > 2) thrice.insert(u);
    if (n > 1 && done_before.count(u)) refetched.insert(u);
  }
  EXPECT_TRUE(never.empty()) << never.size() << " URLs never requested: " << sample(never);
  EXPECT_TRUE(thrice.empty()) << thrice.size() << " URLs requested more than twice: " << sample(thrice);
  EXPECT_TRUE(refetched.empty()) << refetched.size() << " of the " << done_before.size()
                                 << " pages already stored before the interruption were fetched again by the next run "
                                    "(it did not resume: no durable crawl state?): "
                                 << sample(refetched);
}

// ---------------------------------------------------------------------------
// What a finished crawl's database holds

// `pages` holds exactly `urls`, every one a 200 without error.
void expect_page_set(const fs::path& db, const std::set<std::string>& urls) {
  auto stored = url_set(db, "SELECT url FROM pages");
  EXPECT_EQ(stored.size(), urls.size());
  EXPECT_TRUE(minus(urls, stored).empty()) << "missing from pages: " << sample(minus(urls, stored));
  EXPECT_TRUE(minus(stored, urls).empty()) << "unexpected in pages: " << sample(minus(stored, urls));
  EXPECT_EQ(cell(db, "SELECT count(*) FROM pages WHERE status = 200 AND error IS NULL"), std::to_string(urls.size()));
}

// The `urls` table of a finished crawl: every URL of `urls` done, nothing
// left queued or in flight.
void expect_urls_done(const fs::path& db, const std::set<std::string>& urls) {
  if (!expect_table(db, "urls")) return;
  auto done = url_set(db, "SELECT url FROM urls WHERE state = 'done' AND kind = 'page'");
  EXPECT_TRUE(minus(urls, done).empty()) << "not 'done' in the urls table: " << sample(minus(urls, done));
  EXPECT_EQ(cell(db, "SELECT count(*) FROM urls WHERE state IN ('queued', 'in_flight')"), "0")
      << "a finished crawl leaves nothing queued or in flight";
}

struct RunRow {
  std::string id, outcome, resumed_from, pid, requeued;
};

// The runs rows. A new column missing (an older schema) reads
// "<no column runs.NAME>", with one failure naming what is missing.
std::vector<RunRow> runs_rows(const fs::path& db) {
  std::vector<RunRow> out;
  for (auto& r : rows(db, "SELECT id, coalesce(outcome, '<null>') FROM runs ORDER BY id")) {
    out.emplace_back();
    out.back().id = r.at(0);
    out.back().outcome = r.at(1);
  }
  std::string missing;
  for (auto [name, field] : {std::pair{"resumed_from", &RunRow::resumed_from}, std::pair{"pid", &RunRow::pid},
                             std::pair{"requeued", &RunRow::requeued}}) {
    auto column = try_query(db, std::string("SELECT ") + name + " FROM runs ORDER BY id");
    if (!column) missing += std::string(missing.empty() ? "" : ", ") + name;
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i].*field = column && i < column->size() ? column->at(i).at(0) : std::string("<no column runs.") + name + ">";
  }
  if (!missing.empty()) ADD_FAILURE() << "no column " << missing << " in the runs table of " << db.string();
  return out;
}

// Two runs rows: the interrupted one (outcome `first_outcome`, "<null>" for
// a crawl killed -9), then its completed resume, resumed_from = its id.
void expect_resumed_runs(const fs::path& db, const std::string& first_outcome) {
  auto runs = runs_rows(db);
  ASSERT_EQ(runs.size(), 2u) << "one runs row per crawl, the resume included";
  EXPECT_EQ(runs[0].outcome, first_outcome) << "the interrupted run";
  EXPECT_EQ(runs[0].resumed_from, "<null>") << "the first run was a fresh crawl";
  EXPECT_EQ(runs[1].outcome, "completed");
  EXPECT_EQ(runs[1].resumed_from, runs[0].id) << "the second run resumes the first";
  EXPECT_NE(runs[1].requeued, "<null>") << "runs.requeued of a resumed run";
  EXPECT_NE(runs[1].pid, "<null>") << "runs.pid";
}

// ---------------------------------------------------------------------------
// Sites

// Slow enough that a crawl lasts a second or two (3 hosts × 31 URLs, 100 ms
// per response, 2 at a time per host: ~1.6 s), so it can be stopped midway.
SiteOptions slow_site() {
  SiteOptions o;
  o.hosts = 3;
  o.pages_per_host = 30;
  o.page_size = 1500;
  o.delay = 100ms;
  o.threads = 2;
  return o;
}

SiteOptions fast_site() {
  SiteOptions o;
  o.hosts = 2;
  o.pages_per_host = 20;
  o.page_size = 1000;
  o.threads = 2;
  return o;
}

// Stopped once this many pages are stored: well inside the ~93 of slow_site.
constexpr long kStopAfterPages = 15;

std::vector<std::string> common_args(const std::string& seeds) {
  return {seeds, "--max-depth", "100", "--per-host", "2", "--concurrency", "8", "--quiet"};
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string mode_name(const ::testing::TestParamInfo<const char*>& param) { return param.param; }

const char* other_mode(const std::string& mode) { return mode == "threads" ? "fibers" : "threads"; }

// ---------------------------------------------------------------------------
// Tests in both modes

class ResumeTest : public ::testing::TestWithParam<const char*> {
 protected:
  fs::path log_dir() { return dir_ / ("run" + std::to_string(++runs_)); }
  TempDir dir_;
  int runs_ = 0;
};

// kill -9 mid-crawl (no outcome recorded, the lock released by the kernel),
// then the same command: it resumes and completes the crawl.
TEST_P(ResumeTest, KillNineMidCrawlThenTheSameCommandResumes) {
  TestServer server(slow_site());
  const auto db = dir_ / "crawl.db";
  const auto args = common_args(seed_file(dir_ / "urls.txt", server.root_urls())) +
                    std::vector<std::string>{"--out", db.string(), "--mode", GetParam()};

  Crawl first(args, log_dir());
  ASSERT_TRUE(reaches(first, pages_in(db), kStopAfterPages, "pages stored"));
  first.signal(SIGKILL);
  ASSERT_EQ(first.wait(), 128 + SIGKILL) << "the crawl ended before it could be killed" << first.log();
  const auto done_before = url_set(db, "SELECT url FROM pages");
  ASSERT_LT(done_before.size(), server.site_urls().size()) << "killed too late: the crawl had finished";

  Crawl resume(args, log_dir());
  ASSERT_EQ(resume.wait(), 0) << resume.log();
  expect_page_set(db, server.site_urls());
  expect_resumed_fetches(server, server.site_urls(), done_before);
  expect_resumed_runs(db, "<null>");
  expect_urls_done(db, server.site_urls());
  auto runs = runs_rows(db);
  if (runs.size() == 2) {
    EXPECT_EQ(runs[0].pid, std::to_string(first.pid())) << "runs.pid of the killed crawl";
    EXPECT_EQ(runs[1].pid, std::to_string(resume.pid())) << "runs.pid of the resume";
    // Only URLs not stored yet can have been in flight at the kill.
    const auto requeued = runs[1].requeued;
    if (requeued != "<null>" && requeued.rfind("<no column", 0) != 0) {
      EXPECT_LE(std::stol(requeued), static_cast<long>(server.site_urls().size() - done_before.size()));
    }
  }
}

// The speed options may change between the crash and the resume: here the
// mode, --concurrency, --per-host and --delay (and --loops for fibers).
TEST_P(ResumeTest, ResumeWithOtherModeConcurrencyAndPerHost) {
  TestServer server(slow_site());
  const auto db = dir_ / "crawl.db";
  const auto seeds = seed_file(dir_ / "urls.txt", server.root_urls());
  const std::vector<std::string> base{seeds, "--max-depth", "100", "--quiet", "--out", db.string()};
  const std::string second_mode = other_mode(GetParam());

  Crawl first(base + std::vector<std::string>{"--mode", GetParam(), "--concurrency", "4", "--per-host", "2"},
              log_dir());
  ASSERT_TRUE(reaches(first, pages_in(db), kStopAfterPages, "pages stored"));
  first.signal(SIGKILL);
  ASSERT_EQ(first.wait(), 128 + SIGKILL) << first.log();
  const auto done_before = url_set(db, "SELECT url FROM pages");
  ASSERT_LT(done_before.size(), server.site_urls().size());

  auto faster =
      base + std::vector<std::string>{"--mode", second_mode, "--concurrency", "12", "--per-host", "3", "--delay", "5"};
  if (second_mode == "fibers") faster = faster + std::vector<std::string>{"--loops", "1"};
  // The killed crawl's requests answered first, so the peak below is the resume's.
  EXPECT_TRUE(server_idle(server));
  Crawl resume(faster, log_dir());
  ASSERT_EQ(resume.wait(), 0) << resume.log();
  expect_page_set(db, server.site_urls());
  expect_resumed_fetches(server, server.site_urls(), done_before);
  expect_resumed_runs(db, "<null>");
  auto second = rows(db, "SELECT mode, concurrency FROM runs ORDER BY id DESC LIMIT 1");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0], (std::vector<std::string>{second_mode, "12"})) << "the resume runs with its own speed options";
  for (int h = 0; h < server.host_count(); ++h) EXPECT_LE(server.stats(h).peak_concurrent_requests, 3) << "host " << h;
}

// More queued URLs than --memory-queue holds: the rest wait in the state
// file and come back as hosts drain; the whole site is fetched, each page
// exactly once.
TEST_P(ResumeTest, QueueLargerThanTheMemoryBoundIsCrawledCompletely) {
  SiteOptions o;
  o.hosts = 8;
  o.pages_per_host = 375;  // 3008 URLs
  o.page_size = 600;
  o.threads = 2;
  TestServer server(o);
  const auto db = dir_ / "crawl.db";
  Crawl crawl({seed_file(dir_ / "urls.txt", server.root_urls()), "--memory-queue", "50", "--max-depth", "100",
               "--concurrency", "16", "--per-host", "2", "--out", db.string(), "--quiet", "--mode", GetParam()},
              log_dir());
  // The state file's view of the queue while the crawl runs: it must
  // outgrow the bound, or this test tests nothing.
  long most_queued = -1;
  poll_while_running(
      crawl,
      [&] {
        most_queued = std::max(most_queued, count_now(db, "SELECT count(*) FROM urls WHERE state = 'queued'"));
        return false;
      },
      20ms);
  ASSERT_EQ(crawl.wait(), 0) << crawl.log();
  EXPECT_GT(most_queued, 200) << "queued URLs in the state file never exceeded 200 while the crawl ran "
                                 "(-1: no urls table)";
  expect_each_requested_once(server, server.site_urls(), "--memory-queue 50");
  expect_page_set(db, server.site_urls());
  expect_urls_done(db, server.site_urls());
}

// A state whose last run completed: the same command starts a fresh crawl
// (everything fetched again, resumed_from NULL). Also what the urls table
// holds after a crawl.
TEST_P(ResumeTest, CompletedStateStartsAFreshCrawl) {
  TestServer server(fast_site());
  const auto db = dir_ / "crawl.db";
  const auto args = common_args(seed_file(dir_ / "urls.txt", server.root_urls())) +
                    std::vector<std::string>{"--out", db.string(), "--mode", GetParam()};
  Crawl first(args, log_dir());
  ASSERT_EQ(first.wait(), 0) << first.log();
  const auto site = server.site_urls();

  // The urls table: one row per URL seen, columns as specified.
  if (expect_table(db, "urls")) {
    EXPECT_EQ(column_names(db, "urls"), (std::set<std::string>{"fp", "url", "host", "state", "depth", "priority",
                                                               "referrer", "kind", "attempts", "run_id", "seq",
                                                               "redirects"}));
    EXPECT_EQ(cell(db, "SELECT name FROM pragma_table_info('urls') WHERE pk = 1"), "seq");
    EXPECT_EQ(cell(db, "SELECT type FROM pragma_table_info('urls') WHERE name = 'fp'"), "INTEGER");
    EXPECT_EQ(cell(db, "SELECT count(*) FROM pragma_index_list('urls') WHERE \"unique\" = 1"), "1");
    expect_urls_done(db, site);
    EXPECT_EQ(cell(db, "SELECT count(*) FROM urls WHERE kind = 'page'"), std::to_string(site.size()))
        << "one row per normalized URL";
    EXPECT_EQ(cell(db, "SELECT count(*) FROM urls WHERE depth = 0 AND referrer IS NULL"),
              std::to_string(server.root_urls().size()))
        << "the seeds: depth 0, no referrer";
    EXPECT_EQ(cell(db, "SELECT count(*) FROM urls WHERE depth > 0 AND referrer IS NOT NULL"),
              std::to_string(site.size() - server.root_urls().size()));
    EXPECT_EQ(cell(db, "SELECT count(*) FROM urls WHERE host IS NULL OR url NOT LIKE host || '/%'"), "0")
        << "host is the URL's origin, e.g. http://127.0.1.1:PORT";
    EXPECT_EQ(cell(db, "SELECT count(*) FROM urls WHERE priority <> depth"), "0")
        << "seeds have priority 0, links the page's priority plus one";
    EXPECT_EQ(cell(db, "SELECT count(*) FROM urls WHERE attempts <> 1"), "0") << "each URL handed out once";
    EXPECT_EQ(cell(db, "SELECT count(*) FROM urls WHERE run_id IS NOT (SELECT max(id) FROM runs)"), "0");
    EXPECT_EQ(cell(db, "SELECT count(*) FROM pages p JOIN urls u ON u.url = p.url AND u.depth = p.depth"),
              std::to_string(site.size()))
        << "every stored page has its urls row";
    EXPECT_EQ(
        cell(db, "SELECT count(*) FROM urls WHERE referrer IS NOT NULL AND referrer NOT IN (SELECT url FROM urls)"),
        "0");
  }

  server.reset_stats();
  Crawl again(args, log_dir());
  ASSERT_EQ(again.wait(), 0) << again.log();
  expect_each_requested_once(server, site, "a fresh crawl after a completed one");
  expect_page_set(db, site);
  auto runs = runs_rows(db);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].outcome, "completed");
  EXPECT_EQ(runs[1].outcome, "completed");
  EXPECT_EQ(runs[1].resumed_from, "<null>") << "a completed state is not resumed";
  EXPECT_EQ(runs[1].pid, std::to_string(again.pid()));
  EXPECT_EQ(cell(db, "SELECT count(*) FROM pages WHERE run_id = " + runs[1].id), std::to_string(site.size()));
  expect_urls_done(db, site);
}

// --store disk: the state is OUT/.crawl/state.db; kill -9, then resume.
TEST_P(ResumeTest, DiskStoreKillThenResumeWithStateInOutDotCrawl) {
  TestServer server(slow_site());
  const auto out = dir_ / "site";
  const auto state = out / ".crawl" / "state.db";
  const auto index = out / ".crawl" / "index.tsv";
  const auto args = common_args(seed_file(dir_ / "urls.txt", server.root_urls())) +
                    std::vector<std::string>{"--store", "disk", "--out", out.string(), "--mode", GetParam()};
  auto index_lines = [&] {
    auto text = testing::read_file(index);
    return static_cast<long>(std::count(text.begin(), text.end(), '\n'));
  };

  Crawl first(args, log_dir());
  ASSERT_TRUE(reaches(first, index_lines, kStopAfterPages, "lines in .crawl/index.tsv"));
  first.signal(SIGKILL);
  ASSERT_EQ(first.wait(), 128 + SIGKILL) << first.log();
  ASSERT_LT(index_lines(), static_cast<long>(server.site_urls().size())) << "killed too late";
  EXPECT_TRUE(fs::exists(state)) << "the state of --store disk is kept in " << state;
  // What the state says is done must not be fetched again.
  const auto done_before = url_set(state, "SELECT url FROM urls WHERE state = 'done'");
  EXPECT_FALSE(done_before.empty());

  Crawl resume(args, log_dir());
  ASSERT_EQ(resume.wait(), 0) << resume.log();
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.is_regular_file() && e.path().parent_path().filename() != ".crawl") ++files;
  EXPECT_EQ(files, server.site_urls().size()) << "one file per page";
  expect_resumed_fetches(server, server.site_urls(), done_before);
  expect_resumed_runs(state, "<null>");
  expect_urls_done(state, server.site_urls());
}

INSTANTIATE_TEST_SUITE_P(Modes, ResumeTest, ::testing::Values("threads", "fibers"), mode_name);

// ---------------------------------------------------------------------------
// Signals: each stops the crawl with a summary, an outcome and an exit code,
// and leaves a state the same command resumes.

struct SignalCase {
  const char* name;
  std::vector<int> signals;  // sent in turn (the second once the first is being handled)
  const char* mode;
  int exit_code;
  const char* outcome;
};

void PrintTo(const SignalCase& c, std::ostream* os) { *os << c.name; }

class SignalResumeTest : public ::testing::TestWithParam<SignalCase> {
 protected:
  fs::path log_dir() { return dir_ / ("run" + std::to_string(++runs_)); }
  TempDir dir_;
  int runs_ = 0;
};

TEST_P(SignalResumeTest, StopsWithOutcomeAndExitCodeThenTheSameCommandCompletes) {
  const SignalCase& c = GetParam();
  TestServer server(slow_site());
  const auto db = dir_ / "crawl.db";
  const auto args = common_args(seed_file(dir_ / "urls.txt", server.root_urls())) +
                    std::vector<std::string>{"--out", db.string(), "--mode", c.mode};

  Crawl first(args, log_dir());
  ASSERT_TRUE(reaches(first, pages_in(db), kStopAfterPages, "pages stored"));
  for (std::size_t i = 0; i < c.signals.size(); ++i) {
    // A second signal once the first is being handled (its warning is out),
    // so they are not merged into one pending signal.
    if (i > 0) poll_while_running(first, [&] { return first.err().find("stopping") != std::string::npos; });
    first.signal(c.signals[i]);
  }
  EXPECT_EQ(first.wait(), c.exit_code) << first.log();
  EXPECT_NE(first.out().find(std::string(c.outcome) + ":"), std::string::npos)
      << "a summary \"" << c.outcome << ": …\" (the signal must not kill the process outright)" << first.log();
  auto runs = rows(db, "SELECT coalesce(outcome, '<null>') FROM runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0][0], c.outcome);
  const auto done_before = url_set(db, "SELECT url FROM pages");
  ASSERT_LT(done_before.size(), server.site_urls().size()) << "stopped too late: the crawl had finished";

  Crawl resume(args, log_dir());
  ASSERT_EQ(resume.wait(), 0) << resume.log();
  expect_page_set(db, server.site_urls());
  if (c.signals.size() == 1) {
    // Graceful: the transfers in flight finished and were stored, so
    // nothing is fetched twice.
    expect_each_requested_once(server, server.site_urls(), "across a graceful stop and its resume");
  }
  expect_resumed_fetches(server, server.site_urls(), done_before);
  expect_resumed_runs(db, c.outcome);
  expect_urls_done(db, server.site_urls());
}

std::string signal_case_name(const ::testing::TestParamInfo<SignalCase>& p) { return p.param.name; }

INSTANTIATE_TEST_SUITE_P(Signals, SignalResumeTest,
                         ::testing::Values(SignalCase{"SigintThreads", {SIGINT}, "threads", 130, "interrupted"},
                                           SignalCase{"SigintFibers", {SIGINT}, "fibers", 130, "interrupted"},
                                           SignalCase{
                                               "SigintTwiceFibers", {SIGINT, SIGINT}, "fibers", 130, "interrupted"},
                                           SignalCase{"SigtermThreads", {SIGTERM}, "threads", 143, "terminated"},
                                           SignalCase{"SighupFibers", {SIGHUP}, "fibers", 129, "interrupted"}),
                         signal_case_name);

// ---------------------------------------------------------------------------
// A state file that is not a crawl database: exit 3, named, left as it was.

struct CorruptCase {
  const char* name;
  const char* store;    // sqlite | disk | none (with --state)
  const char* content;  // text | random
};

void PrintTo(const CorruptCase& c, std::ostream* os) { *os << c.name; }

class CorruptStateTest : public ::testing::TestWithParam<CorruptCase> {
 protected:
  TempDir dir_;
};

TEST_P(CorruptStateTest, StopsWithExit3NamingTheFileAndLeavesItUnchanged) {
  const CorruptCase& c = GetParam();
  TestServer server(fast_site());
  const auto seeds = seed_file(dir_ / "urls.txt", server.root_urls());
  fs::path state;
  std::vector<std::string> args{seeds, "--quiet"};
  if (std::string(c.store) == "sqlite") {
    state = dir_ / "crawl.db";
    args = args + std::vector<std::string>{"--out", state.string()};
  } else if (std::string(c.store) == "disk") {
    state = dir_ / "site" / ".crawl" / "state.db";
    args = args + std::vector<std::string>{"--store", "disk", "--out", (dir_ / "site").string()};
  } else {
    state = dir_ / "state.db";
    args = args + std::vector<std::string>{"--store", "none", "--state", state.string()};
  }
  fs::create_directories(state.parent_path());
  std::string bytes;
  if (std::string(c.content) == "text") {
    for (int i = 0; i < 100; ++i) bytes += "this is not a crawl database, line " + std::to_string(i) + "\n";
  } else {
    std::mt19937 gen(42);
    for (int i = 0; i < 8192; ++i) bytes.push_back(static_cast<char>(gen() & 0xff));
  }
  testing::write_file(state, bytes);

  Crawl crawl(args, dir_ / "log");
  EXPECT_EQ(crawl.wait(), 3) << crawl.log();
  EXPECT_NE(crawl.err().find(state.string()), std::string::npos) << "stderr names the file" << crawl.log();
  EXPECT_NE(crawl.err().find("file is not a database"), std::string::npos) << "SQLite's message" << crawl.log();
  EXPECT_TRUE(testing::read_file(state) == bytes) << "the state file was changed";
  EXPECT_EQ(server.total_requests(), 0u) << "the crawl must stop before any request";
}

// A SQLite database of another program (a valid file, with tables of its
// own) is not a crawl state either: refused, untouched.
TEST(ForeignDatabase, AnotherProgramsDatabaseIsRefusedAndLeftUnchanged) {
  TempDir dir;
  TestServer server(fast_site());
  const auto seeds = seed_file(dir / "urls.txt", server.root_urls());
  const fs::path db = dir / "places.sqlite";
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, "CREATE TABLE bookmarks(id INTEGER PRIMARY KEY, url TEXT); "
                              "INSERT INTO bookmarks(url) VALUES('http://example.com/')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  const std::string before = testing::read_file(db);
  Crawl crawl({seeds, "--quiet", "--out", db.string()}, dir / "log");
  EXPECT_EQ(crawl.wait(), 3) << crawl.log();
  EXPECT_NE(crawl.err().find(db.string()), std::string::npos) << crawl.log();
  EXPECT_NE(crawl.err().find("not a crawl database"), std::string::npos) << crawl.log();
  EXPECT_TRUE(testing::read_file(db) == before) << "the database was changed";
  EXPECT_EQ(server.total_requests(), 0u);
}

std::string corrupt_case_name(const ::testing::TestParamInfo<CorruptCase>& p) { return p.param.name; }

INSTANTIATE_TEST_SUITE_P(
    Files, CorruptStateTest,
    ::testing::Values(CorruptCase{"SqliteText", "sqlite", "text"}, CorruptCase{"SqliteRandom", "sqlite", "random"},
                      CorruptCase{"DiskText", "disk", "text"}, CorruptCase{"DiskRandom", "disk", "random"},
                      CorruptCase{"StateText", "none", "text"}, CorruptCase{"StateRandom", "none", "random"}),
    corrupt_case_name);

// ---------------------------------------------------------------------------
// Single tests (one mode: the default, fibers)

// Whether every thread of process `pid` is stopped (SIGSTOP), polled.
bool all_threads_stopped(pid_t pid) {
  const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    bool all = true;
    std::error_code ec;
    for (const auto& t : fs::directory_iterator(tasks, ec)) {
      // .../stat: "TID (comm) S ...": the state follows the last ')'.
      const auto stat = testing::read_file(t.path() / "stat");
      const auto paren = stat.rfind(')');
      if (paren == std::string::npos || paren + 2 >= stat.size() || (stat[paren + 2] != 'T' && stat[paren + 2] != 't'))
        all = false;
    }
    if (ec) return false;
    if (all) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPollStep);
  }
}

// The server's request count once it has not changed for 50 ms (at most a
// few seconds): what a stopped client had already sent has been read.
std::uint64_t settled(const TestServer& server) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  auto last = server.total_requests();
  auto since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - since < 50ms && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollStep);
    const auto now = server.total_requests();
    if (now != last) {
      last = now;
      since = std::chrono::steady_clock::now();
    }
  }
  return last;
}

class ResumeOnceTest : public ::testing::Test {
 protected:
  fs::path log_dir() { return dir_ / ("run" + std::to_string(++runs_)); }
  TempDir dir_;
  int runs_ = 0;
};

// One writer per state: a second crawl on it exits 2 at once, naming the
// first crawl's pid, and sends no request; the first is not disturbed.
TEST_F(ResumeOnceTest, SecondCrawlOnTheSameStateIsRefused) {
  TestServer server(slow_site());
  const auto db = dir_ / "crawl.db";
  const auto args =
      common_args(seed_file(dir_ / "urls.txt", server.root_urls())) + std::vector<std::string>{"--out", db.string()};
  Crawl first(args, log_dir());
  ASSERT_TRUE(reaches(first, pages_in(db), 5, "pages stored"));
  // Paused while the others try, so it is certainly still running (and
  // holding its lock) whatever the machine's speed.
  first.signal(SIGSTOP);
  ASSERT_TRUE(all_threads_stopped(first.pid())) << "the first crawl did not stop on SIGSTOP";
  const std::string in_use = "is in use by another crawl (pid " + std::to_string(first.pid()) + ")";

  // The lock: <state path>.lock, held with flock.
  {
    const auto lock = db.string() + ".lock";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
    EXPECT_GE(fd, 0) << lock << ": " << std::strerror(errno);
    if (fd >= 0) {
      EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), -1) << lock << " is not locked by the running crawl";
      EXPECT_EQ(errno, EWOULDBLOCK);
      ::close(fd);
    }
  }

  // The same command.
  {
    // Requests the first crawl sent before it stopped are read by now.
    const auto before = settled(server);
    const auto start = std::chrono::steady_clock::now();
    Crawl second(args, log_dir());
    const int code = second.wait(15s);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(code, 2) << second.log();
    EXPECT_NE(second.err().find(in_use), std::string::npos) << "expected \"" << in_use << "\"" << second.log();
    EXPECT_LT(secs, 10.0) << "refused at once, not after waiting";
    // The first crawl is stopped: any request now came from the second.
    EXPECT_EQ(server.total_requests(), before) << "the refused crawl sent requests";
  }
  // Another URL list (another server) on the same state: refused before any request.
  {
    TestServer other(fast_site());
    TempDir other_dir;
    Crawl second(
        {seed_file(other_dir / "urls.txt", other.root_urls()), "--out", db.string(), "--mode", "threads", "--quiet"},
        log_dir());
    EXPECT_EQ(second.wait(15s), 2) << second.log();
    EXPECT_NE(second.err().find(in_use), std::string::npos) << second.log();
    EXPECT_EQ(other.total_requests(), 0u) << "the refused crawl sent requests";
  }

  first.signal(SIGCONT);
  ASSERT_EQ(first.wait(), 0) << first.log();
  expect_page_set(db, server.site_urls());
  auto runs = runs_rows(db);
  ASSERT_EQ(runs.size(), 1u) << "the refused crawls record no run";
  EXPECT_EQ(runs[0].outcome, "completed");
  EXPECT_EQ(runs[0].pid, std::to_string(first.pid()));
}

// --restart: the unfinished state is discarded (and the log says so); every
// URL is fetched again, the pages already stored stay in `pages` meanwhile.
TEST_F(ResumeOnceTest, RestartDiscardsAnUnfinishedStateButKeepsThePages) {
  TestServer server(slow_site());
  const auto db = dir_ / "crawl.db";
  const std::vector<std::string> args{seed_file(dir_ / "urls.txt", server.root_urls()),
                                      "--max-depth",
                                      "100",
                                      "--per-host",
                                      "2",
                                      "--concurrency",
                                      "8",
                                      "--out",
                                      db.string()};
  Crawl first(args + std::vector<std::string>{"--quiet"}, log_dir());
  ASSERT_TRUE(reaches(first, pages_in(db), kStopAfterPages, "pages stored"));
  first.signal(SIGKILL);
  ASSERT_EQ(first.wait(), 128 + SIGKILL) << first.log();
  const long stored = count_now(db, "SELECT count(*) FROM pages");
  ASSERT_LT(stored, static_cast<long>(server.site_urls().size()));

  settled(server);  // what the killed crawl had sent is counted before the reset
  server.reset_stats();
  Crawl restart(args + std::vector<std::string>{"--restart"}, log_dir());  // not --quiet: the line is info
  long fewest = stored;
  poll_while_running(restart, [&] {
    const long n = count_now(db, "SELECT count(*) FROM pages");
    if (n >= 0) fewest = std::min(fewest, n);
    return false;
  });
  ASSERT_EQ(restart.wait(), 0) << restart.log();
  EXPECT_NE(restart.err().find("--restart: discarding"), std::string::npos) << restart.log();
  EXPECT_GE(fewest, stored) << "pages stored before --restart were deleted";
  expect_each_requested_once(server, server.site_urls(), "--restart fetches everything again");
  expect_page_set(db, server.site_urls());
  auto runs = runs_rows(db);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].resumed_from, "<null>") << "--restart is a fresh crawl";
  EXPECT_EQ(runs[1].outcome, "completed");
  EXPECT_EQ(cell(db, "SELECT count(*) FROM pages WHERE run_id = " + runs[1].id),
            std::to_string(server.site_urls().size()))
      << "every page fetched again by the restarted run";
  expect_urls_done(db, server.site_urls());
}

// Seeds added to the URL list between the interruption and the resume are
// crawled too (here a third host).
TEST_F(ResumeOnceTest, SeedsAddedBeforeTheResumeAreCrawled) {
  TestServer server(slow_site());
  const auto db = dir_ / "crawl.db";
  const auto list = dir_ / "urls.txt";
  const auto args = common_args(list.string()) + std::vector<std::string>{"--out", db.string()};
  seed_file(list, {server.root_url(0), server.root_url(1)});

  Crawl first(args, log_dir());
  ASSERT_TRUE(reaches(first, pages_in(db), kStopAfterPages, "pages stored"));
  first.signal(SIGKILL);
  ASSERT_EQ(first.wait(), 128 + SIGKILL) << first.log();
  const auto done_before = url_set(db, "SELECT url FROM pages");
  for (const auto& u : done_before) ASSERT_NE(u.rfind(server.root_url(2), 0), 0u) << "host 2 is not a seed yet: " << u;

  seed_file(list, server.root_urls());
  Crawl resume(args, log_dir());
  ASSERT_EQ(resume.wait(), 0) << resume.log();
  expect_page_set(db, server.site_urls());
  expect_resumed_fetches(server, server.site_urls(), done_before);
  expect_resumed_runs(db, "<null>");
}

// --store none --state PATH keeps the state there, and resumes from it.
TEST_F(ResumeOnceTest, StoreNoneWithStateKillThenResume) {
  const auto state = dir_ / "state.db";
  TestServer server(slow_site());
  const auto args = common_args(seed_file(dir_ / "urls.txt", server.root_urls())) +
                    std::vector<std::string>{"--store", "none", "--state", state.string()};
  Crawl first(args, log_dir());
  ASSERT_TRUE(reaches(
      first, [&] { return static_cast<long>(server.total_requests()); }, 25, "requests served"));
  first.signal(SIGKILL);
  ASSERT_EQ(first.wait(), 128 + SIGKILL) << first.log();
  const auto done_before = url_set(state, "SELECT url FROM urls WHERE state = 'done'");
  EXPECT_FALSE(done_before.empty()) << "the state records the pages done";

  Crawl resume(args, log_dir());
  ASSERT_EQ(resume.wait(), 0) << resume.log();
  expect_resumed_fetches(server, server.site_urls(), done_before);
  expect_resumed_runs(state, "<null>");
  expect_urls_done(state, server.site_urls());
  EXPECT_LE(count_now(state, "SELECT count(*) FROM pages"), 0)
      << "--store none stores no page, not even in the state file";
}

// --store none alone keeps no state: after a kill, the same command fetches
// everything again. (Today's behaviour, to be kept.)
TEST_F(ResumeOnceTest, StoreNoneAloneKeepsNoState) {
  TestServer server(slow_site());
  const auto args =
      common_args(seed_file(dir_ / "urls.txt", server.root_urls())) + std::vector<std::string>{"--store", "none"};
  Crawl first(args, log_dir());
  ASSERT_TRUE(reaches(
      first, [&] { return static_cast<long>(server.total_requests()); }, 25, "requests served"));
  first.signal(SIGKILL);
  ASSERT_EQ(first.wait(), 128 + SIGKILL) << first.log();
  settled(server);  // what the killed crawl had sent is counted before the reset
  server.reset_stats();
  Crawl again(args, log_dir());
  ASSERT_EQ(again.wait(), 0) << again.log();
  expect_each_requested_once(server, server.site_urls(), "no state: the second run starts afresh");
}

// A database made by an older build (schema version 2, no urls table) is
// migrated: the crawl runs, old rows stay, the new columns and table exist.
TEST_F(ResumeOnceTest, VersionTwoDatabaseIsMigrated) {
  const auto db = dir_ / "old.db";
  {
    // The version-2 schema, as storage/sqlite_sink.h documents it.
    const char* v2 = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE runs(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, mode TEXT,
  concurrency INTEGER, urls_file TEXT, settings TEXT, pages INTEGER, bytes INTEGER, errors INTEGER,
  errors_by_kind TEXT, elapsed_s REAL, pages_per_s REAL, outcome TEXT, skipped INTEGER, cpu_s REAL,
  peak_rss_bytes INTEGER, latency_p50_ms REAL, latency_p95_ms REAL, latency_p99_ms REAL);
CREATE TABLE pages(url TEXT PRIMARY KEY, final_url TEXT, status INTEGER, content_type TEXT, body BLOB,
  fetched_at TEXT, elapsed_ms REAL, depth INTEGER, error TEXT, redirects TEXT, headers TEXT, referrer TEXT,
  run_id INTEGER REFERENCES runs(id));
CREATE INDEX pages_run ON pages(run_id);
INSERT INTO runs(id, started_at, finished_at, mode, concurrency, urls_file, settings, pages, bytes, errors,
  errors_by_kind, elapsed_s, pages_per_s, outcome, skipped)
  VALUES(1, '2024-01-02T03:04:05.000Z', '2024-01-02T03:04:06.000Z', 'fibers', 512, 'old.txt', '{}', 1, 5, 0,
  '{}', 1.0, 1.0, 'completed', 0);
INSERT INTO pages(url, final_url, status, content_type, body, fetched_at, elapsed_ms, depth, run_id)
  VALUES('http://127.0.0.1:9/old', 'http://127.0.0.1:9/old', 200, 'text/html', 'hello',
  '2024-01-02T03:04:05.500Z', 3.0, 0, 1);
PRAGMA user_version=2;
)sql";
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    char* message = nullptr;
    const int rc = sqlite3_exec(h, v2, nullptr, nullptr, &message);
    const std::string error = message ? message : "";
    sqlite3_free(message);
    sqlite3_close(h);
    ASSERT_EQ(rc, SQLITE_OK) << error;
  }

  TestServer server(fast_site());
  Crawl crawl({seed_file(dir_ / "urls.txt", server.root_urls()), "--max-depth", "100", "--out", db.string(), "--quiet"},
              log_dir());
  ASSERT_EQ(crawl.wait(), 0) << crawl.log();

  EXPECT_EQ(rows(db, "SELECT id, started_at, outcome, pages FROM runs WHERE id = 1"),
            (Rows{{"1", "2024-01-02T03:04:05.000Z", "completed", "1"}}))
      << "the old run is kept";
  EXPECT_EQ(cell(db, "SELECT body FROM pages WHERE url = 'http://127.0.0.1:9/old'"), "hello") << "the old page is kept";
  auto site = server.site_urls();
  site.insert("http://127.0.0.1:9/old");
  EXPECT_EQ(url_set(db, "SELECT url FROM pages"), site);
  EXPECT_GT(std::stoi(cell(db, "PRAGMA user_version")), 2) << "the schema version is raised";
  const auto runs_columns = column_names(db, "runs");
  for (const char* c : {"resumed_from", "requeued", "pid"})
    EXPECT_TRUE(runs_columns.count(c)) << "runs." << c << " missing after the migration";
  EXPECT_EQ(column_names(db, "urls"), (std::set<std::string>{"fp", "url", "host", "state", "depth", "priority",
                                                             "referrer", "kind", "attempts", "run_id", "seq",
                                                               "redirects"}));
  auto runs = runs_rows(db);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].resumed_from, "<null>") << "old rows read NULL in the new columns";
  EXPECT_EQ(runs[1].outcome, "completed");
  EXPECT_EQ(runs[1].resumed_from, "<null>") << "nothing to resume in a version-2 file";
  expect_urls_done(db, server.site_urls());
}

}  // namespace
}  // namespace crawl

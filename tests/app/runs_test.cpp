// Every crawl's figures: --stats-json, the `runs` row (CPU, peak RSS,
// latency percentiles, skipped), `crawl runs` listing them side by side, an
// old database migrated, and the Stats counters and latency histogram
// behind them. Runs the real crawl binary against the in-process test
// server; no timing is asserted.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "crawler/stats.h"
#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using testing::query;
using testing::read_file;
using testing::run_crawl;
using testing::TempDir;
using testing::write_file;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

json::value parse_json(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << text;
  return v;
}

double number(const json::value& v) { return v.to_number<double>(); }

// A small site and a URL list of its roots.
struct Site {
  explicit Site(int hosts = 1, int pages = 6) {
    testserver::SiteOptions o;
    o.hosts = hosts;
    o.pages_per_host = pages;
    o.delay = std::chrono::milliseconds(2);
    server = std::make_unique<testserver::TestServer>(o);
    for (const auto& url : server->root_urls()) list += url + "\n";
  }
  std::size_t size() const { return server->site_urls().size(); }
  std::unique_ptr<testserver::TestServer> server;
  std::string list;
};

TEST(StatsJson, HoldsTheRunsFigures) {
  Site site(2, 5);
  TempDir dir;
  write_file(dir / "urls.txt", site.list);
  auto r = run_crawl({(dir / "urls.txt").string(), "--store", "none", "--mode", "threads", "--concurrency", "3",
                      "--stats-json", (dir / "stats.json").string(), "--quiet"},
                     dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  const json::value v = parse_json(read_file(dir / "stats.json"));
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("outcome").as_string(), "completed");
  EXPECT_EQ(o.at("pages").to_number<std::size_t>(), site.size());
  EXPECT_EQ(o.at("results").to_number<std::size_t>(), site.size());
  EXPECT_GT(o.at("bytes").to_number<std::int64_t>(), 0);
  EXPECT_EQ(o.at("errors").to_number<int>(), 0);
  EXPECT_TRUE(o.at("errors_by_kind").as_object().empty());
  EXPECT_EQ(o.at("skipped").to_number<int>(), 0);
  EXPECT_GT(number(o.at("elapsed_s")), 0);
  EXPECT_GT(number(o.at("pages_per_s")), 0);
  EXPECT_GE(number(o.at("cpu_user_s")), 0);
  EXPECT_GE(number(o.at("cpu_sys_s")), 0);
  EXPECT_GT(number(o.at("cpu_user_s")) + number(o.at("cpu_sys_s")), 0);
  EXPECT_GT(o.at("peak_rss_bytes").to_number<std::int64_t>(), 1 << 20);
  const auto& latency = o.at("latency_ms").as_object();
  EXPECT_EQ(latency.at("count").to_number<std::size_t>(), site.size());
  // Every response waits 2 ms on the server.
  EXPECT_GE(number(latency.at("p50")), 1.9);
  EXPECT_LE(number(latency.at("p50")), number(latency.at("p95")));
  EXPECT_LE(number(latency.at("p95")), number(latency.at("p99")));
  EXPECT_EQ(o.at("mode").as_string(), "threads");
  EXPECT_EQ(o.at("concurrency").to_number<int>(), 3);
}

TEST(StatsJson, UnwritablePathExitsWith3BeforeCrawling) {
  Site site;
  TempDir dir;
  write_file(dir / "urls.txt", site.list);
  auto r = run_crawl({(dir / "urls.txt").string(), "--store", "none", "--stats-json",
                      (dir / "no" / "such" / "stats.json").string()},
                     dir.path());
  EXPECT_EQ(r.code, 3);
  EXPECT_TRUE(contains(r.err, "stats.json")) << r.err;
  std::uint64_t requests = 0;
  for (int h = 0; h < site.server->host_count(); ++h) requests += site.server->stats(h).requests;
  EXPECT_EQ(requests, 0u);
}

TEST(SkippedUrls, AreCountedApartFromErrorsAndKeepExitCode0) {
  Site site(1, 6);
  testserver::Response robots;
  robots.content_type = "text/plain";
  robots.body = "User-agent: *\nDisallow: /page/\n";
  site.server->set_response(0, "/robots.txt", robots);
  TempDir dir;
  write_file(dir / "urls.txt", site.list);
  auto r = run_crawl({(dir / "urls.txt").string(), "--out", (dir / "c.db").string(), "--stats-json",
                      (dir / "stats.json").string()},
                     dir.path());
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, " skipped")) << r.out;
  EXPECT_TRUE(contains(r.out, ", 0 errors")) << r.out;
  const json::value v = parse_json(read_file(dir / "stats.json"));
  EXPECT_EQ(v.at("pages").to_number<int>(), 1);  // the root only
  EXPECT_EQ(v.at("errors").to_number<int>(), 0);
  const int skipped = v.at("skipped").to_number<int>();
  EXPECT_GE(skipped, 1);
  const auto rows = query(dir / "c.db", "SELECT skipped, errors FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], std::to_string(skipped));
  EXPECT_EQ(rows[0][1], "0");
}

TEST(RunsCommand, ListsTwoCrawlsSideBySideWithTheirFigures) {
  Site site(2, 5);
  TempDir dir;
  write_file(dir / "urls.txt", site.list);
  const auto db = (dir / "crawl.db").string();
  ASSERT_EQ(run_crawl({(dir / "urls.txt").string(), "--out", db, "--mode", "threads", "--concurrency", "4", "-q"},
                      dir.path())
                .code,
            0);
  ASSERT_EQ(run_crawl({(dir / "urls.txt").string(), "--out", db, "--mode", "fibers", "--concurrency", "64", "-q"},
                      dir.path())
                .code,
            0);

  // A finished crawl leaves its database whole: no -wal or -shm beside it.
  EXPECT_FALSE(fs::exists(db + "-wal"));
  EXPECT_FALSE(fs::exists(db + "-shm"));

  // The runs rows hold the new figures.
  const auto rows = query(dir / "crawl.db",
                          "SELECT mode, pages, cpu_s > 0, peak_rss_bytes > 1048576, latency_p50_ms > 0, "
                          "latency_p50_ms <= latency_p95_ms, latency_p95_ms <= latency_p99_ms, skipped "
                          "FROM runs ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row[1], std::to_string(site.size()));
    for (int i = 2; i <= 6; ++i) EXPECT_EQ(row[i], "1") << "column " << i;
    EXPECT_EQ(row[7], "0");
  }

  auto table = run_crawl({"runs", db}, dir.path());
  ASSERT_EQ(table.code, 0) << table.err;
  const std::string& out = table.out;
  for (const char* column : {"id", "started (UTC)", "mode", "conc", "outcome", "pages", "errors", "wall s", "pages/s",
                             "CPU s", "peak MiB", "p50 ms", "p95 ms"})
    EXPECT_TRUE(contains(out, column)) << column << "\n" << out;
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_TRUE(contains(lines[1], "threads")) << out;
  EXPECT_TRUE(contains(lines[1], "completed")) << out;
  EXPECT_TRUE(contains(lines[1], " " + std::to_string(site.size()) + " ")) << out;
  EXPECT_TRUE(contains(lines[2], "fibers")) << out;
  EXPECT_FALSE(contains(lines[2], " - ")) << "every figure is known:\n" << out;
  // Aligned: the header and both rows are as long as each other up to the last column.
  EXPECT_EQ(lines[0].size(), lines[1].size()) << out;
  EXPECT_EQ(lines[1].size(), lines[2].size()) << out;

  auto as_json = run_crawl({"runs", db, "--json"}, dir.path());
  ASSERT_EQ(as_json.code, 0) << as_json.err;
  const json::value v = parse_json(as_json.out);
  ASSERT_EQ(v.as_array().size(), 2u);
  const auto& second = v.as_array()[1].as_object();
  EXPECT_EQ(second.at("mode").as_string(), "fibers");
  EXPECT_EQ(second.at("concurrency").to_number<int>(), 64);
  EXPECT_EQ(second.at("pages").to_number<std::size_t>(), site.size());
  EXPECT_GT(number(second.at("cpu_s")), 0);
  EXPECT_GT(second.at("peak_rss_bytes").to_number<std::int64_t>(), 0);
  EXPECT_GT(number(second.at("latency_ms").at("p99")), 0);
  EXPECT_TRUE(second.at("errors_by_kind").is_object());

  auto last = run_crawl({"runs", db, "--limit", "1"}, dir.path());
  ASSERT_EQ(last.code, 0);
  EXPECT_FALSE(contains(last.out, "threads")) << last.out;
  EXPECT_TRUE(contains(last.out, "fibers")) << last.out;
  // Reading leaves nothing behind either (the read-only query() above left
  // the -wal and -shm that opening creates; `crawl runs` closes last).
  EXPECT_FALSE(fs::exists(db + "-wal"));
  EXPECT_FALSE(fs::exists(db + "-shm"));
}

// The schema of the first release (user_version 1), before the figures.
constexpr const char* kVersion1Schema = R"sql(
CREATE TABLE runs(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, mode TEXT,
  concurrency INTEGER, urls_file TEXT, settings TEXT, pages INTEGER, bytes INTEGER, errors INTEGER,
  errors_by_kind TEXT, elapsed_s REAL, pages_per_s REAL, outcome TEXT);
CREATE TABLE pages(url TEXT PRIMARY KEY, final_url TEXT, status INTEGER, content_type TEXT, body BLOB,
  fetched_at TEXT, elapsed_ms REAL, depth INTEGER, error TEXT, redirects TEXT, headers TEXT,
  referrer TEXT, run_id INTEGER REFERENCES runs(id));
CREATE INDEX pages_run ON pages(run_id);
INSERT INTO runs VALUES(1, '2025-01-02T03:04:05.000Z', '2025-01-02T03:04:07.000Z', 'threads', 16,
  'old.txt', 'mode=threads', 42, 4200, 1, '{"timeout":1}', 2.0, 21.0, 'completed');
INSERT INTO pages VALUES('http://old.invalid/a', 'http://old.invalid/a', 200, 'text/html', CAST('same' AS BLOB),
  '2025-01-02T03:04:06.000Z', 5.0, 0, NULL, NULL, 'ETag: "x"', NULL, 1);
INSERT INTO pages VALUES('http://old.invalid/b', 'http://old.invalid/b', 200, 'text/html', CAST('same' AS BLOB),
  '2025-01-02T03:04:06.000Z', 5.0, 1, NULL, NULL, NULL, 'http://old.invalid/a', 1);
INSERT INTO pages VALUES('http://old.invalid/c', 'http://old.invalid/c', NULL, NULL, NULL,
  '2025-01-02T03:04:06.000Z', 5.0, 1, 'timeout: slow', NULL, NULL, 'http://old.invalid/a', 1);
PRAGMA user_version = 1;
)sql";

void make_version1_db(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, sqlite3_close);
  ASSERT_EQ(sqlite3_exec(raw, kVersion1Schema, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
}

TEST(RunsCommand, OldDatabaseIsListedThenMigratedByTheNextCrawl) {
  TempDir dir;
  const auto db = dir / "old.db";
  make_version1_db(db);

  // Read-only listing: the figures the old build did not record show as "-".
  auto before = run_crawl({"runs", db.string()}, dir.path());
  ASSERT_EQ(before.code, 0) << before.err;
  EXPECT_TRUE(contains(before.out, "threads")) << before.out;
  EXPECT_TRUE(contains(before.out, "21.0")) << before.out;  // its pages/s
  EXPECT_TRUE(contains(before.out, " - ")) << before.out;
  EXPECT_EQ(query(db, "PRAGMA user_version")[0][0], "1");  // listing changed nothing

  Site site;
  write_file(dir / "urls.txt", site.list);
  auto crawl = run_crawl({(dir / "urls.txt").string(), "--out", db.string(), "-q"}, dir.path());
  ASSERT_EQ(crawl.code, 0) << crawl.err;
  EXPECT_EQ(query(db, "PRAGMA user_version")[0][0], "5");
  // The old pages are the first version of their URLs; one body for both copies of 'same'.
  EXPECT_EQ(query(db, "SELECT url, body, digest, error FROM pages WHERE url LIKE 'http://old.invalid/%' ORDER BY url"),
            (std::vector<std::vector<std::string>>{
                {"http://old.invalid/a", "same", "sha1:74ZZAVLTGW5IRU3XKXSBKFF6WA54JGPM", "<null>"},
                {"http://old.invalid/b", "same", "sha1:74ZZAVLTGW5IRU3XKXSBKFF6WA54JGPM", "<null>"},
                {"http://old.invalid/c", "<null>", "<null>", "timeout: slow"}}));
  EXPECT_EQ(query(db, "SELECT count(*) FROM bodies WHERE digest = 'sha1:74ZZAVLTGW5IRU3XKXSBKFF6WA54JGPM'")[0][0], "1");
  EXPECT_EQ(query(db, "SELECT f.change, f.run_id FROM fetches f JOIN latest l ON l.id = f.page_id "
                      "WHERE l.url LIKE 'http://old.invalid/%' ORDER BY l.url"),
            (std::vector<std::vector<std::string>>{{"new", "1"}, {"new", "1"}, {"failing", "1"}}));
  EXPECT_EQ(query(db, "SELECT count(*) FROM pages")[0][0], std::to_string(site.size() + 3));
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE resumed_from IS NULL")[0][0], "2");
  EXPECT_EQ(query(db, "SELECT count(*) FROM urls WHERE state = 'done'")[0][0], std::to_string(site.size()));
  const auto rows = query(db, "SELECT id, pages, cpu_s IS NULL, latency_p95_ms IS NULL FROM runs ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "42", "1", "1"}));  // the old row, kept
  EXPECT_EQ(rows[1][1], std::to_string(site.size()));
  EXPECT_EQ(rows[1][2], "0");
  EXPECT_EQ(rows[1][3], "0");

  auto after = run_crawl({"runs", db.string(), "--json"}, dir.path());
  ASSERT_EQ(after.code, 0) << after.err;
  const json::value v = parse_json(after.out);
  ASSERT_EQ(v.as_array().size(), 2u);
  EXPECT_TRUE(v.as_array()[0].at("cpu_s").is_null());
  EXPECT_EQ(v.as_array()[0].at("errors_by_kind").at("timeout").to_number<int>(), 1);
  EXPECT_FALSE(v.as_array()[1].at("cpu_s").is_null());
}

TEST(RunsCommand, MissingUnreadableOrForeignFilesAreClearErrors) {
  TempDir dir;
  auto missing = run_crawl({"runs", (dir / "nope.db").string()}, dir.path());
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(contains(missing.err, "nope.db")) << missing.err;
  EXPECT_TRUE(contains(missing.err, "no such file")) << missing.err;

  // The default is crawl.db in the working directory.
  auto default_db = run_crawl({"runs"}, dir.path());
  EXPECT_EQ(default_db.code, 2);
  EXPECT_TRUE(contains(default_db.err, "crawl.db")) << default_db.err;

  write_file(dir / "notes.txt", std::string(4096, 'x'));
  auto not_db = run_crawl({"runs", (dir / "notes.txt").string()}, dir.path());
  EXPECT_EQ(not_db.code, 3);
  EXPECT_TRUE(contains(not_db.err, "not a database")) << not_db.err;

  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "other.db").c_str(), &raw), SQLITE_OK);
    sqlite3_exec(raw, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
  }
  auto foreign = run_crawl({"runs", (dir / "other.db").string()}, dir.path());
  EXPECT_EQ(foreign.code, 3);
  EXPECT_TRUE(contains(foreign.err, "no runs table")) << foreign.err;

  auto bad_flag = run_crawl({"runs", "--limit", "-1"}, dir.path());
  EXPECT_EQ(bad_flag.code, 2);
  EXPECT_TRUE(contains(bad_flag.err, "--limit")) << bad_flag.err;
}

FetchResult result_with(long status, double ms, std::error_code error = {}) {
  FetchResult r;
  r.request.url = "http://127.0.0.1/x";
  r.status = status;
  r.elapsed_ms = ms;
  r.error = error;
  r.body = status ? "abc" : "";
  return r;
}

TEST(StatsCounters, SkippedIsNeitherAnErrorNorAPage) {
  Stats stats;
  stats.record(result_with(200, 10));
  stats.record(result_with(404, 10));
  stats.record(result_with(0, 10, make_error_code(FetchErrc::timeout)));
  stats.record(result_with(0, 0, make_error_code(CrawlDecision::robots_disallowed)));
  stats.record(result_with(0, 0, make_error_code(CrawlDecision::robots_disallowed)));
  const auto s = stats.snapshot();
  EXPECT_EQ(s.results, 3);
  EXPECT_EQ(s.pages, 2);
  EXPECT_EQ(s.bytes, 6);
  EXPECT_EQ(s.errors, 2);
  EXPECT_EQ(s.transport_errors, 1);
  EXPECT_EQ(s.skipped, 2);
  EXPECT_EQ(s.errors_by_kind.size(), 2u);
  EXPECT_EQ(s.latency.count(), 1);  // successful fetches only
}

TEST(StatsLatency, PercentilesAreWithinTheBucketResolution) {
  LatencyHistogram h;
  EXPECT_FALSE(h.percentile(50));
  for (int i = 1; i <= 1000; ++i) h.record(i);  // 1 … 1000 ms
  const auto near = [](double got, double want) { return std::abs(got - want) <= want * 0.035; };
  EXPECT_TRUE(near(*h.percentile(50), 500)) << *h.percentile(50);
  EXPECT_TRUE(near(*h.percentile(95), 950)) << *h.percentile(95);
  EXPECT_TRUE(near(*h.percentile(99), 990)) << *h.percentile(99);
  EXPECT_DOUBLE_EQ(*h.percentile(100), 1000);  // clamped to the largest seen
  EXPECT_DOUBLE_EQ(*h.percentile(0), 1);  // the smallest seen
}

TEST(StatsLatency, ExtremesAndOddValuesLandInTheEdgeBuckets) {
  LatencyHistogram h;
  h.record(0);
  h.record(-5);
  h.record(std::nan(""));
  h.record(5e9);  // beyond 1000 s
  EXPECT_EQ(h.count(), 4);
  EXPECT_DOUBLE_EQ(*h.percentile(50), 0);
  EXPECT_DOUBLE_EQ(*h.percentile(100), 5e9);
}

}  // namespace
}  // namespace crawl

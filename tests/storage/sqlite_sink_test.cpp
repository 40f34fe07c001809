// SqliteSink: every column round-trips, one row per URL, runs are recorded
// and appended across sinks, concurrent stores all arrive, failures are
// counted without losing other rows.
#include "storage/sqlite_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "storage/sqlite_handles.h"

#include "tests/storage/fault_vfs.h"
#include "tests/test_util.h"

namespace crawl {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing::TempDir;
using testing::FaultVfs;

struct Value {
  int type = SQLITE_NULL;
  std::string bytes;  // TEXT / BLOB contents, exact
  std::int64_t integer = 0;
  double real = 0;
  bool is_null() const { return type == SQLITE_NULL; }
};
using Row = std::vector<Value>;

// A second, independent connection, as a reader or a fault injector.
class Db {
 public:
  explicit Db(const fs::path& path) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) throw std::runtime_error("cannot open " + path.string());
    sqlite3_busy_timeout(db_.get(), 10000);
  }

  std::vector<Row> query(const std::string& sql, const std::vector<std::string>& params = {}) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr);
    SqliteStmt stmt(raw);
    if (rc != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_.get()));
    for (std::size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(stmt.get(), static_cast<int>(i + 1), params[i].c_str(), -1,
                        SQLITE_TRANSIENT);
    }
    std::vector<Row> rows;
    int step = 0;
    while ((step = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      Row row;
      for (int c = 0; c < sqlite3_column_count(stmt.get()); ++c) {
        Value v;
        v.type = sqlite3_column_type(stmt.get(), c);
        if (v.type == SQLITE_INTEGER) v.integer = sqlite3_column_int64(stmt.get(), c);
        if (v.type == SQLITE_FLOAT) v.real = sqlite3_column_double(stmt.get(), c);
        if (v.type == SQLITE_TEXT || v.type == SQLITE_BLOB) {
          const void* p = sqlite3_column_blob(stmt.get(), c);
          v.bytes.assign(static_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), c)));
        }
        row.push_back(std::move(v));
      }
      rows.push_back(std::move(row));
    }
    if (step != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_.get()));
    return rows;
  }

  std::int64_t count(const std::string& sql) { return query(sql).at(0).at(0).integer; }

  void exec(const std::string& sql) {
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_.get()));
    }
  }

 private:
  SqliteDb db_;
};

// 2026-11-22T13:05:01.123Z
std::chrono::system_clock::time_point sample_time() {
  using namespace std::chrono;
  return sys_days{year{2026} / 11 / 22} + 13h + 5min + 1s + 123ms;
}

FetchResult ok_page(const std::string& url, std::string body) {
  FetchResult r;
  r.request.url = url;
  r.request.depth = 2;
  r.request.referrer = "http://127.0.0.1/ref";
  r.final_url = url;
  r.status = 200;
  r.content_type = "text/html; charset=utf-8";
  r.headers = {{"Content-Type", "text/html; charset=utf-8"}, {"X-Test", "a: b"}};
  r.body = std::move(body);
  r.fetched_at = sample_time();
  r.elapsed_ms = 12.5;
  return r;
}

FetchResult error_result(const std::string& url) {
  FetchResult r;
  r.request.url = url;
  r.final_url = url;
  r.error = make_error_code(FetchErrc::timeout);
  r.error_detail = "Operation timed out after 1000 ms";
  r.fetched_at = sample_time();
  r.elapsed_ms = 1000;
  return r;
}

RunInfo sample_run_info() {
  RunInfo info;
  info.started_at = sample_time();
  info.mode = "threads";
  info.concurrency = 16;
  info.urls_file = "urls.txt";
  info.settings = "per_host=2 delay=0";
  return info;
}

constexpr const char* kPageColumns =
    "SELECT url, final_url, status, content_type, body, fetched_at, elapsed_ms, depth, error, "
    "redirects, headers, referrer, run_id FROM pages WHERE url = ?1";

TEST(SqliteSinkRoundTrip, EveryColumnOfEveryKindOfResult) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  const std::string binary("\x89PNG\0\0\x01\xff\xfe\0tail", 14);
  std::int64_t run_id = 0;
  {
    SqliteSink sink(db_path.string());
    sink.begin_run(sample_run_info());
    ASSERT_TRUE(sink.current_run_id().has_value());
    run_id = *sink.current_run_id();

    sink.store(ok_page("http://127.0.0.1/img.png", binary));
    sink.store(error_result("http://127.0.0.1/slow"));
    FetchResult not_found = ok_page("http://127.0.0.1/missing", "no such page");
    not_found.status = 404;
    sink.store(not_found);
    FetchResult redirected = ok_page("http://127.0.0.1/old", "<p>new</p>");
    redirected.final_url = "http://127.0.0.1/new";
    redirected.redirects = {"http://127.0.0.1/mid?a=\"1\"", "http://127.0.0.1/new"};
    sink.store(redirected);
    FetchResult no_content = ok_page("http://127.0.0.1/empty", "");
    no_content.status = 204;
    no_content.content_type.clear();
    no_content.headers.clear();
    no_content.request.referrer.clear();
    sink.store(no_content);
    sink.flush();
    EXPECT_EQ(sink.write_errors(), 0);
  }
  Db db(db_path);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages"), 5);

  auto rows = db.query(kPageColumns, {"http://127.0.0.1/img.png"});
  ASSERT_EQ(rows.size(), 1u);
  Row r = rows[0];
  EXPECT_EQ(r[0].bytes, "http://127.0.0.1/img.png");
  EXPECT_EQ(r[1].bytes, "http://127.0.0.1/img.png");
  EXPECT_EQ(r[2].integer, 200);
  EXPECT_EQ(r[3].bytes, "text/html; charset=utf-8");
  EXPECT_EQ(r[4].type, SQLITE_BLOB);
  EXPECT_EQ(r[4].bytes, binary);  // NULs and high bytes intact
  EXPECT_EQ(r[5].bytes, "2026-11-22T13:05:01.123Z");
  EXPECT_DOUBLE_EQ(r[6].real, 12.5);
  EXPECT_EQ(r[7].integer, 2);
  EXPECT_TRUE(r[8].is_null()) << "error is NULL when ok";
  EXPECT_TRUE(r[9].is_null()) << "redirects is NULL when none";
  EXPECT_EQ(r[10].bytes, "Content-Type: text/html; charset=utf-8\nX-Test: a: b");
  EXPECT_EQ(r[11].bytes, "http://127.0.0.1/ref");
  EXPECT_EQ(r[12].integer, run_id);

  rows = db.query(kPageColumns, {"http://127.0.0.1/slow"});
  ASSERT_EQ(rows.size(), 1u);
  r = rows[0];
  EXPECT_TRUE(r[2].is_null()) << "no response: status NULL";
  EXPECT_TRUE(r[3].is_null());
  EXPECT_TRUE(r[4].is_null()) << "no response: body NULL";
  EXPECT_EQ(r[5].bytes, "2026-11-22T13:05:01.123Z");
  EXPECT_DOUBLE_EQ(r[6].real, 1000);
  EXPECT_EQ(r[7].integer, 0);
  EXPECT_EQ(r[8].bytes, "timeout: Operation timed out after 1000 ms");
  EXPECT_TRUE(r[10].is_null());
  EXPECT_TRUE(r[11].is_null()) << "seed: referrer NULL";
  EXPECT_EQ(r[12].integer, run_id);

  rows = db.query(kPageColumns, {"http://127.0.0.1/missing"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][2].integer, 404);
  EXPECT_EQ(rows[0][4].bytes, "no such page");
  EXPECT_TRUE(rows[0][8].is_null()) << "an HTTP status is a response, not an error";

  rows = db.query(kPageColumns, {"http://127.0.0.1/old"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1].bytes, "http://127.0.0.1/new");
  EXPECT_EQ(rows[0][9].bytes, R"(["http://127.0.0.1/mid?a=\"1\"","http://127.0.0.1/new"])");
  EXPECT_EQ(db.query("SELECT json_valid(redirects), json_array_length(redirects), "
                     "json_extract(redirects, '$[0]') FROM pages WHERE url = ?1",
                     {"http://127.0.0.1/old"})[0][2]
                .bytes,
            "http://127.0.0.1/mid?a=\"1\"");

  rows = db.query(kPageColumns, {"http://127.0.0.1/empty"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][2].integer, 204);
  EXPECT_EQ(rows[0][4].type, SQLITE_BLOB) << "empty body is an empty blob, not NULL";
  EXPECT_EQ(rows[0][4].bytes, "");
  EXPECT_TRUE(rows[0][3].is_null());
}

TEST(SqliteSinkUpsert, StoringTheSameUrlAgainReplacesTheRow) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  SqliteSink sink(db_path.string());
  sink.store(ok_page("http://127.0.0.1/a", "first"));
  sink.flush();
  FetchResult later = error_result("http://127.0.0.1/a");
  sink.store(later);
  sink.flush();
  sink.store(ok_page("http://127.0.0.1/a", "third"));
  sink.store(ok_page("http://127.0.0.1/a", "fourth"));  // same batch: last wins
  sink.flush();
  Db db(db_path);
  const auto rows = db.query("SELECT body, error, status FROM pages");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].bytes, "fourth");
  EXPECT_TRUE(rows[0][1].is_null());
  EXPECT_EQ(rows[0][2].integer, 200);
}

// A re-crawl while the site is down must not lose last night's copy: the
// failure is recorded beside it, in the history and in `error`.
TEST(SqliteSinkUpsert, ErrorAfterSuccessKeepsTheGoodCopy) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  SqliteSink sink(db_path.string());
  sink.store(ok_page("http://127.0.0.1/a", "body"));
  sink.store(error_result("http://127.0.0.1/a"));
  sink.flush();
  Db db(db_path);
  const auto rows = db.query("SELECT body, error, CAST(status AS TEXT) FROM pages");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].bytes, "body");
  EXPECT_EQ(rows[0][1].bytes, "timeout: Operation timed out after 1000 ms");
  EXPECT_EQ(rows[0][2].bytes, "200");
  const auto history = db.query("SELECT change, CAST(status IS NULL AS TEXT), CAST(body_id IS NULL AS TEXT) FROM fetches ORDER BY id");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0][0].bytes, "new");
  EXPECT_EQ(history[1][0].bytes, "failing");
  EXPECT_EQ(history[1][1].bytes, "1");
  EXPECT_EQ(history[1][2].bytes, "1");
}

// Without a good copy, the latest failure is what the page row shows.
TEST(SqliteSinkUpsert, ErrorWithoutAGoodCopyIsTheRow) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  SqliteSink sink(db_path.string());
  sink.store(error_result("http://127.0.0.1/a"));
  sink.flush();
  Db db(db_path);
  const auto rows = db.query("SELECT body, error, status FROM pages");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0][0].is_null());
  EXPECT_EQ(rows[0][1].bytes, "timeout: Operation timed out after 1000 ms");
  EXPECT_TRUE(rows[0][2].is_null());
}

// Each distinct body is stored once, whatever the number of pages or
// fetches that have it; the digest is SHA-1 in base32.
TEST(SqliteSinkHistory, IdenticalBodiesAreStoredOnce) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  {
    SqliteSink sink(db_path.string());
    sink.store(ok_page("http://127.0.0.1/a", "same"));
    sink.store(ok_page("http://127.0.0.1/b", "same"));
    sink.store(ok_page("http://127.0.0.1/a", "same"));
    sink.store(ok_page("http://127.0.0.1/a", "other"));
    sink.flush();
  }
  Db db(db_path);
  EXPECT_EQ(db.count("SELECT count(*) FROM bodies"), 2);
  EXPECT_EQ(db.query("SELECT digest FROM pages WHERE url = 'http://127.0.0.1/b'")[0][0].bytes,
            "sha1:74ZZAVLTGW5IRU3XKXSBKFF6WA54JGPM");  // base32(SHA-1("same"))
  const auto history = db.query(
      "SELECT f.change FROM fetches f JOIN latest l ON l.id = f.page_id WHERE l.url = 'http://127.0.0.1/a' ORDER BY f.id");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0][0].bytes, "new");
  EXPECT_EQ(history[1][0].bytes, "unchanged");
  EXPECT_EQ(history[2][0].bytes, "changed");
  EXPECT_EQ(db.query("SELECT body FROM pages WHERE url = 'http://127.0.0.1/a'")[0][0].bytes, "other");
}

TEST(SqliteSinkRuns, BeginAndEndRunFillTheRunsRow) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  {
    SqliteSink sink(db_path.string());
    sink.begin_run(sample_run_info());
    sink.store(ok_page("http://127.0.0.1/", "x"));
    RunSummary s;
    s.finished_at = sample_time() + 2500ms;
    s.pages = 10;
    s.bytes = 12345;
    s.errors = 4;
    s.errors_by_kind = {{"timeout", 3}, {"http_404", 1}, {"we\"ird\\key\n", 7}};
    s.elapsed_s = 2.5;
    s.outcome = crawl::RunOutcome::completed;
    sink.end_run(s);
    EXPECT_FALSE(sink.current_run_id().has_value());
    // end_run waited for the page stored before it.
    Db db(db_path);
    EXPECT_EQ(db.count("SELECT count(*) FROM pages WHERE run_id = 1"), 1);
  }
  Db db(db_path);
  const auto rows = db.query(
      "SELECT id, started_at, finished_at, mode, concurrency, urls_file, settings, pages, bytes, "
      "errors, errors_by_kind, elapsed_s, pages_per_s, outcome FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  const Row& r = rows[0];
  EXPECT_EQ(r[0].integer, 1);
  EXPECT_EQ(r[1].bytes, "2026-11-22T13:05:01.123Z");
  EXPECT_EQ(r[2].bytes, "2026-11-22T13:05:03.623Z");
  EXPECT_EQ(r[3].bytes, "threads");
  EXPECT_EQ(r[4].integer, 16);
  EXPECT_EQ(r[5].bytes, "urls.txt");
  EXPECT_EQ(r[6].bytes, "per_host=2 delay=0");
  EXPECT_EQ(r[7].integer, 10);
  EXPECT_EQ(r[8].integer, 12345);
  EXPECT_EQ(r[9].integer, 4);
  EXPECT_DOUBLE_EQ(r[11].real, 2.5);
  EXPECT_DOUBLE_EQ(r[12].real, 4.0);
  EXPECT_EQ(r[13].bytes, "completed");
  // errors_by_kind is a JSON object whose keys are escaped properly.
  const auto json = db.query(
      "SELECT json_valid(errors_by_kind), json_extract(errors_by_kind, '$.timeout'), "
      "json_extract(errors_by_kind, '$.http_404'), "
      "(SELECT value FROM json_each(runs.errors_by_kind) WHERE key = ?1) FROM runs",
      {"we\"ird\\key\n"});
  EXPECT_EQ(json[0][0].integer, 1) << r[10].bytes;
  EXPECT_EQ(json[0][1].integer, 3);
  EXPECT_EQ(json[0][2].integer, 1);
  EXPECT_EQ(json[0][3].integer, 7);
}

TEST(SqliteSinkRuns, ZeroElapsedLeavesPagesPerSecondNull) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  {
    SqliteSink sink(db_path.string());
    sink.begin_run(sample_run_info());
    sink.end_run(RunSummary{});
  }
  Db db(db_path);
  const auto rows = db.query("SELECT pages_per_s, errors_by_kind, finished_at FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0][0].is_null());
  EXPECT_EQ(rows[0][1].bytes, "{}");
  EXPECT_FALSE(rows[0][2].is_null());
}

TEST(SqliteSinkRuns, CostAndLatencyFiguresRoundTripAndUnknownOnesAreNull) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  {
    SqliteSink sink(db_path.string());
    RunSummary s;
    s.elapsed_s = 1;
    s.outcome = crawl::RunOutcome::completed;
    s.skipped = 3;
    s.cpu_s = 1.25;
    s.peak_rss_bytes = std::int64_t{5} << 30;  // beyond 32 bits
    s.latency_p50_ms = 10.5;
    s.latency_p95_ms = 20.25;
    s.latency_p99_ms = 40;
    sink.begin_run(sample_run_info());
    sink.end_run(s);
    sink.begin_run(sample_run_info());
    sink.end_run(RunSummary{});  // figures unknown
  }
  Db db(db_path);
  const auto rows = db.query(
      "SELECT skipped, cpu_s, peak_rss_bytes, latency_p50_ms, latency_p95_ms, latency_p99_ms "
      "FROM runs ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].integer, 3);
  EXPECT_DOUBLE_EQ(rows[0][1].real, 1.25);
  EXPECT_EQ(rows[0][2].integer, std::int64_t{5} << 30);
  EXPECT_DOUBLE_EQ(rows[0][3].real, 10.5);
  EXPECT_DOUBLE_EQ(rows[0][4].real, 20.25);
  EXPECT_DOUBLE_EQ(rows[0][5].real, 40);
  EXPECT_EQ(rows[1][0].integer, 0);
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(rows[1][i].is_null()) << "column " << i;
}

TEST(SqliteSinkMigration, Version1FileGetsTheNewRunsColumnsAndKeepsItsRows) {
  TempDir dir;
  const fs::path db_path = dir.path() / "old.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &raw), SQLITE_OK);
    SqliteDb old(raw);
    // The schema of the first release.
    ASSERT_EQ(sqlite3_exec(raw, R"sql(
      CREATE TABLE runs(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, mode TEXT,
        concurrency INTEGER, urls_file TEXT, settings TEXT, pages INTEGER, bytes INTEGER, errors INTEGER,
        errors_by_kind TEXT, elapsed_s REAL, pages_per_s REAL, outcome TEXT);
      CREATE TABLE pages(url TEXT PRIMARY KEY, final_url TEXT, status INTEGER, content_type TEXT, body BLOB,
        fetched_at TEXT, elapsed_ms REAL, depth INTEGER, error TEXT, redirects TEXT, headers TEXT,
        referrer TEXT, run_id INTEGER REFERENCES runs(id));
      INSERT INTO runs(started_at, mode, pages, outcome) VALUES('2025-01-01T00:00:00.000Z', 'threads', 7, 'completed');
      INSERT INTO pages(url, status, run_id) VALUES('http://127.0.0.1/old', 200, 1);
      PRAGMA user_version = 1;)sql",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  {
    SqliteSink sink(db_path.string());
    RunSummary s;
    s.cpu_s = 0.5;
    s.outcome = crawl::RunOutcome::completed;
    sink.begin_run(sample_run_info());
    sink.store(ok_page("http://127.0.0.1/new", "x"));
    sink.end_run(s);
  }
  { SqliteSink again(db_path.string()); }  // a migrated file opens as is
  Db db(db_path);
  EXPECT_EQ(db.count("PRAGMA user_version"), SqliteSink::kSchemaVersion);
  const auto rows = db.query("SELECT id, mode, pages, cpu_s, skipped FROM runs ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1].bytes, "threads");
  EXPECT_EQ(rows[0][2].integer, 7);
  EXPECT_TRUE(rows[0][3].is_null());
  EXPECT_TRUE(rows[0][4].is_null());
  EXPECT_DOUBLE_EQ(rows[1][3].real, 0.5);
  EXPECT_EQ(rows[1][4].integer, 0);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages"), 2);
}

TEST(SqliteSinkRuns, LaterSinkOnTheSameFileAppendsASecondRun) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  for (int run = 0; run < 2; ++run) {
    SqliteSink sink(db_path.string());
    RunInfo info = sample_run_info();
    info.mode = run == 0 ? "threads" : "fibers";
    sink.begin_run(info);
    sink.store(ok_page("http://127.0.0.1/shared", "run " + std::to_string(run)));
    sink.store(ok_page("http://127.0.0.1/only" + std::to_string(run), "x"));
    RunSummary s;
    s.pages = 2;
    s.elapsed_s = 1;
    s.outcome = crawl::RunOutcome::completed;
    sink.end_run(s);
  }
  Db db(db_path);
  const auto runs = db.query("SELECT id, mode, outcome FROM runs ORDER BY id");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0][1].bytes, "threads");
  EXPECT_EQ(runs[1][1].bytes, "fibers");
  EXPECT_NE(runs[0][0].integer, runs[1][0].integer);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages"), 3);
  const auto shared = db.query("SELECT body, run_id FROM pages WHERE url = 'http://127.0.0.1/shared'");
  EXPECT_EQ(shared[0][0].bytes, "run 1");
  EXPECT_EQ(shared[0][1].integer, runs[1][0].integer);
  EXPECT_EQ(db.query("SELECT run_id FROM pages WHERE url = 'http://127.0.0.1/only0'")[0][0].integer,
            runs[0][0].integer);
  EXPECT_EQ(db.count("PRAGMA user_version"), SqliteSink::kSchemaVersion);
  EXPECT_EQ(db.query("PRAGMA journal_mode")[0][0].bytes, "wal");
}

TEST(SqliteSinkRuns, PagesOutsideARunHaveNullRunId) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  {
    SqliteSink sink(db_path.string());
    sink.store(ok_page("http://127.0.0.1/x", "x"));
    sink.end_run(RunSummary{});  // without begin_run: ignored, no crash
  }
  Db db(db_path);
  EXPECT_TRUE(db.query("SELECT run_id FROM pages")[0][0].is_null());
  EXPECT_EQ(db.count("SELECT count(*) FROM runs"), 0);
}

TEST(SqliteSinkConcurrency, ManyThreadsStoringAllArriveExactlyOnce) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  {
    SqliteSink sink(db_path.string());
    sink.begin_run(sample_run_info());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&sink, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string url =
              "http://127.0.0.1/t" + std::to_string(t) + "/p" + std::to_string(i);
          sink.store(ok_page(url, url));
        }
      });
    }
    for (auto& th : threads) th.join();
    sink.flush();
    EXPECT_EQ(sink.write_errors(), 0);
    Db db(db_path);  // visible after flush(), before the sink is gone
    EXPECT_EQ(db.count("SELECT count(*) FROM pages"), kThreads * kPerThread);
  }
  Db db(db_path);
  EXPECT_EQ(db.count("SELECT count(DISTINCT url) FROM pages"), kThreads * kPerThread);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages WHERE body = CAST(url AS BLOB)"),
            kThreads * kPerThread);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages WHERE run_id = 1"), kThreads * kPerThread);
}

// Stores 48 MiB of distinct 16 KiB pages from 4 threads, each pausing
// `pace` after each page, then checks the WAL: it started over (the WAL
// header's checkpoint sequence number, bytes 12-15, counts the times) and
// does not hold everything stored.
void expect_the_wal_starts_over(std::size_t max_queued_bytes, std::chrono::milliseconds pace) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  const fs::path wal_path = dir.path() / "crawl.db-wal";
  constexpr int kThreads = 4;
  constexpr int kPerThread = 750;
  constexpr std::size_t kBody = 16 * 1024;
  {
    SqliteSink sink(db_path.string(), max_queued_bytes);
    sink.begin_run(sample_run_info());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&sink, t, pace] {
        std::mt19937_64 random(static_cast<std::uint64_t>(t));
        for (int i = 0; i < kPerThread; ++i) {
          std::string body(kBody, '\0');
          for (std::size_t k = 0; k + 8 <= body.size(); k += 8) {
            const std::uint64_t v = random();
            std::memcpy(body.data() + k, &v, 8);
          }
          sink.store(ok_page("http://127.0.0.1/t" + std::to_string(t) + "/p" + std::to_string(i), std::move(body)));
          if (pace.count() > 0) std::this_thread::sleep_for(pace);
        }
      });
    }
    for (auto& th : threads) th.join();
    sink.flush();
    EXPECT_EQ(sink.write_errors(), 0);
    const auto stored = static_cast<std::uintmax_t>(kThreads) * kPerThread * kBody;
    ASSERT_TRUE(fs::exists(wal_path));
    EXPECT_LT(fs::file_size(wal_path), stored) << "the WAL kept everything stored";
    std::ifstream wal(wal_path, std::ios::binary);
    unsigned char header[16] = {};
    ASSERT_TRUE(wal.read(reinterpret_cast<char*>(header), sizeof header));
    const std::uint32_t restarts = (std::uint32_t{header[12]} << 24) | (std::uint32_t{header[13]} << 16) |
                                   (std::uint32_t{header[14]} << 8) | header[15];
    EXPECT_GE(restarts, 1u) << "the WAL never started over";
  }
  Db db(db_path);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages"), kThreads * kPerThread);
}

// A crawl's pace (2,000 pages/s): transactions are grouped, the checkpointer
// copies between them. The queue's budget (8 MiB) is far above what one
// group holds at this pace (~0.8 MB a 25 ms group); it bounds a transaction
// only when the writer falls behind (a loaded machine, a sanitizer): with
// the default 256 MiB the writer then took the rest of the test in one
// transaction, and the WAL had no later one to start over in.
TEST(SqliteSinkCheckpoints, TheWalStartsOverAtACrawlsPace) {
  expect_the_wal_starts_over(std::size_t{8} << 20, 2ms);
}

// A writer that never stops committing (a 1 MiB queue always full): a
// PASSIVE checkpoint beside it never leaves the WAL wholly copied; the
// writer copies the tail the checkpointer's rounds leave.
TEST(SqliteSinkCheckpoints, TheWalStartsOverWhileTheWriterNeverStops) {
  expect_the_wal_starts_over(std::size_t{1} << 20, 0ms);
}

TEST(SqliteSinkBackpressure, TinyQueueBudgetBlocksButLosesNothing) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  {
    SqliteSink sink(db_path.string(), /*max_queued_bytes=*/16 * 1024);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&sink, t] {
        for (int i = 0; i < kPerThread; ++i) {
          // Each body alone is larger than the whole budget.
          sink.store(ok_page("http://127.0.0.1/" + std::to_string(t) + "/" + std::to_string(i),
                             std::string(20 * 1024, static_cast<char>('a' + t))));
        }
      });
    }
    for (auto& th : threads) th.join();
  }  // destructor flushes
  Db db(db_path);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages WHERE length(body) = 20480"),
            kThreads * kPerThread);
}

TEST(SqliteSinkDurability, DestructorCommitsWhatWasStored) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  {
    SqliteSink sink(db_path.string());
    for (int i = 0; i < 100; ++i) sink.store(ok_page("http://127.0.0.1/" + std::to_string(i), "b"));
  }
  Db db(db_path);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages"), 100);
}

// A new file gets 8 KiB pages (a body takes half the WAL frames and system
// calls of SQLite's 4 KiB); bodies of any size round-trip.
TEST(SqliteSinkPages, ANewFileHas8KiBPagesAndLargeBodiesRoundTrip) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  std::string big(100 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  {
    SqliteSink sink(db_path.string());
    sink.store(ok_page("http://127.0.0.1/big", big));
    sink.store(ok_page("http://127.0.0.1/small", "b"));
  }
  Db db(db_path);
  EXPECT_EQ(db.count("PRAGMA page_size"), 8192);
  const auto rows = db.query("SELECT body FROM pages WHERE url = 'http://127.0.0.1/big'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].bytes, big);
}

// A file made before (or by SQLite's default) keeps its page size: SQLite
// cannot change it once WAL mode is on, and a crawl must not rewrite a
// user's database to do so.
TEST(SqliteSinkPages, AnExistingFileKeepsItsPageSize) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), SQLITE_OK);
    SqliteDb made(raw);
    ASSERT_EQ(sqlite3_exec(raw, "PRAGMA page_size=4096; PRAGMA user_version=0; VACUUM", nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  {
    SqliteSink sink(db_path.string());
    for (int i = 0; i < 50; ++i)
      sink.store(ok_page("http://127.0.0.1/" + std::to_string(i), std::string(20000, static_cast<char>('a' + i % 26))));
  }
  Db db(db_path);
  EXPECT_EQ(db.count("PRAGMA page_size"), 4096);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages"), 50);
  EXPECT_EQ(db.count("SELECT sum(length(body)) FROM pages"), 50 * 20000);
}

// A row SQLite refuses is a failure (sqlite_sink.h): the rows committed
// before it stay, the rows of its batch before it are committed, later
// stores are dropped cheaply, flush() keeps answering.
TEST(SqliteSinkFailures, RowRefusedBySqliteIsAFailureAndEarlierRowsStay) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  SqliteSink sink(db_path.string());
  {
    Db db(db_path);  // schema exists now; inject a statement-level failure
    db.exec(
        "CREATE TRIGGER refuse BEFORE INSERT ON latest WHEN NEW.url LIKE '%/bad%' "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  for (int i = 0; i < 50; ++i) sink.store(ok_page("http://127.0.0.1/good" + std::to_string(i), "x"));
  EXPECT_EQ(sink.flush(), std::nullopt);
  sink.store(ok_page("http://127.0.0.1/bad", "x"));
  const auto failure = sink.flush();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->where, db_path.string());
  EXPECT_EQ(failure->message, "cannot store http://127.0.0.1/bad: injected failure");
  EXPECT_TRUE(sink.failed());
  EXPECT_EQ(sink.write_errors(), 1);
  for (int i = 0; i < 100; ++i) sink.store(ok_page("http://127.0.0.1/late" + std::to_string(i), "x"));
  EXPECT_EQ(sink.flush(), failure) << "the first failure is kept";
  EXPECT_EQ(sink.dropped(), 100);
  EXPECT_EQ(sink.written(), 50);
  Db db(db_path);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages"), 50);
}

TEST(SqliteSinkFailures, RolledBackTransactionLosesItsBatchAndSaysSo) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  SqliteSink sink(db_path.string());
  sink.begin_run(sample_run_info());
  const std::int64_t run_id = sink.current_run_id().value();
  for (int i = 0; i < 30; ++i) sink.store(ok_page("http://127.0.0.1/good" + std::to_string(i), "x"));
  EXPECT_EQ(sink.flush(), std::nullopt);
  {
    Db db(db_path);  // RAISE(ROLLBACK) ends the whole batch transaction
    db.exec(
        "CREATE TRIGGER refuse BEFORE INSERT ON latest WHEN NEW.url LIKE '%/bad%' "
        "BEGIN SELECT RAISE(ROLLBACK, 'injected rollback'); END");
  }
  for (int i = 0; i < 300; ++i) {
    const std::string url = "http://127.0.0.1/" + std::string(i % 7 == 3 ? "bad" : "more") +
                            std::to_string(i);
    sink.store(ok_page(url, "x"));
  }
  const auto failure = sink.flush();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->where, db_path.string());
  EXPECT_NE(failure->message.find("cannot store http://127.0.0.1/bad"), std::string::npos)
      << failure->message;
  EXPECT_NE(failure->message.find("injected rollback"), std::string::npos) << failure->message;
  Db db(db_path);
  EXPECT_EQ(db.count("SELECT count(*) FROM pages"), sink.written()) << "written() does not lie";
  EXPECT_EQ(db.count("SELECT count(*) FROM pages WHERE run_id = " + std::to_string(run_id)),
            sink.written());
  EXPECT_EQ(db.count("SELECT count(*) FROM pages WHERE url LIKE '%/bad%'"), 0);
  EXPECT_GE(sink.written(), 30);
  // end_run is still tried once, and the writer answers promptly.
  RunSummary summary;
  summary.outcome = RunOutcome::storage_failed;
  EXPECT_EQ(sink.end_run(summary), failure);
  EXPECT_EQ(db.query("SELECT outcome FROM runs").at(0).at(0).bytes, "storage-failed");
}

// Captures what is logged while it lives (the default logger is swapped).
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() {
    spdlog::default_logger()->flush();
    return text_.str();
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

// The old code gave up after one busy timeout and dropped the batch. Now the
// sink waits: here SQLite's own busy sleep is capped at 100 ms (the warning
// interval) while the lock is held 15 times as long.
TEST(SqliteSinkBusy, LockHeldByAnotherConnectionIsWaitedForAndEveryPageStored) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  SqliteSinkOptions options;
  options.lock_warning_interval = 100ms;
  SqliteSink sink(db_path.string(), options);
  LogCapture log;
  Db other(db_path);
  other.exec("BEGIN IMMEDIATE");
  const auto start = std::chrono::steady_clock::now();
  std::thread release([&] {
    std::this_thread::sleep_for(1500ms);
    other.exec("COMMIT");
  });
  for (int i = 0; i < 200; ++i) sink.store(ok_page("http://127.0.0.1/" + std::to_string(i), "x"));
  EXPECT_EQ(sink.flush(), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1400ms);
  release.join();
  EXPECT_EQ(sink.written(), 200);
  EXPECT_EQ(other.count("SELECT count(*) FROM pages"), 200);
  EXPECT_NE(log.text().find(db_path.string() + ": database is locked by another process; waiting"),
            std::string::npos)
      << log.text();
}

TEST(SqliteSinkBusy, LockHeldPastTheBoundIsAFailure) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  SqliteSinkOptions options;
  options.lock_warning_interval = 50ms;
  options.max_lock_wait = 300ms;
  SqliteSink sink(db_path.string(), options);
  for (int i = 0; i < 10; ++i) sink.store(ok_page("http://127.0.0.1/a" + std::to_string(i), "x"));
  ASSERT_EQ(sink.flush(), std::nullopt);
  Db other(db_path);
  other.exec("BEGIN IMMEDIATE");
  sink.store(ok_page("http://127.0.0.1/locked-out", "x"));
  const auto failure = sink.flush();
  other.exec("COMMIT");
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->where, db_path.string());
  EXPECT_EQ(failure->message.rfind("cannot store http://127.0.0.1/locked-out: database is locked "
                                   "by another process; gave up after 0.",
                                   0),
            0u)
      << failure->message;
  sink.store(ok_page("http://127.0.0.1/later", "x"));
  EXPECT_EQ(sink.flush(), failure);
  EXPECT_EQ(sink.dropped(), 1);
  EXPECT_EQ(other.count("SELECT count(*) FROM pages"), 10);
}

// Fails the Nth write or sync of a small crawl, for every N, with SQLITE_FULL
// and SQLITE_IOERR_WRITE: failure() names the file and the error, and the
// reopened database holds exactly written() pages, all intact, including
// every page of every group flushed without a failure.
TEST(SqliteSinkFaults, FailingTheNthWriteOrSyncLosesNothingCommittedAndIsReported) {
  FaultVfs::install();
  constexpr int kGroups = 4, kPerGroup = 5;
  const auto url = [](int i) { return "http://127.0.0.1/p" + std::to_string(i); };
  const auto body = [](int i) { return std::string(3000 + i, static_cast<char>('a' + i % 26)); };
  for (const int fault_rc : {SQLITE_FULL, SQLITE_IOERR_WRITE}) {
    bool reached_the_end = false;
    for (int n = 1; n < 400 && !reached_the_end; ++n) {
      SCOPED_TRACE("fault " + std::to_string(fault_rc) + " at write/sync " + std::to_string(n));
      TempDir dir(testing::memory_temp_base());
      const fs::path db_path = dir.path() / "crawl.db";
      std::int64_t written = 0;
      int groups_ok = 0;
      {
        SqliteSinkOptions options;
        options.vfs = FaultVfs::kName;
        SqliteSink sink(db_path.string(), options);
        FaultVfs::arm(n, fault_rc);
        sink.begin_run(sample_run_info());
        for (int g = 0; g < kGroups; ++g) {
          for (int i = g * kPerGroup; i < (g + 1) * kPerGroup; ++i) sink.store(ok_page(url(i), body(i)));
          if (!sink.flush()) groups_ok = g + 1;
        }
        RunSummary summary;
        summary.outcome = RunOutcome::completed;
        const auto failure = sink.end_run(summary);
        const bool hit = FaultVfs::hit();
        FaultVfs::disarm();
        reached_the_end = !hit;
        EXPECT_EQ(failure.has_value(), hit);
        if (failure) {
          EXPECT_EQ(failure->where, db_path.string());
          const std::string expected = fault_rc == SQLITE_FULL ? "database or disk is full" : "disk I/O error";
          EXPECT_NE(failure->message.find(expected), std::string::npos) << failure->message;
        }
        written = sink.written();
      }
      Db db(db_path);
      const auto rows = db.query("SELECT url, body FROM pages");
      EXPECT_EQ(static_cast<std::int64_t>(rows.size()), written);
      EXPECT_GE(written, groups_ok * kPerGroup);
      std::set<std::string> present;
      for (const auto& row : rows) {
        present.insert(row[0].bytes);
        const int i = std::stoi(row[0].bytes.substr(row[0].bytes.rfind('p') + 1));
        EXPECT_EQ(row[1].bytes, body(i)) << row[0].bytes;
      }
      for (int i = 0; i < groups_ok * kPerGroup; ++i) EXPECT_TRUE(present.count(url(i))) << url(i);
      if (reached_the_end) {
        EXPECT_EQ(written, kGroups * kPerGroup);
      }
    }
    EXPECT_TRUE(reached_the_end) << "the workload has fewer writes than the loop's bound";
  }
}

// A writer that fell behind takes a large batch; it is committed in
// transactions of about max_transaction_bytes, so a full disk part-way
// loses only the transaction it hit: what is stored is always the batch's
// first pages, and for some fault some of them are (one transaction for
// the whole batch stored none of it).
TEST(SqliteSinkFaults, ALargeBatchIsCommittedInPiecesSoAFullDiskKeepsTheFirstOnes) {
  FaultVfs::install();
  constexpr int kPages = 24;
  const auto url = [](int i) { return "http://127.0.0.1/p" + std::to_string(i); };
  const auto body = [](int i) { return std::string(6000 + i, static_cast<char>('a' + i % 26)); };
  bool some_kept = false, reached_the_end = false;
  for (int n = 1; n < 400 && !reached_the_end; ++n) {
    SCOPED_TRACE("SQLITE_FULL at write/sync " + std::to_string(n));
    TempDir dir(testing::memory_temp_base());
    const fs::path db_path = dir.path() / "crawl.db";
    std::int64_t written = 0;
    bool failed = false;
    {
      SqliteSinkOptions options;
      options.vfs = FaultVfs::kName;
      options.group_commit = std::chrono::hours(1);  // one batch: what flush() finds queued
      options.max_transaction_bytes = 4 * 6000;       // about 4 pages a transaction
      SqliteSink sink(db_path.string(), options);
      sink.begin_run(sample_run_info());
      ASSERT_EQ(sink.flush(), std::nullopt);
      FaultVfs::arm(n, SQLITE_FULL);
      for (int i = 0; i < kPages; ++i) sink.store(ok_page(url(i), body(i)));
      failed = sink.flush().has_value();
      reached_the_end = !FaultVfs::hit();
      FaultVfs::disarm();
      written = sink.written();
    }
    EXPECT_EQ(failed, !reached_the_end);
    Db db(db_path);
    const auto rows = db.query("SELECT url, body FROM pages");
    ASSERT_EQ(static_cast<std::int64_t>(rows.size()), written);
    std::set<std::string> present;
    for (const auto& row : rows) present.insert(row[0].bytes);
    for (int i = 0; i < written; ++i) EXPECT_TRUE(present.count(url(i))) << "stored pages are the first ones";
    if (failed && written > 0) some_kept = true;
    if (reached_the_end) {
      EXPECT_EQ(written, kPages);
    }
  }
  EXPECT_TRUE(reached_the_end) << "the workload has fewer writes than the loop's bound";
  EXPECT_TRUE(some_kept) << "no fault left the batch's first transactions stored";
}

// The changes the sink counts as it writes (the crawl's summary line) are
// what read_changes() reads back from the file (`crawl changes`): new,
// changed, unchanged, recovered, failing, and a page fetched twice in a run
// counted once, by its last fetch.
TEST(SqliteSinkChanges, CountedWhileWritingAsTheFileHasThem) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  const auto url = [](const char* name) { return std::string("http://127.0.0.1/") + name; };
  SqliteSink sink(db_path.string());
  RunSummary done;
  done.outcome = RunOutcome::completed;
  ASSERT_EQ(sink.begin_run(sample_run_info()), std::nullopt);
  for (const char* name : {"same", "edited", "breaks", "heals", "twice"}) sink.store(ok_page(url(name), name));
  sink.store(error_result(url("heals")));  // a good copy, then a failure: failing
  ASSERT_EQ(sink.end_run(done), std::nullopt);
  ASSERT_TRUE(sink.run_changes().has_value());
  EXPECT_EQ(sink.run_changes()->counts, (std::map<std::string, std::int64_t>{{"failing", 1}, {"new", 4}}));

  ASSERT_EQ(sink.begin_run(sample_run_info()), std::nullopt);
  EXPECT_EQ(sink.run_changes(), std::nullopt) << "a new run has counted nothing yet";
  sink.store(ok_page(url("same"), "same"));
  sink.store(ok_page(url("edited"), "edited again"));
  sink.store(error_result(url("breaks")));
  sink.store(ok_page(url("heals"), "heals"));
  sink.store(ok_page(url("twice"), "twice"));
  ASSERT_EQ(sink.flush(), std::nullopt);
  sink.store(ok_page(url("twice"), "twice, edited"));  // a later transaction: its last fetch counts
  sink.store(ok_page(url("fresh"), "fresh"));
  ASSERT_EQ(sink.end_run(done), std::nullopt);
  const auto counted = sink.run_changes();
  ASSERT_TRUE(counted.has_value());
  const auto read = read_changes(db_path.string(), 0, false);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(counted->run, read->run);
  EXPECT_EQ(counted->counts, read->counts);
  EXPECT_EQ(counted->counts, (std::map<std::string, std::int64_t>{
                                 {"changed", 2}, {"failing", 1}, {"new", 1}, {"recovered", 1}, {"unchanged", 1}}));
}

TEST(SqliteSinkOpen, MissingDirectoryThrowsNamingThePath) {
  TempDir dir;
  const fs::path db_path = dir.path() / "no" / "such" / "dir" / "crawl.db";
  try {
    SqliteSink sink(db_path.string());
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(db_path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unable to open"), std::string::npos) << e.what();
  }
}

TEST(SqliteSinkOpen, FileThatIsNotADatabaseThrows) {
  TempDir dir;
  const fs::path db_path = dir.path() / "notes.txt";
  std::ofstream(db_path) << std::string(4096, 'x');
  try {
    SqliteSink sink(db_path.string());
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(db_path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a database"), std::string::npos) << e.what();
  }
}

TEST(SqliteSinkOpen, NewerSchemaVersionIsRefused) {
  TempDir dir;
  const fs::path db_path = dir.path() / "crawl.db";
  { SqliteSink sink(db_path.string()); }
  Db(db_path).exec("PRAGMA user_version = 99");
  EXPECT_THROW(SqliteSink sink(db_path.string()), std::runtime_error);
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

// Nutch's AdaptiveFetchSchedule rates: -20 % on a change, +40 % when
// unchanged, within [min, max]; a new page starts at min.
TEST(RevisitPolicy, IntervalsShrinkOnChangeAndGrowOtherwise) {
  RevisitPolicy p;
  p.min_s = 3600;
  p.max_s = 10000;
  EXPECT_EQ(p.next_interval(0, true, false), 3600);
  EXPECT_EQ(p.next_interval(5000, true, false), 3600);
  EXPECT_DOUBLE_EQ(p.next_interval(3600, false, false), 5040);
  EXPECT_DOUBLE_EQ(p.next_interval(5040, false, false), 7056);
  EXPECT_DOUBLE_EQ(p.next_interval(9000, false, false), 10000);  // capped
  EXPECT_DOUBLE_EQ(p.next_interval(8000, false, true), 6400);
  EXPECT_DOUBLE_EQ(p.next_interval(4000, false, true), 3600);  // floored
}

}  // namespace
}  // namespace crawl

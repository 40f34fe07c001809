#include "storage/sqlite_sink.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "core/process.h"
#include "core/digest.h"
#include "core/hash.h"
#include "core/url_parts.h"
#include "storage/sink_util.h"

namespace crawl {
namespace {

// WAL size at which the checkpointer is asked to run, and at which the
// writer checkpoints itself (the checkpointer is behind); counted in frames
// of the file's page size (CheckpointFrames).
constexpr std::int64_t kCheckpointBytes = 4'000 * 1024;
constexpr std::int64_t kForceCheckpointBytes = 100'000 * 1024;
// The checkpointer's rounds stop when the last one copied at most
// kTailBytes, or after kCheckpointRounds (the writer commits faster than
// they copy); the writer then copies the rest itself.
constexpr std::int64_t kTailBytes = 1'024 * 1024;
constexpr int kCheckpointRounds = 4;

// Connections beside the writer's (open_connection) wait this long for a lock.
constexpr int kBusyTimeoutMs = 5000;
// Longest single sleep in SQLite's busy handler before exec_waiting() looks
// at the clock again.
constexpr std::chrono::milliseconds::rep kMaxBusySliceMs = 1000;

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  mode TEXT,
  concurrency INTEGER,
  urls_file TEXT,
  settings TEXT,
  pages INTEGER,
  bytes INTEGER,
  errors INTEGER,
  errors_by_kind TEXT,
  elapsed_s REAL,
  pages_per_s REAL,
  outcome TEXT,
  skipped INTEGER,
  cpu_s REAL,
  peak_rss_bytes INTEGER,
  latency_p50_ms REAL,
  latency_p95_ms REAL,
  latency_p99_ms REAL,
  resumed_from INTEGER,
  requeued INTEGER,
  pid INTEGER);
CREATE TABLE IF NOT EXISTS bodies(
  id INTEGER PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS latest(
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  final_url TEXT,
  status INTEGER,
  content_type TEXT,
  body_id INTEGER REFERENCES bodies(id),
  fetched_at TEXT,
  elapsed_ms REAL,
  depth INTEGER,
  error TEXT,
  redirects TEXT,
  headers TEXT,
  referrer TEXT,
  run_id INTEGER REFERENCES runs(id),
  etag TEXT,
  last_modified TEXT,
  checked_at TEXT,
  changed_at TEXT,
  failing_since INTEGER,
  gone_since INTEGER,
  revisit_s REAL,
  next_due TEXT,
  links TEXT);
CREATE INDEX IF NOT EXISTS latest_run ON latest(run_id);
CREATE INDEX IF NOT EXISTS latest_redirected ON latest(final_url) WHERE redirects IS NOT NULL;
CREATE TABLE IF NOT EXISTS fetches(
  id INTEGER PRIMARY KEY,
  page_id INTEGER NOT NULL REFERENCES latest(id),
  run_id INTEGER REFERENCES runs(id),
  fetched_at TEXT NOT NULL,
  status INTEGER,
  change TEXT NOT NULL,
  body_id INTEGER REFERENCES bodies(id),
  etag TEXT,
  last_modified TEXT,
  error TEXT);
CREATE INDEX IF NOT EXISTS fetches_page ON fetches(page_id, id);
CREATE INDEX IF NOT EXISTS fetches_run ON fetches(run_id);
CREATE VIEW IF NOT EXISTS pages AS
SELECT l.url, l.final_url, l.status, l.content_type, b.body, l.fetched_at, l.elapsed_ms, l.depth, l.error,
       l.redirects, l.headers, l.referrer, l.run_id, b.digest, l.etag, l.last_modified, l.checked_at,
       l.changed_at, l.failing_since, l.gone_since, l.next_due
FROM latest l LEFT JOIN bodies b ON b.id = l.body_id;
CREATE TABLE IF NOT EXISTS urls(
  seq INTEGER PRIMARY KEY,
  fp INTEGER NOT NULL UNIQUE,
  url TEXT NOT NULL,
  host TEXT NOT NULL,
  state TEXT NOT NULL,
  depth INTEGER,
  priority REAL,
  referrer TEXT,
  kind TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_id INTEGER,
  redirects INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS urls_queued ON urls(host, attempts > 0, priority, seq) WHERE state = 'queued';
CREATE TABLE IF NOT EXISTS archive_marks(
  prefix TEXT PRIMARY KEY,
  file TEXT NOT NULL,
  offset INTEGER NOT NULL);
)sql";

// A URL new to the state (added by a page, a sitemap or the seed list).
constexpr const char* kInsertUrlSql = R"sql(
INSERT OR IGNORE INTO urls(fp, url, host, state, depth, priority, referrer, kind, attempts, run_id, redirects)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
)sql";

// A URL's final state (its row is inserted if missing: kInsertUrlSql).
constexpr const char* kSettleUrlSql = "UPDATE urls SET state = ?2 WHERE fp = ?1";

// Where a --warc archive stands (state_store.h ArchiveMark), with the page
// whose records end there.
constexpr const char* kMarkArchiveSql =
    "INSERT INTO archive_marks(prefix, file, offset) VALUES(?1, ?2, ?3) "
    "ON CONFLICT(prefix) DO UPDATE SET file = excluded.file, offset = excluded.offset";

constexpr const char* kStartedUrlSql =
    "UPDATE urls SET state = 'in_flight', attempts = attempts + 1 WHERE fp = ?1";

// With what is known of the URL's good copy, if one is stored.
constexpr const char* kTakeUrlsSql = R"sql(
SELECT u.url, u.depth, u.priority, u.referrer, u.kind, u.attempts, l.id, l.etag, l.last_modified, l.next_due,
       u.redirects
FROM urls u LEFT JOIN latest l ON l.url = u.url AND l.body_id IS NOT NULL AND l.status < 400
WHERE u.host = ?1 AND u.state = 'queued' ORDER BY u.attempts > 0, u.priority, u.seq LIMIT ?2
)sql";

constexpr const char* kSelectLatestSql = R"sql(
SELECT l.id, l.body_id, l.status, b.digest, l.failing_since, l.gone_since, l.revisit_s, l.etag, l.last_modified,
       l.final_url, l.content_type, l.fetched_at, l.elapsed_ms, l.depth, l.redirects, l.headers, l.referrer,
       l.changed_at, l.run_id, l.checked_at
FROM latest l LEFT JOIN bodies b ON b.id = l.body_id WHERE l.url = ?1
)sql";

constexpr const char* kInsertBodySql =
    "INSERT INTO bodies(digest, size, body) VALUES(?1, ?2, ?3) ON CONFLICT(digest) DO NOTHING";
constexpr const char* kSelectBodySql = "SELECT id FROM bodies WHERE digest = ?1";

// What the first fetch of page ?1 in run ?2 found (a page fetched twice in one run).
constexpr const char* kSelectFirstChangeSql =
    "SELECT change FROM fetches WHERE page_id = ?1 AND run_id = ?2 ORDER BY id LIMIT 1";

constexpr const char* kUpsertLatestSql = R"sql(
INSERT INTO latest(url, final_url, status, content_type, body_id, fetched_at, elapsed_ms, depth, error,
                   redirects, headers, referrer, run_id, etag, last_modified, checked_at, changed_at,
                   failing_since, gone_since, revisit_s, next_due, links)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)
ON CONFLICT(url) DO UPDATE SET
  final_url = excluded.final_url, status = excluded.status, content_type = excluded.content_type,
  body_id = excluded.body_id, fetched_at = excluded.fetched_at, elapsed_ms = excluded.elapsed_ms,
  depth = excluded.depth, error = excluded.error, redirects = excluded.redirects,
  headers = excluded.headers, referrer = excluded.referrer, run_id = excluded.run_id,
  etag = excluded.etag, last_modified = excluded.last_modified, checked_at = excluded.checked_at,
  changed_at = excluded.changed_at, failing_since = excluded.failing_since,
  gone_since = excluded.gone_since, revisit_s = excluded.revisit_s, next_due = excluded.next_due,
  links = excluded.links
RETURNING id
)sql";

// A redirect from ?1 whose chain is ?2 (a non-empty JSON array of strings)
// and ends at ?3: every other chain that ended at ?1 goes on the same way;
// not the rows on ?2 (a loop), and not past a bound (a loop between pages
// not fetched again cannot grow a chain batch after batch). The arrays are
// joined as text: both end (start) with a string, so with one ']' ('[').
constexpr const char* kExtendChainsSql = R"sql(
UPDATE latest SET redirects = json(rtrim(redirects, ']') || ',' || ltrim(?2, '[')), final_url = ?3
WHERE final_url = ?1 AND redirects IS NOT NULL AND url <> ?1 AND json_array_length(redirects) < 100
  AND url NOT IN (SELECT value FROM json_each(?2))
)sql";

// A redirect's target, when recorded: its own chain, if it is a redirect too.
constexpr const char* kSelectChainSql =
    "SELECT redirects, final_url FROM latest WHERE url = ?1 AND status BETWEEN 300 AND 399 AND redirects IS NOT NULL";

constexpr const char* kInsertFetchSql = R"sql(
INSERT INTO fetches(page_id, run_id, fetched_at, status, change, body_id, etag, last_modified, error)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
)sql";

// A good copy kept: what a 304 or a failure changes beside it (empty
// checked_at, etag, last_modified and run_id keep theirs).
constexpr const char* kUpdateKeptSql = R"sql(
UPDATE latest SET error = ?2, failing_since = ?3, gone_since = ?4, checked_at = coalesce(?5, checked_at),
  etag = coalesce(?6, etag), last_modified = coalesce(?7, last_modified), revisit_s = ?8, next_due = ?9,
  run_id = coalesce(?10, run_id)
WHERE id = ?1
)sql";

// The body only when its links were not kept (they are all a 304 needs).
constexpr const char* kReadCopySql = R"sql(
SELECT l.final_url, l.status, l.content_type, l.headers, CASE WHEN l.links IS NULL THEN b.body END, b.digest,
       l.links
FROM latest l JOIN bodies b ON b.id = l.body_id WHERE l.url = ?1 AND l.status < 400
)sql";

constexpr const char* kInsertRunSql =
    "INSERT INTO runs(started_at, mode, concurrency, urls_file, settings, resumed_from, requeued, pid) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

constexpr const char* kUpdateRunSql =
    "UPDATE runs SET finished_at = ?1, pages = ?2, bytes = ?3, errors = ?4, "
    "errors_by_kind = ?5, elapsed_s = ?6, pages_per_s = ?7, outcome = ?8, skipped = ?10, "
    "cpu_s = ?11, peak_rss_bytes = ?12, latency_p50_ms = ?13, latency_p95_ms = ?14, "
    "latency_p99_ms = ?15 WHERE id = ?9";

// Columns added to existing tables after schema version 1, in order. A
// database made by an older build gets them with ALTER TABLE (NULL, or the
// default, in its old rows).
struct AddedColumn {
  const char* table;
  const char* name;
  const char* type;
};
constexpr AddedColumn kColumnsSinceV1[] = {
    {"runs", "skipped", "INTEGER"},          {"runs", "cpu_s", "REAL"},
    {"runs", "peak_rss_bytes", "INTEGER"},   {"runs", "latency_p50_ms", "REAL"},
    {"runs", "latency_p95_ms", "REAL"},      {"runs", "latency_p99_ms", "REAL"},
    // version 3
    {"runs", "resumed_from", "INTEGER"},     {"runs", "requeued", "INTEGER"},
    {"runs", "pid", "INTEGER"},
    // version 5: redirects are requests of their own, hops counted
    {"urls", "redirects", "INTEGER NOT NULL DEFAULT 0"},
};

[[noreturn]] void throw_db_error(const std::string& path, std::string_view what,
                                 sqlite3* db) {
  throw std::runtime_error("SQLite database '" + path + "': " + std::string(what) + ": " +
                           (db ? sqlite3_errmsg(db) : "out of memory"));
}

SqliteStmt prepare(sqlite3* db, const std::string& path, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  SqliteStmt stmt(raw);
  if (rc != SQLITE_OK) throw_db_error(path, "cannot prepare statement", db);
  return stmt;
}

// A connection to `path` beside the writer's (the readers, `crawl prune`):
// `flags` SQLITE_OPEN_READONLY or READWRITE, through `vfs` ("" SQLite's
// default), waiting up to kBusyTimeoutMs for another writer's lock.
// Throws naming `path` when it cannot be opened.
SqliteDb open_connection(const std::string& path, int flags, const std::string& vfs = {}) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, vfs.empty() ? nullptr : vfs.c_str());
  SqliteDb db(raw);
  if (rc != SQLITE_OK) throw_db_error(path, "cannot open", db.get());
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  return db;
}

// For the commands that only read (`crawl runs`, `changes`, `history`).
// Opening a WAL database creates its -wal and -shm files, and only a
// connection that may write removes them when it closes last: so a
// read-write connection whose statements cannot write (query_only), as the
// sqlite3 shell leaves nothing behind, and read-only where the file or its
// directory is not writable.
SqliteDb open_read_only(const std::string& path) {
  const std::filesystem::path file(path);
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  if (::access(path.c_str(), R_OK | W_OK) == 0 && ::access(dir.c_str(), W_OK) == 0) {
    try {
      SqliteDb db = open_connection(path, SQLITE_OPEN_READWRITE);
      if (sqlite3_exec(db.get(), "PRAGMA query_only = 1", nullptr, nullptr, nullptr) == SQLITE_OK) return db;
    } catch (const std::runtime_error&) {
      // read-only below, which names the failure if it fails too
    }
  }
  return open_connection(path, SQLITE_OPEN_READONLY);
}

// Resets a statement and drops its bindings when leaving scope, so the
// SQLITE_STATIC pointers bound below never outlive the data they point to.
class StmtScope {
 public:
  explicit StmtScope(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtScope() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtScope(const StmtScope&) = delete;
  StmtScope& operator=(const StmtScope&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Collects the results of a statement's binds, keeping the first failure, so
// the binds read as a list and are checked once.
class BindResults {
 public:
  void operator()(int result) {
    if (rc_ == SQLITE_OK) rc_ = result;
  }
  // SQLITE_OK, or the first bind's error code (e.g. SQLITE_TOOBIG for a
  // body over SQLite's length limit) with `error` saying so.
  int check(std::string& error) const {
    if (rc_ != SQLITE_OK) error = std::string("cannot bind: ") + sqlite3_errstr(rc_);
    return rc_;
  }

 private:
  int rc_ = SQLITE_OK;
};

// Binds `s` as TEXT without copying; empty binds NULL. The caller keeps `s`
// alive until the statement is reset.
int bind_text_or_null(sqlite3_stmt* stmt, int index, std::string_view s) {
  if (s.empty()) return sqlite3_bind_null(stmt, index);
  return sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
}

// Column `i` as text ("" for NULL).
std::string column_text(sqlite3_stmt* stmt, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))) : std::string();
}

int bind_int_or_null(sqlite3_stmt* stmt, int index, std::optional<std::int64_t> v) {
  return v ? sqlite3_bind_int64(stmt, index, *v) : sqlite3_bind_null(stmt, index);
}

std::optional<std::int64_t> column_int_or_null(sqlite3_stmt* stmt, int i) {
  if (sqlite3_column_type(stmt, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt, i);
}

// SQL functions of the writer's connection: crawl_fp(url) is
// url_fingerprint() (the key of urls.fp); crawl_sha1(blob) is sha1_digest()
// (migrating bodies stored before version 4).
void sql_fingerprint(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  if (p == nullptr) return sqlite3_result_null(ctx);
  const auto n = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
  sqlite3_result_int64(ctx, static_cast<std::int64_t>(url_fingerprint(std::string_view(p, n))));
}

void sql_origin(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  if (p == nullptr) return sqlite3_result_null(ctx);
  const auto n = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
  const std::string_view origin = url_origin(std::string_view(p, n));
  sqlite3_result_text64(ctx, origin.data(), origin.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void sql_sha1(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  const auto* p = static_cast<const char*>(sqlite3_value_blob(argv[0]));
  const auto n = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
  const std::string digest = sha1_digest(std::string_view(p ? p : "", n));
  sqlite3_result_text64(ctx, digest.data(), digest.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

int bind_double_or_null(sqlite3_stmt* stmt, int index, std::optional<double> v) {
  return v ? sqlite3_bind_double(stmt, index, *v) : sqlite3_bind_null(stmt, index);
}

int bind_blob(sqlite3_stmt* stmt, int index, std::string_view s) {
  // A zero-length blob with a null pointer would bind NULL; an empty body
  // (e.g. 204) must stay distinguishable from "no response".
  if (s.empty()) return sqlite3_bind_zeroblob(stmt, index, 0);
  return sqlite3_bind_blob64(stmt, index, s.data(), s.size(), SQLITE_STATIC);
}

std::string header_lines(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    if (!out.empty()) out += '\n';
    out += name;
    out += ": ";
    out += value;
  }
  return out;
}

// Errors that refuse one row and leave the transaction usable.
bool is_row_refusal(int rc) {
  switch (rc & 0xff) {
    case SQLITE_TOOBIG:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return true;
    default:
      return false;
  }
}

}  // namespace

SqliteSink::SqliteSink(const std::string& path, std::size_t max_queued_bytes)
    : SqliteSink(path, [&] {
        SqliteSinkOptions options;
        options.max_queued_bytes = max_queued_bytes;
        return options;
      }()) {}

SqliteSink::SqliteSink(const std::string& path, SqliteSinkOptions options)
    : QueuedSink(path, options.max_queued_bytes, options.group_commit), path_(path), options_(std::move(options)) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      options_.vfs.empty() ? nullptr : options_.vfs.c_str());
  db_.reset(raw);  // SQLite returns a handle even on failure; own it at once
  if (rc != SQLITE_OK) throw_db_error(path_, "cannot open", db_.get());
  sqlite3* db = db_.get();
  sqlite3_extended_result_codes(db, 1);
  // SQLite sleeps at most this long per attempt; exec_waiting() loops, so
  // the real bound is max_lock_wait and the wait is logged in between.
  sqlite3_busy_timeout(db, static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
                               std::min(options_.lock_warning_interval, options_.max_lock_wait).count(),
                               1, kMaxBusySliceMs)));

  {
    // A database of another program is not ours to add tables to (nor to
    // switch to WAL: checked before anything is written).
    SqliteStmt t = prepare(db, path_,
                           "SELECT (SELECT min(name) FROM sqlite_master WHERE type = 'table'), "
                           "EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs')");
    if (sqlite3_step(t.get()) != SQLITE_ROW) throw_db_error(path_, "cannot read the schema", db);
    const std::string some_table = column_text(t.get(), 0);
    if (!some_table.empty() && sqlite3_column_int(t.get(), 1) == 0) {
      throw std::runtime_error("SQLite database '" + path_ + "': not a crawl database (it has tables of another "
                               "program, e.g. '" + some_table + "'); refusing to write to it");
    }
  }
  std::string error;
  // A new file's page size (an existing file keeps its own). A body is
  // written as pages, each a WAL frame (two writes) and, at the checkpoint,
  // a read and a write more: 8 KiB pages halve that for large bodies. Larger
  // pages cost more than they save on sites of small pages, as every commit
  // writes its index and table leaves whole (README, "SQLite").
  if (exec("PRAGMA page_size=8192", error) != SQLITE_OK) throw_db_error(path_, "PRAGMA page_size", db);
  // journal_mode answers with the mode in force; anything but "wal" (e.g.
  // ":memory:") still works, only slower for concurrent readers.
  {
    SqliteStmt wal = prepare(db, path_, "PRAGMA journal_mode=WAL");
    if (sqlite3_step(wal.get()) != SQLITE_ROW) throw_db_error(path_, "cannot set WAL mode", db);
    const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(wal.get(), 0));
    if (mode == nullptr || std::string_view(mode) != "wal") {
      spdlog::warn("SQLite database '{}': journal_mode is {}, not wal", path_,
                   mode ? mode : "unknown");
    }
  }
  if (exec("PRAGMA synchronous=NORMAL", error) != SQLITE_OK) throw_db_error(path_, "PRAGMA synchronous", db);
  for (const auto& [name, fn] : {std::pair{"crawl_fp", &sql_fingerprint}, std::pair{"crawl_origin", &sql_origin},
                             std::pair{"crawl_sha1", &sql_sha1}}) {
    if (sqlite3_create_function_v2(db, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, fn, nullptr, nullptr,
                                   nullptr) != SQLITE_OK)
      throw_db_error(path_, std::string("cannot register function ") + name, db);
  }
  {
    // The file's own page size: a new file's is the one just asked for.
    SqliteStmt size = prepare(db, path_, "PRAGMA page_size");
    if (sqlite3_step(size.get()) != SQLITE_ROW) throw_db_error(path_, "cannot read page_size", db);
    const std::int64_t page = std::max(512, sqlite3_column_int(size.get(), 0));
    frames_ = {static_cast<int>(kCheckpointBytes / page), static_cast<int>(kForceCheckpointBytes / page),
               static_cast<int>(kTailBytes / page)};
  }
  // Replaces SQLite's automatic checkpoint (done by the writer, inside its commit).
  sqlite3_wal_hook(db, &SqliteSink::on_wal_commit, this);
  // A WAL that grew (a reader held it back) is cut back once checkpointed.
  exec("PRAGMA journal_size_limit=67108864", error);

  // Schema check and creation in one write transaction, so two crawls
  // starting on the same file cannot both see "no schema".
  if (exec_waiting("BEGIN IMMEDIATE", true, error) != SQLITE_OK) {
    throw std::runtime_error("SQLite database '" + path_ + "': cannot start transaction: " + error);
  }
  int version = 0;
  {
    SqliteStmt v = prepare(db, path_, "PRAGMA user_version");
    if (sqlite3_step(v.get()) != SQLITE_ROW) throw_db_error(path_, "cannot read user_version", db);
    version = sqlite3_column_int(v.get(), 0);
  }
  if (version > kSchemaVersion) {
    throw std::runtime_error("SQLite database '" + path_ + "': schema version " +
                             std::to_string(version) + " is newer than this build's " +
                             std::to_string(kSchemaVersion));
  }
  // Before version 4, `pages` was a table; now it is a view of latest and bodies.
  bool old_pages = false;
  {
    SqliteStmt t = prepare(db, path_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pages'");
    old_pages = sqlite3_step(t.get()) == SQLITE_ROW;
  }
  if (old_pages && exec("DROP INDEX IF EXISTS pages_run; ALTER TABLE pages RENAME TO pages_before_v4", error) != SQLITE_OK)
    throw_db_error(path_, "cannot migrate the pages table", db);
  if (exec(kSchemaSql, error) != SQLITE_OK) throw_db_error(path_, "cannot create schema", db);
  migrate_columns();
  if (old_pages) migrate_pages_table();
  if (version < kSchemaVersion &&
      exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str(), error) != SQLITE_OK) {
    throw_db_error(path_, "cannot set user_version", db);
  }
  if (exec_waiting("COMMIT", true, error) != SQLITE_OK) {
    throw std::runtime_error("SQLite database '" + path_ + "': cannot commit schema: " + error);
  }

  select_latest_ = prepare(db, path_, kSelectLatestSql);
  select_first_change_ = prepare(db, path_, kSelectFirstChangeSql);
  insert_body_ = prepare(db, path_, kInsertBodySql);
  select_body_ = prepare(db, path_, kSelectBodySql);
  upsert_latest_ = prepare(db, path_, kUpsertLatestSql);
  insert_fetch_ = prepare(db, path_, kInsertFetchSql);
  extend_chains_ = prepare(db, path_, kExtendChainsSql);
  select_chain_ = prepare(db, path_, kSelectChainSql);
  update_kept_ = prepare(db, path_, kUpdateKeptSql);
  insert_url_ = prepare(db, path_, kInsertUrlSql);
  settle_url_ = prepare(db, path_, kSettleUrlSql);
  mark_archive_ = prepare(db, path_, kMarkArchiveSql);
  started_url_ = prepare(db, path_, kStartedUrlSql);
  take_urls_ = prepare(db, path_, kTakeUrlsSql);
  if (options_.state) keep_state();
  insert_run_ = prepare(db, path_, kInsertRunSql);
  update_run_ = prepare(db, path_, kUpdateRunSql);

  // Started last: from here on only the writer thread uses db_ and the
  // statements (the thread start orders everything above before it).
  start_writer();
}

// Runs in the constructor's schema transaction. Checks the columns rather
// than trusting user_version alone, so a half-migrated file is completed.

void SqliteSink::migrate_columns() {
  sqlite3* db = db_.get();
  std::vector<std::pair<std::string, std::string>> have;  // table, column
  for (const char* table : {"runs", "urls"}) {
    SqliteStmt info = prepare(db, path_, (std::string("PRAGMA table_info(") + table + ")").c_str());
    while (sqlite3_step(info.get()) == SQLITE_ROW) {
      const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 1));
      if (name) have.emplace_back(table, name);
    }
  }
  std::string error;
  for (const auto& [table, name, type] : kColumnsSinceV1) {
    if (std::find(have.begin(), have.end(), std::pair<std::string, std::string>(table, name)) != have.end()) continue;
    const std::string column = std::string(table) + "." + name;
    const std::string sql = std::string("ALTER TABLE ") + table + " ADD COLUMN " + name + " " + type;
    if (exec(sql.c_str(), error) != SQLITE_OK) throw_db_error(path_, "cannot add column " + column, db);
    spdlog::debug("SQLite database '{}': added column {}", path_, column);
  }
}

void SqliteSink::migrate_pages_table() {
  std::string error;
  static constexpr const char* kMigrate = R"sql(
INSERT INTO bodies(digest, size, body)
  SELECT crawl_sha1(body), length(CAST(body AS BLOB)), body FROM pages_before_v4 WHERE body IS NOT NULL
  ON CONFLICT(digest) DO NOTHING;
INSERT INTO latest(url, final_url, status, content_type, body_id, fetched_at, elapsed_ms, depth, error,
                   redirects, headers, referrer, run_id, checked_at, changed_at)
  SELECT p.url, p.final_url, p.status, p.content_type,
         (SELECT b.id FROM bodies b WHERE b.digest = crawl_sha1(p.body)), p.fetched_at, p.elapsed_ms, p.depth,
         p.error, p.redirects, p.headers, p.referrer, p.run_id, p.fetched_at, p.fetched_at
  FROM pages_before_v4 p;
INSERT INTO fetches(page_id, run_id, fetched_at, status, change, body_id, error)
  SELECT id, run_id, coalesce(fetched_at, ''), status,
         CASE WHEN body_id IS NOT NULL AND status < 400 THEN 'new' ELSE 'failing' END, body_id, error
  FROM latest;
DROP TABLE pages_before_v4;
)sql";
  if (exec(kMigrate, error) != SQLITE_OK) throw_db_error(path_, "cannot migrate the pages table", db_.get());
  spdlog::info("SQLite database '{}': pages moved into the version {} schema (latest, bodies, fetches)", path_,
               kSchemaVersion);
}

SqliteSink::~SqliteSink() {
  stop_writer();
  stop_checkpointer();
}

int SqliteSink::on_wal_commit(void* self, sqlite3* db, const char* name, int pages) {
  auto* sink = static_cast<SqliteSink*>(self);
  if (pages < sink->frames_.checkpoint) return SQLITE_OK;
  // The writer copies the WAL's tail itself once the checkpointer has copied
  // the rest (or when the checkpointer is behind): the WAL then holds no frame
  // the database lacks, and the writer's next transaction starts it again
  // from its beginning. A PASSIVE checkpoint in another connection never
  // gets there while the writer keeps committing, and the WAL would grow to
  // kForceCheckpointBytes (its pages read back from an ever longer file, a
  // longer file to copy and delete at the end).
  if (pages >= sink->frames_.force || sink->tail_due_.exchange(false)) {
    // BUSY: the checkpointer is copying; the tail is taken at a later commit.
    int log_frames = 0, done_frames = 0;
    const int c = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
    spdlog::debug("{}: writer's checkpoint: {} ({} of {} WAL frames)", sink->path_, sqlite3_errstr(c), done_frames,
                  log_frames);
    if (c == SQLITE_BUSY) sink->tail_due_ = true;
  } else {
    std::lock_guard lock(sink->checkpoint_mutex_);
    if (!sink->checkpointer_.joinable() && !sink->checkpoint_stop_)
      sink->checkpointer_ = std::thread([sink] {
        name_this_thread("crawl-wal");
        sink->checkpoint_loop();
      });
    sink->checkpoint_wanted_ = true;
    sink->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteSink::checkpoint_loop() noexcept {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                 options_.vfs.empty() ? nullptr : options_.vfs.c_str());
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    spdlog::debug("{}: no checkpointer connection ({}); the writer checkpoints", path_, sqlite3_errstr(rc));
    db.reset();
  } else {
    sqlite3_busy_timeout(db.get(), 1000);
    // A connection learns that the file is in WAL mode by reading it; until
    // then a checkpoint does nothing (and says -1 frames).
    sqlite3_exec(db.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
  }
  std::unique_lock lock(checkpoint_mutex_);
  for (;;) {
    checkpoint_cv_.wait(lock, [&] { return checkpoint_wanted_ || checkpoint_stop_; });
    if (checkpoint_stop_) return;
    lock.unlock();
    if (db) {
      // Rounds of PASSIVE copies, each of what was committed during the
      // one before, until what is left is a short tail for the writer.
      int copied = 0;
      for (int round = 1;; ++round) {
        int log_frames = 0, done_frames = 0;
        const int c = sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
        spdlog::debug("{}: checkpoint: {} ({} of {} WAL frames)", path_, sqlite3_errstr(c), done_frames, log_frames);
        // Busy, held back by a reader, or the WAL started again meanwhile.
        if (c != SQLITE_OK || done_frames != log_frames || log_frames < copied) break;
        if (log_frames < frames_.checkpoint) break;
        if (log_frames - copied <= frames_.tail || round == kCheckpointRounds) {
          tail_due_ = true;
          break;
        }
        copied = log_frames;
      }
    }
    lock.lock();
    checkpoint_wanted_ = false;  // asked for by commits these rounds copied
  }
}

void SqliteSink::stop_checkpointer() noexcept {
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.notify_one();
  if (checkpointer_.joinable()) checkpointer_.join();
}

std::optional<std::int64_t> SqliteSink::current_run_id() const {
  const std::int64_t id = current_run_id_.load();
  if (id == 0) return std::nullopt;
  return id;
}

// One transaction per batch, or per max_transaction_bytes of it when the
// writer fell behind: a failed transaction (a full disk) loses only its own
// items, the ones committed before it stay. A row-level refusal
// (is_row_refusal) leaves the transaction alive: the rows before it are
// committed, the rest dropped (the sink has failed). Any other error ends
// the transaction: rollback, nothing of it written, and the rest of the
// batch lost with it. Once failed, the batch holds only EndRun items,
// written without waiting for a lock.
void SqliteSink::write_batch(const Batch& batch) {
  std::size_t begin = 0;
  while (begin < batch.size()) {
    std::size_t end = begin;
    std::size_t bytes = 0;
    while (end < batch.size() && (end == begin || bytes < options_.max_transaction_bytes))
      bytes += batch[end++].bytes;
    if (!write_transaction(batch, begin, end)) return;
    begin = end;
  }
}

bool SqliteSink::write_transaction(const Batch& batch, std::size_t begin, std::size_t end) {
  const bool patient = !failed();
  const std::int64_t run_at_start = current_run_id_.load();
  const std::size_t rest = batch.size() - begin;  // lost with a failed transaction
  staged_changes_.clear();
  staged_gone_ = 0;
  ending_run_ = 0;
  std::string error;
  if (exec_waiting("BEGIN IMMEDIATE", patient, error) != SQLITE_OK) {
    lose_transaction(rest, run_at_start, describe_batch(batch, begin) + ": " + error);
    return false;
  }
  std::int64_t pages = 0;
  std::size_t refused = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const auto& entry = batch[i];
    if (!should_write(entry.item)) continue;
    const int rc = write_item(entry.item, error);
    if (rc == SQLITE_OK) {
      if (const auto* page = std::get_if<Page>(&entry.item)) pages += page->store_page && options_.pages;
      continue;
    }
    if (is_row_refusal(rc) && !sqlite3_get_autocommit(db_.get())) {
      ++refused;
      fail(path_, describe(entry.item) + ": " + error);
      continue;
    }
    lose_transaction(rest - refused, run_at_start, describe(entry.item) + ": " + error);
    return false;
  }
  if (exec_waiting("COMMIT", patient, error) != SQLITE_OK) {
    lose_transaction(rest - refused, run_at_start, describe_batch(batch, begin) + ": " + error);
    return false;
  }
  count_written(pages);
  commit_changes();
  if (has_downstream())
    for (std::size_t i = begin; i < end; ++i) forward(batch[i].item);
  return true;
}

void SqliteSink::commit_changes() {
  for (const auto& [page, change] : staged_changes_) run_changes_[page] = change;
  gone_ += staged_gone_;
  staged_changes_.clear();
  staged_gone_ = 0;
  if (ending_run_ == 0 || failed()) return;
  RunChangeCounts ended;
  ended.run = ending_run_;
  for (const auto& [page, change] : run_changes_) ++ended.counts[change];
  if (gone_ > 0) ended.counts["gone"] += gone_;
  run_changes_.clear();
  gone_ = 0;
  ending_run_ = 0;
  std::lock_guard lock(changes_mutex_);
  ended_changes_ = std::move(ended);
}

std::optional<RunChangeCounts> SqliteSink::run_changes() const {
  std::lock_guard lock(changes_mutex_);
  return ended_changes_;
}

void SqliteSink::lose_transaction(std::size_t count, std::int64_t run_at_start, const std::string& message) {
  if (!sqlite3_get_autocommit(db_.get())) {
    std::string ignored;
    exec("ROLLBACK", ignored);
  }
  current_run_id_ = run_at_start;  // a BeginRun of the transaction was rolled back too
  fail(path_, message, static_cast<std::int64_t>(count));
}

int SqliteSink::write_item(const Item& item, std::string& error) {
  return std::visit(
      [&](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, Page>) {
          if (value.store_page && options_.pages) {
            if (const int rc = write_page(value.result, error); rc != SQLITE_OK) return rc;
          }
          return value.effects && options_.state ? write_effects(value.result.request, *value.effects, error)
                                                 : SQLITE_OK;
        } else if constexpr (!std::is_same_v<T, BeginRun> && !std::is_same_v<T, EndRun>) {
          if (!options_.state) return SQLITE_OK;  // the state lives downstream
          return write_state(value, error);
        } else if constexpr (std::is_same_v<T, BeginRun>) {
          return write_begin_run(value.info, error);
        } else {
          return write_end_run(value.summary, error);
        }
      },
      item);
}

template <typename T>
int SqliteSink::write_state(const T& op, std::string& error) {
  if constexpr (std::is_same_v<T, AddUrls>) {
    for (const auto& url : op.urls) {
      if (const int rc = write_url(insert_url_.get(), url, UrlState::queued, error); rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
  } else if constexpr (std::is_same_v<T, Started>) {
    sqlite3_stmt* stmt = started_url_.get();
    StmtScope scope(stmt);
    sqlite3_bind_int64(stmt, 1, static_cast<std::int64_t>(url_fingerprint(op.url)));
    return step_done(stmt, error);
  } else if constexpr (std::is_same_v<T, Take>) {
    return write_take(op, error);
  } else {
    static_assert(std::is_same_v<T, Resume>);
    return write_resume(op, error);
  }
}

int SqliteSink::new_in_run(std::int64_t page_id, std::int64_t run_id, bool& is_new, std::string& error) {
  sqlite3_stmt* stmt = select_first_change_.get();
  StmtScope scope(stmt);
  sqlite3_bind_int64(stmt, 1, page_id);
  sqlite3_bind_int64(stmt, 2, run_id);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    error = error_text(rc);
    return rc;
  }
  is_new = rc == SQLITE_ROW && column_text(stmt, 0) == "new";
  return SQLITE_OK;
}

int SqliteSink::write_page(const FetchResult& r, std::string& error) {
  const std::int64_t run_id = current_run_id_.load();
  const std::string fetched_at = iso8601_utc(r.fetched_at);
  // What is stored for the URL so far.
  struct Old {
    std::int64_t id = 0;
    std::optional<std::int64_t> body_id, status, failing_since, gone_since;
    std::string digest, changed_at;
    std::optional<std::int64_t> run_id;
    double revisit_s = 0;
    bool good() const { return body_id && status && *status < 400; }
  };
  std::optional<Old> old;
  {
    sqlite3_stmt* stmt = select_latest_.get();
    StmtScope scope(stmt);
    sqlite3_bind_text64(stmt, 1, r.request.url.data(), r.request.url.size(), SQLITE_STATIC, SQLITE_UTF8);
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      Old o;
      o.id = sqlite3_column_int64(stmt, 0);
      o.body_id = column_int_or_null(stmt, 1);
      o.status = column_int_or_null(stmt, 2);
      o.digest = column_text(stmt, 3);
      o.failing_since = column_int_or_null(stmt, 4);
      o.gone_since = column_int_or_null(stmt, 5);
      o.revisit_s = sqlite3_column_double(stmt, 6);
      o.changed_at = column_text(stmt, 17);  // l.changed_at (7 is l.etag)
      o.run_id = column_int_or_null(stmt, 18);
      old = std::move(o);
    } else if (rc != SQLITE_DONE) {
      error = error_text(rc);
      return rc;
    }
  }
  const bool old_good = old && old->good();
  if (r.skipped() && old_good) return SQLITE_OK;  // not a fetch: the good copy stays as it is

  const std::optional<std::int64_t> run = run_id != 0 ? std::optional(run_id) : std::nullopt;
  const bool has_response = r.status > 0;
  const bool good = !r.error && has_response && r.status < 400 && r.status != 304;
  const bool not_modified = !r.error && r.status == 304 && old_good;
  const std::string etag(r.header("ETag"));
  const std::string last_modified(r.header("Last-Modified"));
  const auto base_time = batch_time_.empty() ? r.fetched_at : run_.started_at;
  const auto due_after = [&](double interval_s) {
    return iso8601_utc(base_time + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                       std::chrono::duration<double>(interval_s)));
  };

  LatestRow row;  // the URL's latest row, when it is replaced as a whole
  FetchRow fetch;
  fetch.run_id = run;
  fetch.fetched_at = fetched_at;
  if (has_response) fetch.status = r.status;
  if (good || not_modified) {
    std::optional<std::int64_t> body_id = old_good ? old->body_id : std::nullopt;
    std::string digest = old_good ? old->digest : std::string();
    if (good) {
      digest = r.body_digest.empty() ? sha1_digest(r.body) : r.body_digest;
      if (!old_good || digest != old->digest) {
        if (const int rc = store_body(digest, r.body, body_id, error); rc != SQLITE_OK) return rc;
      }
    }
    // A page first stored by this very run (fetched again in it: a cookie
    // wall's second request, a resumed run) is still new to it.
    bool new_this_run = false;
    if (old_good && run && old->run_id == run) {
      if (const int rc = new_in_run(old->id, *run, new_this_run, error); rc != SQLITE_OK) return rc;
    }
    const bool is_new = !old_good || new_this_run;
    const bool changed = !is_new && digest != old->digest;
    const bool was_failing = old && (old->failing_since || old->gone_since);
    fetch.change = is_new ? "new" : changed ? "changed" : was_failing ? "recovered" : "unchanged";
    const double interval = run_.revisit.next_interval(old ? old->revisit_s : 0, is_new, changed);
    fetch.body_id = body_id;
    fetch.etag = etag;
    fetch.last_modified = last_modified;
    if (not_modified) {
      // The copy stays; what the 304 says of it is updated (RFC 9111 4.3.4).
      KeptRow kept;
      kept.id = old->id;
      kept.checked_at = fetched_at;
      kept.etag = etag;
      kept.last_modified = last_modified;
      kept.revisit_s = interval;
      kept.next_due = due_after(interval);
      kept.run_id = run;
      if (const int rc = update_kept(kept, error); rc != SQLITE_OK) return rc;
      fetch.page_id = old->id;
      return insert_fetch(fetch, error);
    }
    row.body_id = body_id;
    row.etag = etag;
    row.last_modified = last_modified;
    row.checked_at = fetched_at;
    row.changed_at = is_new || changed ? fetched_at : old->changed_at;
    row.revisit_s = interval;
    row.next_due = due_after(interval);
  } else if (old_good) {
    // A failure never replaces a good copy: it is recorded beside it.
    const bool gone = !r.error && (r.status == 404 || r.status == 410);
    const std::string why = r.error ? r.error_string() : "HTTP " + std::to_string(r.status);
    KeptRow kept;
    kept.id = old->id;
    kept.error = why;
    kept.failing_since = gone ? old->failing_since : old->failing_since ? old->failing_since : run;
    kept.gone_since = gone ? (old->gone_since ? old->gone_since : run) : old->gone_since;
    kept.revisit_s = old->revisit_s;
    // next_due stays empty: due at every batch until it answers again
    if (const int rc = update_kept(kept, error); rc != SQLITE_OK) return rc;
    fetch.page_id = old->id;
    fetch.change = gone ? "gone" : "failing";
    fetch.error = why;
    return insert_fetch(fetch, error);
  } else {
    // No good copy (ever): the latest failure (or skip) is what is known,
    // with the body of an error response (a 404 page), not that of a broken one.
    if (has_response && !r.error) {
      const std::string digest = r.body_digest.empty() ? sha1_digest(r.body) : r.body_digest;
      if (const int rc = store_body(digest, r.body, row.body_id, error); rc != SQLITE_OK) return rc;
    }
    row.error = r.error_string();
    if (!r.skipped()) row.failing_since = old && old->failing_since ? old->failing_since : run;
    fetch.change = "failing";
    fetch.body_id = row.body_id;
    fetch.error = r.error ? r.error_string() : "HTTP " + std::to_string(r.status);
  }
  row.url = &r.request.url;
  row.result = &r;
  row.fetched_at = fetched_at;
  row.run_id = run;
  const bool hop = r.is_redirect() && r.redirects.size() == 1;  // a page's redirect (robots.txt: followed)
  if (hop) {
    if (const int rc = redirect_chain(r, row, error); rc != SQLITE_OK) return rc;
  }
  std::int64_t page_id = 0;
  if (const int rc = upsert_latest(row, page_id, error); rc != SQLITE_OK) return rc;
  if (hop) {
    // The chains that led here lead on the same way.
    sqlite3_stmt* stmt = extend_chains_.get();
    StmtScope scope(stmt);
    BindResults bind;
    bind(sqlite3_bind_text64(stmt, 1, r.request.url.data(), r.request.url.size(), SQLITE_STATIC, SQLITE_UTF8));
    bind(sqlite3_bind_text64(stmt, 2, row.redirects.data(), row.redirects.size(), SQLITE_STATIC, SQLITE_UTF8));
    bind(sqlite3_bind_text64(stmt, 3, row.final_url.data(), row.final_url.size(), SQLITE_STATIC, SQLITE_UTF8));
    if (const int rc = bind.check(error); rc != SQLITE_OK) return rc;
    if (const int rc = step_done(stmt, error); rc != SQLITE_OK) return rc;
  }
  if (r.skipped()) return SQLITE_OK;  // not a fetch: no history
  fetch.page_id = page_id;
  return insert_fetch(fetch, error);
}

int SqliteSink::store_body(const std::string& digest, std::string_view body, std::optional<std::int64_t>& id,
                           std::string& error) {
  {
    sqlite3_stmt* stmt = insert_body_.get();
    StmtScope scope(stmt);
    BindResults bind;
    bind(sqlite3_bind_text64(stmt, 1, digest.data(), digest.size(), SQLITE_STATIC, SQLITE_UTF8));
    bind(sqlite3_bind_int64(stmt, 2, static_cast<std::int64_t>(body.size())));
    bind(bind_blob(stmt, 3, body));
    if (const int rc = bind.check(error); rc != SQLITE_OK) return rc;  // e.g. SQLITE_TOOBIG: a body over SQLite's limit
    if (const int rc = step_done(stmt, error); rc != SQLITE_OK) return rc;
  }
  if (sqlite3_changes(db_.get()) > 0) {
    id = sqlite3_last_insert_rowid(db_.get());
    return SQLITE_OK;
  }
  sqlite3_stmt* stmt = select_body_.get();
  StmtScope scope(stmt);
  sqlite3_bind_text64(stmt, 1, digest.data(), digest.size(), SQLITE_STATIC, SQLITE_UTF8);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    error = rc == SQLITE_DONE ? "body " + digest + " vanished" : error_text(rc);
    return rc == SQLITE_DONE ? SQLITE_CORRUPT : rc;
  }
  id = sqlite3_column_int64(stmt, 0);
  return SQLITE_OK;
}

int SqliteSink::redirect_chain(const FetchResult& r, LatestRow& row, std::string& error) {
  const std::string& target = r.redirects.front();
  row.redirects = json_string_array(r.redirects);
  row.final_url = target;
  sqlite3_stmt* stmt = select_chain_.get();
  StmtScope scope(stmt);
  sqlite3_bind_text64(stmt, 1, target.data(), target.size(), SQLITE_STATIC, SQLITE_UTF8);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return SQLITE_OK;  // not recorded yet: recording it extends this chain
  if (rc != SQLITE_ROW) {
    error = error_text(rc);
    return rc;
  }
  const std::string rest = column_text(stmt, 0);
  // The target's chain, unless it leads back here (a loop: it ends at the target).
  const std::string self = json_string_array({r.request.url});  // ["url"]
  const std::string quoted = self.substr(1, self.size() - 2);  // "url", as an element of `rest` reads
  if (rest.size() > 2 && rest.front() == '[' && rest.back() == ']' && rest.find(quoted) == std::string::npos) {
    row.redirects.pop_back();
    row.redirects += ',';
    row.redirects.append(rest, 1);
    row.final_url = column_text(stmt, 1);
  }
  return SQLITE_OK;
}

int SqliteSink::upsert_latest(const LatestRow& row, std::int64_t& page_id, std::string& error) {
  const FetchResult& r = *row.result;
  sqlite3_stmt* stmt = upsert_latest_.get();
  StmtScope scope(stmt);
  const bool has_response = r.status > 0;
  // Kept alive until `scope` resets the statement (bound SQLITE_STATIC).
  const std::string redirects = !row.redirects.empty() ? row.redirects
                                : r.redirects.empty() ? std::string()
                                                      : json_string_array(r.redirects);
  const std::string headers = header_lines(r.headers);
  BindResults bind;
  bind(sqlite3_bind_text64(stmt, 1, row.url->data(), row.url->size(), SQLITE_STATIC, SQLITE_UTF8));
  bind(bind_text_or_null(stmt, 2, row.final_url.empty() ? r.final_url : row.final_url));
  bind(has_response ? sqlite3_bind_int64(stmt, 3, r.status) : sqlite3_bind_null(stmt, 3));
  bind(bind_text_or_null(stmt, 4, r.content_type));
  bind(bind_int_or_null(stmt, 5, row.body_id));
  bind(bind_text_or_null(stmt, 6, row.fetched_at));
  bind(sqlite3_bind_double(stmt, 7, r.elapsed_ms));
  bind(sqlite3_bind_int(stmt, 8, r.request.depth));
  bind(bind_text_or_null(stmt, 9, row.error));
  bind(bind_text_or_null(stmt, 10, redirects));
  bind(bind_text_or_null(stmt, 11, headers));
  bind(bind_text_or_null(stmt, 12, r.request.referrer));
  bind(bind_int_or_null(stmt, 13, row.run_id));
  bind(bind_text_or_null(stmt, 14, row.etag));
  bind(bind_text_or_null(stmt, 15, row.last_modified));
  bind(bind_text_or_null(stmt, 16, row.checked_at));
  bind(bind_text_or_null(stmt, 17, row.changed_at));
  bind(bind_int_or_null(stmt, 18, row.failing_since));
  bind(bind_int_or_null(stmt, 19, std::nullopt));  // gone_since: it answered
  bind(row.revisit_s > 0 ? sqlite3_bind_double(stmt, 20, row.revisit_s) : sqlite3_bind_null(stmt, 20));
  bind(bind_text_or_null(stmt, 21, row.next_due));
  bind(bind_text_or_null(stmt, 22, row.body_id && r.status < 400 ? std::string_view(r.links) : std::string_view()));
  if (const int rc = bind.check(error); rc != SQLITE_OK) return rc;
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    error = error_text(rc);
    return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
  }
  page_id = sqlite3_column_int64(stmt, 0);
  return step_done(stmt, error);
}

int SqliteSink::update_kept(const KeptRow& kept, std::string& error) {
  sqlite3_stmt* stmt = update_kept_.get();
  StmtScope scope(stmt);
  BindResults bind;
  bind(sqlite3_bind_int64(stmt, 1, kept.id));
  bind(bind_text_or_null(stmt, 2, kept.error));
  bind(bind_int_or_null(stmt, 3, kept.failing_since));
  bind(bind_int_or_null(stmt, 4, kept.gone_since));
  bind(bind_text_or_null(stmt, 5, kept.checked_at));
  bind(bind_text_or_null(stmt, 6, kept.etag));
  bind(bind_text_or_null(stmt, 7, kept.last_modified));
  bind(kept.revisit_s > 0 ? sqlite3_bind_double(stmt, 8, kept.revisit_s) : sqlite3_bind_null(stmt, 8));
  bind(bind_text_or_null(stmt, 9, kept.next_due));
  bind(bind_int_or_null(stmt, 10, kept.run_id));
  if (const int rc = bind.check(error); rc != SQLITE_OK) return rc;
  return step_done(stmt, error);
}

int SqliteSink::insert_fetch(const FetchRow& f, std::string& error) {
  sqlite3_stmt* stmt = insert_fetch_.get();
  StmtScope scope(stmt);
  BindResults bind;
  bind(sqlite3_bind_int64(stmt, 1, f.page_id));
  bind(bind_int_or_null(stmt, 2, f.run_id));
  bind(bind_text_or_null(stmt, 3, f.fetched_at));
  bind(bind_int_or_null(stmt, 4, f.status));
  bind(sqlite3_bind_text(stmt, 5, f.change, -1, SQLITE_STATIC));
  bind(bind_int_or_null(stmt, 6, f.body_id));
  bind(bind_text_or_null(stmt, 7, f.etag));
  bind(bind_text_or_null(stmt, 8, f.last_modified));
  bind(bind_text_or_null(stmt, 9, f.error));
  if (const int rc = bind.check(error); rc != SQLITE_OK) return rc;
  if (const int rc = step_done(stmt, error); rc != SQLITE_OK) return rc;
  if (f.run_id && *f.run_id == current_run_id_.load()) staged_changes_.emplace_back(f.page_id, f.change);
  return SQLITE_OK;
}

int SqliteSink::write_url(sqlite3_stmt* stmt, const StateUrl& u, UrlState state, std::string& error) {
  StmtScope scope(stmt);
  const std::string_view host = url_origin(u.url);
  const char* kind = u.kind == RequestKind::sitemap ? "sitemap" : "page";
  const char* state_text = to_string(state);
  const std::int64_t run_id = current_run_id_.load();
  BindResults bind;
  bind(sqlite3_bind_int64(stmt, 1, static_cast<std::int64_t>(url_fingerprint(u.url))));
  bind(sqlite3_bind_text64(stmt, 2, u.url.data(), u.url.size(), SQLITE_STATIC, SQLITE_UTF8));
  bind(sqlite3_bind_text64(stmt, 3, host.data(), host.size(), SQLITE_STATIC, SQLITE_UTF8));
  bind(sqlite3_bind_text(stmt, 4, state_text, -1, SQLITE_STATIC));
  bind(sqlite3_bind_int(stmt, 5, u.depth));
  bind(sqlite3_bind_double(stmt, 6, u.priority));
  bind(bind_text_or_null(stmt, 7, u.referrer));
  bind(sqlite3_bind_text(stmt, 8, kind, -1, SQLITE_STATIC));
  bind(sqlite3_bind_int(stmt, 9, u.attempts));
  bind(run_id != 0 ? sqlite3_bind_int64(stmt, 10, run_id) : sqlite3_bind_null(stmt, 10));
  bind(sqlite3_bind_int(stmt, 11, u.redirects));
  if (const int rc = bind.check(error); rc != SQLITE_OK) return rc;
  return step_done(stmt, error);
}

int SqliteSink::write_effects(const FetchRequest& request, const UrlEffects& effects, std::string& error) {
  {
    sqlite3_stmt* stmt = settle_url_.get();
    StmtScope scope(stmt);
    sqlite3_bind_int64(stmt, 1, static_cast<std::int64_t>(url_fingerprint(request.url)));
    sqlite3_bind_text(stmt, 2, to_string(effects.state), -1, SQLITE_STATIC);
    if (const int rc = step_done(stmt, error); rc != SQLITE_OK) return rc;
  }
  if (sqlite3_changes(db_.get()) == 0) {  // not in the state (e.g. stored without it): added as it ends
    StateUrl self{request.url, request.depth,        request.priority, request.referrer, request.kind,
                  request.attempt + 1, {}, request.redirects};
    if (const int rc = write_url(insert_url_.get(), self, effects.state, error); rc != SQLITE_OK) return rc;
  }
  for (const auto& u : effects.added) {
    if (const int rc = write_url(insert_url_.get(), u, UrlState::queued, error); rc != SQLITE_OK) return rc;
  }
  if (const auto& mark = effects.archive) {
    sqlite3_stmt* stmt = mark_archive_.get();
    StmtScope scope(stmt);
    sqlite3_bind_text64(stmt, 1, mark->prefix.data(), mark->prefix.size(), SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_text64(stmt, 2, mark->file.data(), mark->file.size(), SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_int64(stmt, 3, mark->offset);
    if (const int rc = step_done(stmt, error); rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

int SqliteSink::write_take(const Take& take, std::string& error) {
  std::vector<StateUrl> urls;
  {
    sqlite3_stmt* stmt = take_urls_.get();
    StmtScope scope(stmt);
    sqlite3_bind_text64(stmt, 1, take.origin.data(), take.origin.size(), SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_int64(stmt, 2, static_cast<std::int64_t>(take.limit));
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      StateUrl u;
      u.url = column_text(stmt, 0);
      u.depth = sqlite3_column_int(stmt, 1);
      u.priority = sqlite3_column_double(stmt, 2);
      u.referrer = column_text(stmt, 3);
      u.kind = column_text(stmt, 4) == "sitemap" ? RequestKind::sitemap : RequestKind::page;
      u.attempts = sqlite3_column_int(stmt, 5);
      u.redirects = sqlite3_column_int(stmt, 10);
      if (sqlite3_column_type(stmt, 6) != SQLITE_NULL) {  // a good copy is stored
        auto known = std::make_shared<KnownCopy>();
        known->etag = column_text(stmt, 7);
        known->last_modified = column_text(stmt, 8);
        const std::string next_due = column_text(stmt, 9);
        // ISO 8601 UTC texts of one width compare as times.
        known->due = !run_.revisit.adaptive || next_due.empty() || batch_time_.empty() || next_due <= batch_time_;
        u.known = std::move(known);
      }
      urls.push_back(std::move(u));
    }
    if (rc != SQLITE_DONE) {
      error = error_text(rc);
      return rc;
    }
  }
  take.taken(take.origin, std::move(urls));
  return SQLITE_OK;
}

int SqliteSink::write_resume(const Resume& resume, std::string& error) {
  sqlite3* db = db_.get();
  ResumePoint& point = *resume.out;
  point = {};
  std::optional<std::int64_t> last_run;
  bool unfinished = false;
  bool has_urls = false;
  int rc = SQLITE_OK;
  {  // where each --warc archive stands, resumed or not (an abandoned file is closed at its mark)
    SqliteStmt q = prepare(db, path_, "SELECT prefix, file, offset FROM archive_marks");
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW)
      point.archives.push_back(
          ArchiveMark{column_text(q.get(), 0), column_text(q.get(), 1), sqlite3_column_int64(q.get(), 2)});
    if (rc != SQLITE_DONE) {
      error = error_text(rc);
      return rc;
    }
  }
  {
    SqliteStmt q = prepare(db, path_, "SELECT id, outcome FROM runs ORDER BY id DESC LIMIT 1");
    if ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      last_run = sqlite3_column_int64(q.get(), 0);
      const std::string outcome = column_text(q.get(), 1);
      unfinished = sqlite3_column_type(q.get(), 1) == SQLITE_NULL || outcome == "interrupted" ||
                   outcome == "terminated" || outcome == "storage-failed";
    } else if (rc != SQLITE_DONE) {
      error = error_text(rc);
      return rc;
    }
  }
  {
    SqliteStmt q = prepare(db, path_, "SELECT EXISTS(SELECT 1 FROM urls)");
    if ((rc = sqlite3_step(q.get())) != SQLITE_ROW) {
      error = error_text(rc);
      return rc;
    }
    has_urls = sqlite3_column_int(q.get(), 0) != 0;
  }
  if (!unfinished || !has_urls || resume.restart) {
    if (resume.restart && unfinished && has_urls) {
      SqliteStmt q = prepare(db, path_, "SELECT count(*) FROM urls WHERE state IN ('queued', 'in_flight')");
      const std::int64_t left = sqlite3_step(q.get()) == SQLITE_ROW ? sqlite3_column_int64(q.get(), 0) : 0;
      spdlog::warn("--restart: discarding the unfinished crawl of run {} in {}: {} URLs queued or in flight and "
                   "the record of the URLs it saw (stored pages are kept)",
                   *last_run, path_, left);
    }
    if (has_urls && (rc = exec("DELETE FROM urls", error)) != SQLITE_OK) return rc;
    return read_known(point, error);
  }
  point.resumed_run = last_run;
  if ((rc = exec("UPDATE urls SET state = 'queued' WHERE state = 'in_flight'", error)) != SQLITE_OK) return rc;
  point.requeued = sqlite3_changes64(db);
  {
    SqliteStmt q = prepare(db, path_, "SELECT fp FROM urls");
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW)
      point.seen.push_back(static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 0)));
    if (rc != SQLITE_DONE) {
      error = error_text(rc);
      return rc;
    }
  }
  if ((rc = read_known(point, error)) != SQLITE_OK) return rc;
  {
    SqliteStmt q = prepare(db, path_, "SELECT host, count(*) FROM urls WHERE state = 'queued' GROUP BY host");
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      const std::int64_t n = sqlite3_column_int64(q.get(), 1);
      point.queued += n;
      point.queued_by_host.emplace_back(column_text(q.get(), 0), n);
    }
    if (rc != SQLITE_DONE) {
      error = error_text(rc);
      return rc;
    }
  }
  return SQLITE_OK;
}

int SqliteSink::read_known(ResumePoint& point, std::string& error) {
  SqliteStmt q = prepare(db_.get(), path_,
                         "SELECT crawl_fp(url) FROM latest WHERE body_id IS NOT NULL AND status < 400");
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW)
    point.known.push_back(static_cast<std::uint64_t>(sqlite3_column_int64(q.get(), 0)));
  if (rc != SQLITE_DONE) {
    error = error_text(rc);
    return rc;
  }
  return SQLITE_OK;
}

int SqliteSink::write_begin_run(const RunInfo& info, std::string& error) {
  current_run_id_ = 0;
  run_changes_.clear();
  gone_ = 0;
  {
    std::lock_guard lock(changes_mutex_);
    ended_changes_.reset();
  }
  run_ = info;
  batch_time_ = iso8601_utc(info.started_at);
  sqlite3_stmt* stmt = insert_run_.get();
  StmtScope scope(stmt);
  const std::string started_at = iso8601_utc(info.started_at);
  BindResults bind;
  bind(bind_text_or_null(stmt, 1, started_at));
  bind(bind_text_or_null(stmt, 2, info.mode));
  bind(sqlite3_bind_int(stmt, 3, info.concurrency));
  bind(bind_text_or_null(stmt, 4, info.urls_file));
  bind(bind_text_or_null(stmt, 5, info.settings));
  bind(info.resumed_from ? sqlite3_bind_int64(stmt, 6, *info.resumed_from) : sqlite3_bind_null(stmt, 6));
  bind(info.resumed_from ? sqlite3_bind_int64(stmt, 7, info.requeued) : sqlite3_bind_null(stmt, 7));
  bind(info.pid != 0 ? sqlite3_bind_int64(stmt, 8, info.pid) : sqlite3_bind_null(stmt, 8));
  if (const int rc = bind.check(error); rc != SQLITE_OK) return rc;
  if (const int rc = step_done(stmt, error); rc != SQLITE_OK) return rc;
  current_run_id_ = sqlite3_last_insert_rowid(db_.get());
  return SQLITE_OK;
}

int SqliteSink::write_end_run(const RunSummary& s, std::string& error) {
  const std::int64_t run_id = current_run_id_.load();
  if (run_id == 0) {
    spdlog::warn("SQLite database '{}': end_run without a recorded begin_run; not recorded",
                 path_);
    return SQLITE_OK;
  }
  sqlite3_stmt* stmt = update_run_.get();
  StmtScope scope(stmt);
  const std::string finished_at = iso8601_utc(s.finished_at);
  const std::string by_kind = json_count_object(s.errors_by_kind);
  BindResults bind;
  bind(bind_text_or_null(stmt, 1, finished_at));
  bind(sqlite3_bind_int64(stmt, 2, s.pages));
  bind(sqlite3_bind_int64(stmt, 3, s.bytes));
  bind(sqlite3_bind_int64(stmt, 4, s.errors));
  bind(bind_text_or_null(stmt, 5, by_kind));
  bind(sqlite3_bind_double(stmt, 6, s.elapsed_s));
  bind(s.elapsed_s > 0
           ? sqlite3_bind_double(stmt, 7, static_cast<double>(s.pages) / s.elapsed_s)
           : sqlite3_bind_null(stmt, 7));
  bind(bind_text_or_null(stmt, 8, to_string(s.outcome)));
  bind(sqlite3_bind_int64(stmt, 9, run_id));
  bind(sqlite3_bind_int64(stmt, 10, s.skipped));
  bind(bind_double_or_null(stmt, 11, s.cpu_s));
  bind(s.peak_rss_bytes ? sqlite3_bind_int64(stmt, 12, *s.peak_rss_bytes) : sqlite3_bind_null(stmt, 12));
  bind(bind_double_or_null(stmt, 13, s.latency_p50_ms));
  bind(bind_double_or_null(stmt, 14, s.latency_p95_ms));
  bind(bind_double_or_null(stmt, 15, s.latency_p99_ms));
  if (const int rc = bind.check(error); rc != SQLITE_OK) return rc;
  if (const int rc = step_done(stmt, error); rc != SQLITE_OK) return rc;
  if (s.outcome == RunOutcome::completed && options_.pages) {
    if (const int rc = write_batch_end(run_id, finished_at, error); rc != SQLITE_OK) return rc;
  }
  ending_run_ = run_id;  // its changes are published when this commits
  current_run_id_ = 0;
  batch_time_.clear();
  return SQLITE_OK;
}

namespace {

// The good copies a batch did not reach (its urls rows are the URLs it
// reached), not yet gone, on hosts that answered in this batch (a host that
// is down hides what its pages link to: its pages are not gone for that).
constexpr const char* kUnreachedSql =
    "FROM latest l WHERE l.gone_since IS NULL AND l.body_id IS NOT NULL AND l.status < 400 "
    "AND NOT EXISTS (SELECT 1 FROM urls u WHERE u.fp = crawl_fp(l.url)) "
    "AND crawl_origin(l.url) IN temp.answered_hosts";

// Sets `found`: whether latest holds a page last written by a run before
// `run_id`. Every row the current run wrote has its run_id (the upsert is the
// only writer of the column) and its URL in urls: it cannot be unreached.
int stored_by_earlier_run(sqlite3* db, std::int64_t run_id, bool& found) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT EXISTS(SELECT 1 FROM latest WHERE run_id < ?1 OR run_id IS NULL)", -1,
                              &raw, nullptr);
  SqliteStmt stmt(raw);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_int64(stmt.get(), 1, run_id);
  if ((rc = sqlite3_step(stmt.get())) != SQLITE_ROW) return rc;
  found = sqlite3_column_int(stmt.get(), 0) != 0;
  return SQLITE_OK;
}

// Which fetches rows a retention keeps: per page, its newest version
// (a row that brought a body: new, changed), the newest `?1` versions (0:
// no such rule) and those fetched since `?2` ("": no such rule), every row
// after the oldest version kept, and the rows of the body latest shows.
constexpr const char* kPruneFetchesSql = R"sql(
WITH versions AS (
  SELECT id, page_id, fetched_at,
         row_number() OVER (PARTITION BY page_id ORDER BY id DESC) AS nth
  FROM fetches WHERE change IN ('new', 'changed')),
kept AS (
  SELECT page_id, min(id) AS first_kept FROM versions
  WHERE nth = 1 OR (?1 > 0 AND nth <= ?1) OR (?2 <> '' AND fetched_at >= ?2)
  GROUP BY page_id)
DELETE FROM fetches WHERE id IN (
  SELECT f.id FROM fetches f JOIN kept k ON k.page_id = f.page_id
  WHERE f.id < k.first_kept
    AND f.body_id IS NOT (SELECT l.body_id FROM latest l WHERE l.id = f.page_id))
)sql";

constexpr const char* kPruneBodiesSql = R"sql(
DELETE FROM bodies WHERE NOT EXISTS (SELECT 1 FROM fetches f WHERE f.body_id = bodies.id)
  AND NOT EXISTS (SELECT 1 FROM latest l WHERE l.body_id = bodies.id)
)sql";

// Deletes what `retention` does not keep, in the open transaction of `db`.
int prune(sqlite3* db, const Retention& retention, std::chrono::system_clock::time_point now,
          std::int64_t& fetches_deleted, std::int64_t& bodies_deleted) {
  const std::string since =
      retention.newer_than_s > 0
          ? iso8601_utc(now - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                  std::chrono::duration<double>(retention.newer_than_s)))
          : std::string();
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, kPruneFetchesSql, -1, &raw, nullptr);
  SqliteStmt stmt(raw);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_int64(stmt.get(), 1, retention.versions);
  sqlite3_bind_text(stmt.get(), 2, since.c_str(), -1, SQLITE_TRANSIENT);
  if ((rc = sqlite3_step(stmt.get())) != SQLITE_DONE) return rc;
  fetches_deleted = sqlite3_changes64(db);
  if ((rc = sqlite3_exec(db, kPruneBodiesSql, nullptr, nullptr, nullptr)) != SQLITE_OK) return rc;
  bodies_deleted = sqlite3_changes64(db);
  return SQLITE_OK;
}

}  // namespace

int SqliteSink::write_batch_end(std::int64_t run_id, const std::string& now, std::string& error) {
  // Only a page stored by an earlier run can be unreached: the first crawl
  // into a file skips the scan (16 ms at 10,000 pages, in its wall time).
  bool earlier_pages = false;
  if (options_.state)
    if (const int rc = stored_by_earlier_run(db_.get(), run_id, earlier_pages); rc != SQLITE_OK) {
      error = error_text(rc);
      return rc;
    }
  if (earlier_pages) {
    if (const int rc = exec("DROP TABLE IF EXISTS temp.answered_hosts; "
                            "CREATE TEMP TABLE answered_hosts AS SELECT DISTINCT host FROM urls WHERE state = 'done'",
                            error);
        rc != SQLITE_OK)
      return rc;
    // Pages it no longer reaches: gone (their last copy kept).
    const std::string insert =
        fmt::format("INSERT INTO fetches(page_id, run_id, fetched_at, change, error) "
                    "SELECT l.id, {}, '{}', 'gone', 'no longer linked' {}",
                    run_id, now, kUnreachedSql);
    if (const int rc = exec(insert.c_str(), error); rc != SQLITE_OK) return rc;
    if (const auto gone = sqlite3_changes64(db_.get()); gone > 0) {
      staged_gone_ += gone;
      const std::string update = fmt::format(
          "UPDATE latest SET gone_since = {}, next_due = NULL WHERE id IN (SELECT l.id {})", run_id, kUnreachedSql);
      if (const int rc = exec(update.c_str(), error); rc != SQLITE_OK) return rc;
      spdlog::info("{} pages stored before were not reached by this batch: reported gone (their copies kept)", gone);
    }
    if (const int rc = exec("DROP TABLE temp.answered_hosts", error); rc != SQLITE_OK) return rc;
  }
  if (run_.retention.any()) {
    std::int64_t fetches_deleted = 0, bodies_deleted = 0;
    if (const int rc = prune(db_.get(), run_.retention, run_.started_at, fetches_deleted, bodies_deleted);
        rc != SQLITE_OK) {
      error = error_text(rc);
      return rc;
    }
    if (fetches_deleted > 0)
      spdlog::info("retention: {} history rows and {} bodies pruned", fetches_deleted, bodies_deleted);
  }
  return SQLITE_OK;
}

int SqliteSink::step_done(sqlite3_stmt* stmt, std::string& error) {
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  error = error_text(rc);
  return rc;
}

std::string SqliteSink::error_text(int rc) const {
  std::string text = sqlite3_errmsg(db_.get());
  const int primary = rc & 0xff;
  if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
    // Only set for these: SQLite records errno when a system call failed.
    if (const int err = sqlite3_system_errno(db_.get()); err != 0) {
      text += " (" + std::error_code(err, std::generic_category()).message() + ")";
    }
  }
  return text;
}

int SqliteSink::exec(const char* sql, std::string& error) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) error = error_text(rc);
  return rc;
}

int SqliteSink::exec_waiting(const char* sql, bool patient, std::string& error) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto next_warning = start + options_.lock_warning_interval;
  for (;;) {
    const int rc = exec(sql, error);
    if ((rc & 0xff) != SQLITE_BUSY || !patient) return rc;
    const auto now = Clock::now();
    const auto waited_s = std::chrono::duration<double>(now - start).count();
    if (now - start >= options_.max_lock_wait) {
      error = fmt::format("database is locked by another process; gave up after {:.1f} s",
                          waited_s);
      return rc;
    }
    if (now >= next_warning) {
      spdlog::warn("{}: database is locked by another process; waiting ({:.0f} s so far)", path_,
                   waited_s);
      next_warning = now + options_.lock_warning_interval;
    }
  }
}

std::vector<RunRecord> read_runs(const std::string& path, std::int64_t limit) {
  SqliteDb db = open_read_only(path);

  std::vector<std::string> have;
  {
    SqliteStmt info = prepare(db.get(), path, "PRAGMA table_info(runs)");
    int step = 0;
    while ((step = sqlite3_step(info.get())) == SQLITE_ROW) {
      const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 1));
      if (name) have.emplace_back(name);
    }
    if (step != SQLITE_DONE) throw_db_error(path, "cannot read the schema", db.get());
  }
  if (have.empty())
    throw std::runtime_error("SQLite database '" + path + "': no runs table (not written by crawl)");

  static constexpr const char* kColumns[] = {
      "id",          "started_at",  "finished_at",    "mode",           "concurrency",    "urls_file",
      "settings",    "outcome",     "errors_by_kind", "pages",          "bytes",          "errors",
      "skipped",     "peak_rss_bytes", "elapsed_s",   "pages_per_s",    "cpu_s",          "latency_p50_ms",
      "latency_p95_ms", "latency_p99_ms", "resumed_from", "requeued",   "pid"};
  std::string sql = "SELECT ";
  for (const char* c : kColumns) {
    if (sql.size() > 7) sql += ", ";
    // A column an older build did not create reads as NULL.
    sql += std::find(have.begin(), have.end(), c) != have.end() ? std::string(c) : "NULL";
  }
  sql += " FROM runs";
  if (limit > 0) sql += " WHERE id IN (SELECT id FROM runs ORDER BY id DESC LIMIT " + std::to_string(limit) + ")";
  sql += " ORDER BY id";
  SqliteStmt stmt = prepare(db.get(), path, sql.c_str());
  sqlite3_stmt* st = stmt.get();
  const auto text = [&](int i) -> std::optional<std::string> {
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return std::nullopt;
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
    return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
  };
  const auto integer = [&](int i) -> std::optional<std::int64_t> {
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(st, i);
  };
  const auto real = [&](int i) -> std::optional<double> {
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(st, i);
  };
  std::vector<RunRecord> out;
  int step = 0;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    RunRecord r;
    r.id = sqlite3_column_int64(st, 0);
    r.started_at = text(1).value_or("");
    r.finished_at = text(2);
    r.mode = text(3);
    r.concurrency = integer(4);
    r.urls_file = text(5);
    r.settings = text(6);
    r.outcome = text(7);
    r.errors_by_kind = text(8);
    r.pages = integer(9);
    r.bytes = integer(10);
    r.errors = integer(11);
    r.skipped = integer(12);
    r.peak_rss_bytes = integer(13);
    r.elapsed_s = real(14);
    r.pages_per_s = real(15);
    r.cpu_s = real(16);
    r.latency_p50_ms = real(17);
    r.latency_p95_ms = real(18);
    r.latency_p99_ms = real(19);
    r.resumed_from = integer(20);
    r.requeued = integer(21);
    r.pid = integer(22);
    out.push_back(std::move(r));
  }
  if (step != SQLITE_DONE) throw_db_error(path, "cannot read runs", db.get());
  return out;
}

}  // namespace crawl

namespace crawl {
namespace {

// Throws unless `db` has the version 4 history tables.
void require_history(sqlite3* db, const std::string& path) {
  SqliteStmt t = prepare(db, path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('fetches', 'latest', 'bodies')");
  if (sqlite3_step(t.get()) != SQLITE_ROW || sqlite3_column_int(t.get(), 0) != 3)
    throw std::runtime_error("SQLite database '" + path +
                             "': no history (not written by crawl, or by a version older than 4; a crawl "
                             "into it migrates it)");
}

std::optional<std::string> text_or_null(sqlite3_stmt* stmt, int i) {
  if (sqlite3_column_type(stmt, i) == SQLITE_NULL) return std::nullopt;
  return column_text(stmt, i);
}

}  // namespace

sqlite3* SqliteSink::reader() {
  if (!reader_) {
    SqliteDb db = open_connection(path_, SQLITE_OPEN_READONLY, options_.vfs);
    read_copy_ = prepare(db.get(), path_, kReadCopySql);
    read_known_ = prepare(db.get(), path_,
                          "SELECT etag, last_modified, next_due FROM latest "
                          "WHERE url = ?1 AND body_id IS NOT NULL AND status < 400");
    reader_ = std::move(db);
  }
  return reader_.get();
}

std::optional<KnownCopy> SqliteSink::known_copy(const std::string& url, const std::string& due_before) {
  std::lock_guard lock(read_mutex_);
  sqlite3* db = reader();
  sqlite3_stmt* stmt = read_known_.get();
  StmtScope scope(stmt);
  sqlite3_bind_text64(stmt, 1, url.data(), url.size(), SQLITE_STATIC, SQLITE_UTF8);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW)
    throw std::runtime_error("SQLite database '" + path_ + "': cannot read the copy of " + url + ": " + sqlite3_errmsg(db));
  KnownCopy known;
  known.etag = column_text(stmt, 0);
  known.last_modified = column_text(stmt, 1);
  const std::string next_due = column_text(stmt, 2);
  known.due = due_before.empty() || next_due.empty() || next_due <= due_before;
  return known;
}

std::optional<FetchResult> SqliteSink::stored_copy(const std::string& url) {
  std::lock_guard lock(read_mutex_);
  reader();
  sqlite3_stmt* stmt = read_copy_.get();
  StmtScope scope(stmt);
  sqlite3_bind_text64(stmt, 1, url.data(), url.size(), SQLITE_STATIC, SQLITE_UTF8);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) throw std::runtime_error("SQLite database '" + path_ + "': cannot read the copy of " + url + ": " + sqlite3_errmsg(reader_.get()));
  FetchResult r;
  r.request.url = url;
  r.final_url = column_text(stmt, 0);
  if (r.final_url.empty()) r.final_url = url;
  r.status = static_cast<long>(sqlite3_column_int64(stmt, 1));
  r.content_type = column_text(stmt, 2);
  const std::string headers = column_text(stmt, 3);
  for (std::size_t at = 0; at < headers.size();) {
    std::size_t end = headers.find('\n', at);
    if (end == std::string::npos) end = headers.size();
    const std::string_view line(headers.data() + at, end - at);
    if (const auto colon = line.find(": "); colon != std::string_view::npos)
      r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    at = end + 1;
  }
  const auto* body = static_cast<const char*>(sqlite3_column_blob(stmt, 4));
  r.body.assign(body ? body : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, 4)));
  r.body_digest = column_text(stmt, 5);
  r.links = column_text(stmt, 6);
  return r;
}

std::pair<std::int64_t, std::int64_t> prune_history(const std::string& path, const Retention& retention,
                                                    std::chrono::system_clock::time_point now) {
  SqliteDb db = open_connection(path, SQLITE_OPEN_READWRITE);
  require_history(db.get(), path);
  if (sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
    throw_db_error(path, "cannot start a transaction", db.get());
  std::int64_t fetches = 0, bodies = 0;
  if (prune(db.get(), retention, now, fetches, bodies) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db.get());
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw std::runtime_error("SQLite database '" + path + "': cannot prune: " + message);
  }
  if (sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
    throw_db_error(path, "cannot commit", db.get());
  return {fetches, bodies};
}

std::optional<RunChanges> read_changes(const std::string& path, std::int64_t run, bool pages) {
  SqliteDb db = open_read_only(path);
  require_history(db.get(), path);
  RunChanges out;
  {
    SqliteStmt q = prepare(db.get(), path,
                           run > 0 ? "SELECT id, started_at, outcome FROM runs WHERE id = ?1"
                                   : "SELECT id, started_at, outcome FROM runs ORDER BY id DESC LIMIT 1");
    if (run > 0) sqlite3_bind_int64(q.get(), 1, run);
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) throw_db_error(path, "cannot read runs", db.get());
    out.run = sqlite3_column_int64(q.get(), 0);
    out.started_at = column_text(q.get(), 1);
    out.outcome = text_or_null(q.get(), 2);
  }
  // The last row of each page in the run (a page fetched twice in one run,
  // e.g. resumed, counts once).
  {
    SqliteStmt q = prepare(db.get(), path,
                           "SELECT change, count(*) FROM fetches WHERE id IN "
                           "(SELECT max(id) FROM fetches WHERE run_id = ?1 GROUP BY page_id) GROUP BY change");
    sqlite3_bind_int64(q.get(), 1, out.run);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) out.counts[column_text(q.get(), 0)] = sqlite3_column_int64(q.get(), 1);
    if (rc != SQLITE_DONE) throw_db_error(path, "cannot read the history", db.get());
  }
  if (!pages) return out;
  // The same rows, with the digest each page had before the run.
  static constexpr const char* kSql = R"sql(
SELECT l.url, f.change, f.status, b.digest, f.error,
       (SELECT pb.digest FROM fetches p JOIN bodies pb ON pb.id = p.body_id
        WHERE p.page_id = f.page_id AND p.id < f.id AND (p.run_id IS NOT f.run_id) AND p.body_id IS NOT NULL
          AND p.change IN ('new', 'changed', 'unchanged', 'recovered')
        ORDER BY p.id DESC LIMIT 1)
FROM fetches f JOIN latest l ON l.id = f.page_id LEFT JOIN bodies b ON b.id = f.body_id
WHERE f.id IN (SELECT max(id) FROM fetches WHERE run_id = ?1 GROUP BY page_id)
ORDER BY CASE f.change WHEN 'new' THEN 0 WHEN 'changed' THEN 1 WHEN 'recovered' THEN 2 WHEN 'failing' THEN 3
                       WHEN 'gone' THEN 4 ELSE 5 END, l.url
)sql";
  SqliteStmt q = prepare(db.get(), path, kSql);
  sqlite3_bind_int64(q.get(), 1, out.run);
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
    PageChange c;
    c.url = column_text(q.get(), 0);
    c.change = column_text(q.get(), 1);
    c.status = column_int_or_null(q.get(), 2);
    c.digest = text_or_null(q.get(), 3);
    c.error = text_or_null(q.get(), 4);
    c.previous_digest = text_or_null(q.get(), 5);
    out.pages.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) throw_db_error(path, "cannot read the history", db.get());
  return out;
}

std::vector<PageVersion> read_history(const std::string& path, const std::string& url) {
  SqliteDb db = open_read_only(path);
  require_history(db.get(), path);
  static constexpr const char* kSql = R"sql(
SELECT f.id, f.run_id, f.status, b.size, f.fetched_at, f.change, b.digest, f.etag, f.last_modified, f.error
FROM fetches f JOIN latest l ON l.id = f.page_id LEFT JOIN bodies b ON b.id = f.body_id
WHERE l.url = ?1 ORDER BY f.id
)sql";
  SqliteStmt q = prepare(db.get(), path, kSql);
  sqlite3_bind_text(q.get(), 1, url.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<PageVersion> out;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
    PageVersion v;
    v.fetch_id = sqlite3_column_int64(q.get(), 0);
    v.run_id = column_int_or_null(q.get(), 1);
    v.status = column_int_or_null(q.get(), 2);
    v.size = column_int_or_null(q.get(), 3);
    v.fetched_at = column_text(q.get(), 4);
    v.change = column_text(q.get(), 5);
    v.digest = text_or_null(q.get(), 6);
    v.etag = text_or_null(q.get(), 7);
    v.last_modified = text_or_null(q.get(), 8);
    v.error = text_or_null(q.get(), 9);
    out.push_back(std::move(v));
  }
  if (rc != SQLITE_DONE) throw_db_error(path, "cannot read the history", db.get());
  return out;
}

}  // namespace crawl

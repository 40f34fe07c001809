#include "storage/sqlite_sink.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "core/hash.h"
#include "core/url_parts.h"
#include "storage/sink_util.h"

namespace crawl {
namespace {

// WAL size (pages of 4 KiB) at which the checkpointer is asked to run, and
// at which the writer checkpoints itself (the checkpointer is behind).
constexpr int kCheckpointPages = 1000;
constexpr int kForceCheckpointPages = 25000;

// read_runs() waits this long for a writer's lock.
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
CREATE TABLE IF NOT EXISTS pages(
  url TEXT PRIMARY KEY,
  final_url TEXT,
  status INTEGER,
  content_type TEXT,
  body BLOB,
  fetched_at TEXT,
  elapsed_ms REAL,
  depth INTEGER,
  error TEXT,
  redirects TEXT,
  headers TEXT,
  referrer TEXT,
  run_id INTEGER REFERENCES runs(id));
CREATE INDEX IF NOT EXISTS pages_run ON pages(run_id);
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
  run_id INTEGER);
CREATE INDEX IF NOT EXISTS urls_queued ON urls(host, attempts > 0, priority, seq) WHERE state = 'queued';
)sql";

// A URL new to the state (added by a page, a sitemap or the seed list).
constexpr const char* kInsertUrlSql = R"sql(
INSERT OR IGNORE INTO urls(fp, url, host, state, depth, priority, referrer, kind, attempts, run_id)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
)sql";

// A URL's final state (its row is inserted if missing: kInsertUrlSql).
constexpr const char* kSettleUrlSql = "UPDATE urls SET state = ?2 WHERE fp = ?1";

constexpr const char* kStartedUrlSql =
    "UPDATE urls SET state = 'in_flight', attempts = attempts + 1 WHERE fp = ?1";

constexpr const char* kTakeUrlsSql = R"sql(
SELECT url, depth, priority, referrer, kind, attempts FROM urls
WHERE host = ?1 AND state = 'queued' ORDER BY attempts > 0, priority, seq LIMIT ?2
)sql";

constexpr const char* kUpsertPageSql = R"sql(
INSERT INTO pages(url, final_url, status, content_type, body, fetched_at, elapsed_ms,
                  depth, error, redirects, headers, referrer, run_id)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
ON CONFLICT(url) DO UPDATE SET
  final_url = excluded.final_url, status = excluded.status,
  content_type = excluded.content_type, body = excluded.body,
  fetched_at = excluded.fetched_at, elapsed_ms = excluded.elapsed_ms,
  depth = excluded.depth, error = excluded.error, redirects = excluded.redirects,
  headers = excluded.headers, referrer = excluded.referrer, run_id = excluded.run_id
)sql";

constexpr const char* kInsertRunSql =
    "INSERT INTO runs(started_at, mode, concurrency, urls_file, settings, resumed_from, requeued, pid) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

constexpr const char* kUpdateRunSql =
    "UPDATE runs SET finished_at = ?1, pages = ?2, bytes = ?3, errors = ?4, "
    "errors_by_kind = ?5, elapsed_s = ?6, pages_per_s = ?7, outcome = ?8, skipped = ?10, "
    "cpu_s = ?11, peak_rss_bytes = ?12, latency_p50_ms = ?13, latency_p95_ms = ?14, "
    "latency_p99_ms = ?15 WHERE id = ?9";

// Columns added to `runs` after schema version 1, in order. A database made
// by an older build gets them with ALTER TABLE (NULL in its old rows).
constexpr std::pair<const char*, const char*> kRunsColumnsSinceV1[] = {
    {"skipped", "INTEGER"},          {"cpu_s", "REAL"},
    {"peak_rss_bytes", "INTEGER"},   {"latency_p50_ms", "REAL"},
    {"latency_p95_ms", "REAL"},      {"latency_p99_ms", "REAL"},
    // version 3
    {"resumed_from", "INTEGER"},     {"requeued", "INTEGER"},
    {"pid", "INTEGER"},
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
  // SQLITE_OK, or the first bind's error code.
  int rc() const { return rc_; }

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
    : QueuedSink(path, options.max_queued_bytes), path_(path), options_(std::move(options)) {
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
  if (exec(kSchemaSql, error) != SQLITE_OK) throw_db_error(path_, "cannot create schema", db);
  migrate_runs_table();
  if (version < kSchemaVersion &&
      exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str(), error) != SQLITE_OK) {
    throw_db_error(path_, "cannot set user_version", db);
  }
  if (exec_waiting("COMMIT", true, error) != SQLITE_OK) {
    throw std::runtime_error("SQLite database '" + path_ + "': cannot commit schema: " + error);
  }

  upsert_page_ = prepare(db, path_, kUpsertPageSql);
  insert_url_ = prepare(db, path_, kInsertUrlSql);
  settle_url_ = prepare(db, path_, kSettleUrlSql);
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

void SqliteSink::migrate_runs_table() {
  sqlite3* db = db_.get();
  std::vector<std::string> have;
  {
    SqliteStmt info = prepare(db, path_, "PRAGMA table_info(runs)");
    while (sqlite3_step(info.get()) == SQLITE_ROW) {
      const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 1));
      if (name) have.emplace_back(name);
    }
  }
  std::string error;
  for (const auto& [name, type] : kRunsColumnsSinceV1) {
    if (std::find(have.begin(), have.end(), name) != have.end()) continue;
    const std::string sql = std::string("ALTER TABLE runs ADD COLUMN ") + name + " " + type;
    if (exec(sql.c_str(), error) != SQLITE_OK) throw_db_error(path_, "cannot add column runs." + std::string(name), db);
    spdlog::debug("SQLite database '{}': added column runs.{}", path_, name);
  }
}

SqliteSink::~SqliteSink() {
  stop_writer();
  stop_checkpointer();
}

int SqliteSink::on_wal_commit(void* self, sqlite3* db, const char* name, int pages) {
  auto* sink = static_cast<SqliteSink*>(self);
  if (pages >= kForceCheckpointPages) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= kCheckpointPages) {
    std::lock_guard lock(sink->checkpoint_mutex_);
    if (!sink->checkpointer_.joinable() && !sink->checkpoint_stop_)
      sink->checkpointer_ = std::thread([sink] { sink->checkpoint_loop(); });
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
    checkpoint_wanted_ = false;
    lock.unlock();
    if (db) {
      int log_frames = 0, done_frames = 0;
      const int c = sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
      spdlog::debug("{}: checkpoint: {} ({} of {} WAL frames)", path_, sqlite3_errstr(c), done_frames, log_frames);
    }
    lock.lock();
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

// One transaction per batch. A row-level refusal (is_row_refusal) leaves
// the transaction alive: the rows before it are committed, the rest dropped
// (the sink has failed). Any other error ends the batch: rollback, nothing
// of it written. Once failed, the batch holds only EndRun items, written
// without waiting for a lock.
void SqliteSink::write_batch(const Batch& batch) {
  const bool patient = !failed();
  const std::int64_t run_at_start = current_run_id_.load();
  std::string error;
  if (exec_waiting("BEGIN IMMEDIATE", patient, error) != SQLITE_OK) {
    lose_batch(batch, 0, run_at_start, describe_batch(batch) + ": " + error);
    return;
  }
  std::int64_t pages = 0;
  std::size_t refused = 0;
  for (const auto& entry : batch) {
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
    lose_batch(batch, refused, run_at_start, describe(entry.item) + ": " + error);
    return;
  }
  if (exec_waiting("COMMIT", patient, error) != SQLITE_OK) {
    lose_batch(batch, refused, run_at_start, describe_batch(batch) + ": " + error);
    return;
  }
  count_written(pages);
  if (has_downstream())
    for (const auto& entry : batch) forward(entry.item);
}

void SqliteSink::lose_batch(const Batch& batch, std::size_t already_failed,
                            std::int64_t run_at_start, const std::string& message) {
  if (!sqlite3_get_autocommit(db_.get())) {
    std::string ignored;
    exec("ROLLBACK", ignored);
  }
  current_run_id_ = run_at_start;  // a BeginRun of the batch was rolled back too
  fail(path_, message, static_cast<std::int64_t>(batch.size() - already_failed));
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

int SqliteSink::write_page(const FetchResult& r, std::string& error) {
  sqlite3_stmt* stmt = upsert_page_.get();
  StmtScope scope(stmt);
  const bool has_response = r.status > 0;
  // Kept alive until `scope` resets the statement (bound SQLITE_STATIC).
  const std::string fetched_at = iso8601_utc(r.fetched_at);
  const std::string error_text = r.error_string();
  const std::string redirects = r.redirects.empty() ? std::string() : json_string_array(r.redirects);
  const std::string headers = header_lines(r.headers);
  const std::int64_t run_id = current_run_id_.load();

  BindResults bind;
  bind(sqlite3_bind_text64(stmt, 1, r.request.url.data(), r.request.url.size(), SQLITE_STATIC,
                           SQLITE_UTF8));
  bind(bind_text_or_null(stmt, 2, r.final_url));
  bind(has_response ? sqlite3_bind_int64(stmt, 3, r.status) : sqlite3_bind_null(stmt, 3));
  bind(bind_text_or_null(stmt, 4, r.content_type));
  bind(has_response ? bind_blob(stmt, 5, r.body) : sqlite3_bind_null(stmt, 5));
  bind(bind_text_or_null(stmt, 6, fetched_at));
  bind(sqlite3_bind_double(stmt, 7, r.elapsed_ms));
  bind(sqlite3_bind_int(stmt, 8, r.request.depth));
  bind(bind_text_or_null(stmt, 9, error_text));
  bind(bind_text_or_null(stmt, 10, redirects));
  bind(bind_text_or_null(stmt, 11, headers));
  bind(bind_text_or_null(stmt, 12, r.request.referrer));
  bind(run_id != 0 ? sqlite3_bind_int64(stmt, 13, run_id) : sqlite3_bind_null(stmt, 13));
  // e.g. SQLITE_TOOBIG for a body over SQLite's limit
  if (const int rc = bind.rc(); rc != SQLITE_OK) {
    error = std::string("cannot bind: ") + sqlite3_errstr(rc);
    return rc;
  }
  return step_done(stmt, error);
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
  if (const int rc = bind.rc(); rc != SQLITE_OK) {
    error = std::string("cannot bind: ") + sqlite3_errstr(rc);
    return rc;
  }
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
    StateUrl self{request.url, request.depth, request.priority, request.referrer, request.kind, request.attempt + 1};
    if (const int rc = write_url(insert_url_.get(), self, effects.state, error); rc != SQLITE_OK) return rc;
  }
  for (const auto& u : effects.added) {
    if (const int rc = write_url(insert_url_.get(), u, UrlState::queued, error); rc != SQLITE_OK) return rc;
  }
  for (const auto& url : effects.done_too) {
    StateUrl u{url, request.depth, request.priority, request.url, request.kind, 0};
    if (const int rc = write_url(insert_url_.get(), u, UrlState::done, error); rc != SQLITE_OK) return rc;
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
    return SQLITE_OK;
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

int SqliteSink::write_begin_run(const RunInfo& info, std::string& error) {
  current_run_id_ = 0;
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
  if (const int rc = bind.rc(); rc != SQLITE_OK) {
    error = std::string("cannot bind: ") + sqlite3_errstr(rc);
    return rc;
  }
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
  if (const int rc = bind.rc(); rc != SQLITE_OK) {
    error = std::string("cannot bind: ") + sqlite3_errstr(rc);
    return rc;
  }
  if (const int rc = step_done(stmt, error); rc != SQLITE_OK) return rc;
  current_run_id_ = 0;
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
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) throw_db_error(path, "cannot open", db.get());
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

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

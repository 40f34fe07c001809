// SqliteSink: stores every FetchResult in one SQLite database (WAL), written
// by a single writer thread in batched transactions.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/queued_sink.h"
#include "storage/sqlite_handles.h"

namespace crawl {

// Schema (version 5, in PRAGMA user_version), created if absent, so repeated
// crawls (batches) add to the same file. Every column is documented in the
// README ("What is stored"):
//
//   runs       one row per run (begin_run/end_run): when, how, figures, outcome.
//   bodies     each distinct body once: id, digest ("sha1:BASE32", unique), size, body.
//   latest     one row per URL: its latest good copy (a response under 400:
//              status, headers, body_id …) or, if it never had one, its latest
//              failure; the validators (etag, last_modified) sent with it;
//              checked_at / changed_at; failing_since / gone_since (run ids);
//              revisit_s / next_due (the revisit schedule); links (an HTML
//              copy's links as extracted, so a 304 needs no parse).
//   fetches    the history: one row per fetch (page_id, run_id, fetched_at,
//              status, change, body_id, etag, last_modified, error), plus one
//              'gone' row when a completed batch no longer reaches a page.
//              change is new | changed | unchanged | recovered | failing | gone.
//   pages      a VIEW of latest joined with bodies: url, final_url, status,
//              content_type, body, fetched_at, … digest, etag, last_modified.
//   urls       the crawl state (state_store.h), when kept here.
//
// How a result changes them (write_page):
//  - a good response (< 400, not 304): its body is stored unless its digest
//    is; latest takes it; change = new (no good copy before), changed (a new
//    digest), unchanged, or recovered (same digest, after failing or gone).
//  - 304 Not Modified (the crawler lets through only answers to a
//    conditional request for a stored copy): unchanged (or recovered); latest
//    keeps its copy, checked_at and validators are updated.
//  - a failure (no response, or >= 400): never replaces a good copy; latest
//    records the error and failing_since (404/410: gone_since); change =
//    failing or gone. A URL without a good copy keeps its latest failure.
//  - skipped (robots.txt, a redirect out of scope): a good copy is left
//    alone; else recorded as before.
//  - a redirect (3xx with a Location) is the URL's response: final_url and
//    redirects name its target, and every row whose chain ended at this URL
//    goes on to that target: a row's redirects is the chain from it, as far
//    as the crawl followed it, and its final_url where the chain ends.
// A completed run whose state lives here marks the pages with a good copy it
// did not reach as gone, and applies RunInfo::retention.
//
// An older file (versions 1 to 3, with a `pages` table) is migrated when
// opened: its rows move into latest and bodies (one 'new' fetch each); the
// newer columns of `runs` and `urls` are added with ALTER TABLE.
//
// Ownership and threads: the connection and its prepared statements belong
// to the writer thread started by the constructor; no other thread touches
// them. store() is thread-safe and only copies the result into a queue. The
// writer drains the whole queue into ONE transaction per batch.
// Backpressure: store() blocks only when more than `max_queued_bytes` of
// results are waiting for the writer (it is that far behind, e.g. waiting
// for a lock, see below).
// Durability: "committed" means committed in WAL mode with synchronous=NORMAL:
// it survives a crash of the process; a power loss may lose the last commits.
//
// A busy database is waited for, never skipped: when another connection
// holds the write lock, BEGIN IMMEDIATE and COMMIT are retried, with a
// warning "PATH: database is locked by another process; waiting (N s so
// far)" every `lock_warning_interval`, for up to `max_lock_wait` (default
// kMaxLockWait, 10 minutes: long enough for a backup or a long query, short
// enough that a forgotten `sqlite3` shell does not hang a cron job for
// ever). Meanwhile store() fills the queue and then blocks (backpressure).
// Waiting longer than that is a failure.
//
// Failures (see QueuedSink for what happens after one): where = the database
// path as given to the constructor; message = what failed and SQLite's text,
// with the OS error for I/O errors, e.g. "cannot store http://h/p: database
// or disk is full", "cannot store a batch of 40 results (http://h/a …):
// disk I/O error (No space left on device)", "… database is locked by
// another process; gave up after 600.0 s".
//  - Disk-level errors (SQLITE_FULL, SQLITE_IOERR*, SQLITE_READONLY,
//    SQLITE_CANTOPEN, SQLITE_CORRUPT, SQLITE_NOMEM, SQLITE_BUSY past the
//    bound, anything not listed below) roll the batch back: none of its rows
//    is written, every one counts in write_errors().
//  - Row-level refusals (SQLITE_TOOBIG: a body over SQLite's length limit;
//    SQLITE_CONSTRAINT, e.g. a trigger's RAISE(ABORT); SQLITE_MISMATCH,
//    SQLITE_RANGE) are failures too: the refused row is not written, the
//    rows of its batch before it are committed, the rest are dropped. Why a
//    failure and not a per-URL error: the Sink interface's only way to the
//    user and the exit code is failure(), and a database missing a page the
//    summary counts as fetched is not the copy the user asked for. They are
//    rare (a 1 GB body, a trigger someone added), so stopping costs little.
// Rows committed before a failure stay committed and readable (SQLite's
// atomic commit); written() counts exactly those pages. Nothing is thrown
// from store()/flush()/begin_run()/end_run().
struct SqliteSinkOptions {
  static constexpr std::size_t kDefaultMaxQueuedBytes = std::size_t{256} << 20;  // 256 MiB
  static constexpr std::chrono::milliseconds kMaxLockWait = std::chrono::minutes(10);
  static constexpr std::chrono::milliseconds kLockWarningInterval = std::chrono::seconds(5);
  static constexpr std::chrono::milliseconds kGroupCommit{25};
  static constexpr std::size_t kMaxTransactionBytes = std::size_t{4} << 20;  // 4 MiB

  std::size_t max_queued_bytes = kDefaultMaxQueuedBytes;
  // Longest wait for another connection's write lock, per transaction.
  std::chrono::milliseconds max_lock_wait = kMaxLockWait;
  // How often the wait is logged (warning); also the longest single sleep
  // between two checks of max_lock_wait (capped at 1 s).
  std::chrono::milliseconds lock_warning_interval = kLockWarningInterval;
  // Name of a registered sqlite3_vfs to open the file with; empty = SQLite's
  // default. Tests register a fault-injecting one.
  std::string vfs;
  // Keep the crawl state (the urls table; state() is not null).
  bool state = true;
  // Store pages (false: a state-only database beside another output).
  bool pages = true;
  // Group commit: one transaction at most this often for what arrives
  // meanwhile, unless someone waits for it (flush(), a crawler waiting for
  // URLs, a full queue). Each transaction rewrites the B-tree pages it
  // touches (about 35 WAL frames), so committing every few pages writes the
  // database several times over; a crash loses at most this much, which a
  // resumed crawl fetches again.
  std::chrono::milliseconds group_commit = kGroupCommit;
  // A batch larger than this (by QueuedSink::item_bytes: bodies, mostly;
  // the writer fell behind) is committed in transactions of about this
  // size, so a failed one (a full disk) loses at most this much of what
  // was fetched and the ones before it stay; each costs a WAL sync and
  // the B-tree pages it touches once more.
  std::size_t max_transaction_bytes = kMaxTransactionBytes;
};

class SqliteSink final : public QueuedSink {
 public:
  static constexpr std::size_t kDefaultMaxQueuedBytes = SqliteSinkOptions::kDefaultMaxQueuedBytes;
  static constexpr int kSchemaVersion = 5;

  // Opens or creates the database at `path` and its schema (waiting for a
  // lock as above), then starts the writer. Throws std::runtime_error naming
  // `path` and SQLite's message if the file cannot be opened or created, is
  // not a database, or has a newer schema version than this build knows.
  explicit SqliteSink(const std::string& path,
                      std::size_t max_queued_bytes = kDefaultMaxQueuedBytes);
  SqliteSink(const std::string& path, SqliteSinkOptions options);
  // Flushes everything stored, stops and joins the writer, closes the file.
  ~SqliteSink() override;

  SqliteSink(const SqliteSink&) = delete;
  SqliteSink& operator=(const SqliteSink&) = delete;

  // Inherited from QueuedSink, with these meanings here:
  //  begin_run(): flushes, then inserts the runs row and waits for it; pages
  //    stored after this call get its id (NULL run_id if it failed).
  //  store(): queues a copy of the result; returns without waiting for the
  //    disk (blocks only for backpressure).
  //  flush(): blocks until everything stored so far is committed or has
  //    failed; bounded by max_lock_wait per batch.
  //  end_run(): waits until every page stored before it is committed, then
  //    fills the current runs row (finished_at, figures, pages_per_s =
  //    pages/elapsed_s or NULL when elapsed_s is 0, outcome; the optional
  //    figures NULL when empty). Pages stored later get NULL run_id. After a
  //    failure it is tried once without waiting for a lock.
  //  written(): pages committed; write_errors(): rows and run records not
  //    written; dropped(): results given up after the failure.

  // Id of the runs row of the current run, between begin_run and end_run.
  std::optional<std::int64_t> current_run_id() const;
  std::optional<RunChangeCounts> run_changes() const override;

  // From latest and bodies, on a read connection of its own (opened on
  // first use, shared under a mutex): never waits for the writer.
  std::optional<FetchResult> stored_copy(const std::string& url) override;
  std::optional<KnownCopy> known_copy(const std::string& url, const std::string& due_before) override;

 private:
  void migrate_columns();  // adds the columns of runs and urls newer than version 1
  void migrate_pages_table();  // a version 1-3 `pages` table into latest, bodies, fetches
  // A completed run: pages it did not reach are gone; old versions pruned.
  int write_batch_end(std::int64_t run_id, const std::string& now, std::string& error);
  void write_batch(const Batch& batch) override;
  // Items [begin, end) of `batch` in one transaction; false when it failed
  // (the items from `begin` to the batch's end are counted lost).
  bool write_transaction(const Batch& batch, std::size_t begin, std::size_t end);
  // Loses the open transaction and `count` items: rollback, count, fail().
  void lose_transaction(std::size_t count, std::int64_t run_at_start, const std::string& message);
  // After a commit: the staged changes count; a committed run's end publishes them.
  void commit_changes();
  // Executes one item; returns SQLITE_OK or the (extended) error code with
  // `error` set.
  int write_item(const Item& item, std::string& error);
  // Sets `is_new`: whether the first fetch of page `page_id` in run
  // `run_id` found it new. SQLITE_OK, or the error with `error` set.
  int new_in_run(std::int64_t page_id, std::int64_t run_id, bool& is_new, std::string& error);
  int write_page(const FetchResult& r, std::string& error);
  // A URL's latest row, replaced as a whole (a good response; a failure
  // or skip of a URL without a good copy). Unset optionals bind NULL.
  struct LatestRow {
    const std::string* url = nullptr;
    const FetchResult* result = nullptr;
    std::string fetched_at, error, etag, last_modified, checked_at, changed_at, next_due;
    std::optional<std::int64_t> body_id, run_id, failing_since;
    double revisit_s = 0;
    std::string redirects;  // a redirect's chain from here (JSON array), "" none
    std::string final_url;  // where that chain ends ("" the result's final_url)
  };
  // A redirect of `r`: its chain from here on (its target, then the target's
  // own chain when that is recorded already) and where it ends.
  int redirect_chain(const FetchResult& r, LatestRow& row, std::string& error);
  // Beside a kept good copy (kKeptSql): empty strings / optionals keep the old value,
  // except error, failing_since, gone_since, revisit_s and next_due, always set.
  struct KeptRow {
    std::int64_t id = 0;
    std::string error, checked_at, etag, last_modified, next_due;
    std::optional<std::int64_t> failing_since, gone_since, run_id;
    double revisit_s = 0;
  };
  struct FetchRow {  // a row of fetches
    std::int64_t page_id = 0;
    std::optional<std::int64_t> run_id, status, body_id;
    std::string fetched_at, etag, last_modified, error;
    const char* change = "new";
  };
  // The id of the body with `digest`, inserted if new.
  int store_body(const std::string& digest, std::string_view body, std::optional<std::int64_t>& id,
                 std::string& error);
  int upsert_latest(const LatestRow& row, std::int64_t& page_id, std::string& error);
  int update_kept(const KeptRow& kept, std::string& error);
  int insert_fetch(const FetchRow& fetch, std::string& error);
  int write_begin_run(const RunInfo& info, std::string& error);
  // The crawl state: a URL row through `stmt` (insert or settle).
  int write_url(sqlite3_stmt* stmt, const StateUrl& url, UrlState state, std::string& error);
  int write_effects(const FetchRequest& request, const UrlEffects& effects, std::string& error);
  int write_take(const Take& take, std::string& error);
  template <typename T>
  int write_state(const T& op, std::string& error);  // AddUrls, Started, Take, Resume
  int write_resume(const Resume& resume, std::string& error);
  int read_known(ResumePoint& point, std::string& error);  // ResumePoint::known
  int write_end_run(const RunSummary& s, std::string& error);
  // Steps a statement that returns no rows: SQLITE_OK, or the error.
  int step_done(sqlite3_stmt* stmt, std::string& error);
  // SQLite's text for the last error of the connection, with the OS error
  // for I/O errors.
  std::string error_text(int rc) const;
  int exec(const char* sql, std::string& error);
  // exec(), retried while the database is locked by another connection, with
  // warnings, up to options_.max_lock_wait (only once when !patient).
  int exec_waiting(const char* sql, bool patient, std::string& error);

  // WAL checkpoints run on a thread of their own with its own connection
  // (PASSIVE: they never block the writer), asked for by the writer's WAL
  // hook once the WAL holds kCheckpointBytes; the writer checkpoints itself
  // only the tail left after one of them (tail_due_: then the WAL starts
  // again from its beginning), or past kForceCheckpointBytes. A checkpoint
  // syncs the database file: on the writer it stalls every page waiting to
  // be committed, so the writer's own copies are kept short.
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);
  void checkpoint_loop() noexcept;
  void stop_checkpointer() noexcept;

  const std::string path_;
  const SqliteSinkOptions options_;
  std::mutex checkpoint_mutex_;  // guards the two flags below
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stop_ = false;
  std::thread checkpointer_;
  std::atomic<bool> tail_due_{false};  // set by the checkpointer, taken by the writer
  // The byte thresholds in WAL frames of this file's page size; set in the
  // constructor before the WAL hook is installed.
  struct CheckpointFrames {
    int checkpoint = 0, force = 0, tail = 0;
  } frames_;
  // Declared before the statements so they are finalized first.
  SqliteDb db_;
  SqliteStmt select_latest_;
  SqliteStmt select_first_change_;
  SqliteStmt insert_body_;
  SqliteStmt select_body_;
  SqliteStmt upsert_latest_;
  SqliteStmt insert_fetch_;
  SqliteStmt update_kept_;
  SqliteStmt insert_run_;
  SqliteStmt update_run_;
  SqliteStmt insert_url_;
  SqliteStmt extend_chains_;
  SqliteStmt select_chain_;
  SqliteStmt settle_url_;
  SqliteStmt mark_archive_;
  SqliteStmt started_url_;
  SqliteStmt take_urls_;

  // Writer-thread state; current_run_id_ is also read by current_run_id(),
  // hence atomic (0 = no run).
  std::atomic<std::int64_t> current_run_id_{0};
  RunInfo run_;  // the current run's begin_run() (writer thread)
  // The run's changes, counted as its fetch rows are committed (writer
  // thread): each page's last change in the run; the rows of the open
  // transaction wait in staged_changes_ (a rollback drops them); `gone`
  // rows of the run's end are counted apart (pages it did not fetch).
  std::unordered_map<std::int64_t, const char*> run_changes_;
  std::vector<std::pair<std::int64_t, const char*>> staged_changes_;
  std::int64_t gone_ = 0, staged_gone_ = 0;
  std::int64_t ending_run_ = 0;  // the run whose end the open transaction records
  mutable std::mutex changes_mutex_;  // guards ended_changes_
  std::optional<RunChangeCounts> ended_changes_;  // published when the run's end is committed
  std::string batch_time_;  // run_.started_at as stored (ISO 8601), "" outside a run

  std::mutex read_mutex_;  // guards reader_, read_copy_ and read_known_
  SqliteDb reader_;
  SqliteStmt read_copy_;
  SqliteStmt read_known_;
  sqlite3* reader();  // opens reader_ (with read_mutex_ held)
};

// Prunes the history of the SQLite file at `path` (`crawl prune`): see
// Retention. Returns {fetch rows deleted, bodies deleted}. Throws
// std::runtime_error naming `path` on failure.
std::pair<std::int64_t, std::int64_t> prune_history(const std::string& path, const Retention& retention,
                                                    std::chrono::system_clock::time_point now);

// What one run did to the pages (`crawl changes`).
struct PageChange {
  std::string url;
  std::string change;  // new | changed | unchanged | recovered | failing | gone
  std::optional<std::int64_t> status;
  std::optional<std::string> digest, previous_digest, error;
};
// The run and its counts (RunChangeCounts), with what `crawl changes` shows.
struct RunChanges : RunChangeCounts {
  std::string started_at;
  std::optional<std::string> outcome;
  std::vector<PageChange> pages;  // ordered by change, then URL; empty unless asked for
};
// The changes of run `run` (0: the last run) of the SQLite file at `path`,
// read-only: the counts, and with `pages` every page. nullopt when it has no
// such run. Throws std::runtime_error naming `path` when it cannot be read
// or has no history (an older file).
std::optional<RunChanges> read_changes(const std::string& path, std::int64_t run, bool pages = true);

// One version of a page (`crawl history`): a row of `fetches`.
struct PageVersion {
  std::int64_t fetch_id = 0;
  std::optional<std::int64_t> run_id, status, size;
  std::string fetched_at, change;
  std::optional<std::string> digest, etag, last_modified, error;
};
// The history of `url` (as stored: normalized), oldest first; empty when
// the URL is unknown. Throws like read_changes().
std::vector<PageVersion> read_history(const std::string& path, const std::string& url);

// One row of the `runs` table as read back; empty optionals are NULL
// (not recorded yet, or a column an older build did not have).
struct RunRecord {
  std::int64_t id = 0;
  std::string started_at;  // ISO 8601 UTC
  std::optional<std::string> finished_at, mode, urls_file, settings, outcome, errors_by_kind;
  std::optional<std::int64_t> concurrency, pages, bytes, errors, skipped, peak_rss_bytes;
  std::optional<std::int64_t> resumed_from, requeued, pid;
  std::optional<double> elapsed_s, pages_per_s, cpu_s, latency_p50_ms, latency_p95_ms, latency_p99_ms;
};

// Reads the `runs` table of the SQLite file at `path`, read-only (no
// migration: columns missing from an old file read as empty), ordered by id.
// limit > 0 keeps only the last `limit` runs. Throws std::runtime_error
// naming `path` if the file cannot be opened read-only, is not a database,
// or has no runs table.
std::vector<RunRecord> read_runs(const std::string& path, std::int64_t limit = 0);

}  // namespace crawl

// SqliteSink: stores every FetchResult in one SQLite database (WAL), written
// by a single writer thread in batched transactions.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "storage/batch_queue.h"
#include "storage/sink.h"
#include "storage/sqlite_handles.h"

namespace crawl {

// Schema (version 2, in PRAGMA user_version), created if absent, so repeated
// crawls append to the same file:
//
//   runs(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
//        mode TEXT, concurrency INTEGER, urls_file TEXT, settings TEXT,
//        pages INTEGER, bytes INTEGER, errors INTEGER,
//        errors_by_kind TEXT  -- JSON object {"timeout":3,…}
//        elapsed_s REAL, pages_per_s REAL, outcome TEXT,
//        -- since version 2 (NULL where unknown):
//        skipped INTEGER, cpu_s REAL, peak_rss_bytes INTEGER,
//        latency_p50_ms REAL, latency_p95_ms REAL, latency_p99_ms REAL)
//   pages(url TEXT PRIMARY KEY, final_url TEXT,
//         status INTEGER       -- NULL when there was no response
//         content_type TEXT    -- NULL when none was sent
//         body BLOB            -- NULL when there was no response
//         fetched_at TEXT      -- ISO 8601 UTC with ms, "…T13:05:01.123Z"
//         elapsed_ms REAL, depth INTEGER,
//         error TEXT           -- NULL when ok, else FetchResult::error_string()
//         redirects TEXT       -- JSON array of URLs, NULL if none
//         headers TEXT         -- "Name: value" lines joined by "\n"; NULL if none
//         referrer TEXT        -- NULL for seeds
//         run_id INTEGER REFERENCES runs(id))  -- NULL outside begin/end_run
//   index pages_run ON pages(run_id)
//
// A version-1 file (from an older build) is migrated when opened: the
// version-2 columns of `runs` are added with ALTER TABLE, old rows keep NULL
// in them, and user_version becomes 2.
//
// One row per URL: storing a URL again (later in the run or in a later run)
// replaces the row (upsert), so the table holds the latest fetch.
//
// Ownership and threads: the connection and its prepared statements belong
// to the writer thread started by the constructor; no other thread touches
// them. store() is thread-safe and only copies the result into a queue. The
// writer drains the whole queue into ONE transaction per batch.
// Backpressure: store() blocks only when more than `max_queued_bytes` of
// results are waiting for the writer (it is that far behind).
// Durability: "committed" means committed in WAL mode with synchronous=NORMAL:
// it survives a crash of the process; a power loss may lose the last commits.
// Failures: a row that cannot be written (disk full, I/O error, constraint)
// is logged at error level with its URL and counted in write_errors(); the
// writer keeps going. Nothing is thrown from store()/flush()/begin_run()/
// end_run().
class SqliteSink final : public Sink {
 public:
  static constexpr std::size_t kDefaultMaxQueuedBytes = std::size_t{256} << 20;  // 256 MiB
  static constexpr int kSchemaVersion = 2;

  // Opens or creates the database at `path` and its schema, then starts the
  // writer. Throws std::runtime_error naming `path` and SQLite's message if
  // the file cannot be opened or created, is not a database, or has a newer
  // schema version than this build knows.
  explicit SqliteSink(const std::string& path,
                      std::size_t max_queued_bytes = kDefaultMaxQueuedBytes);
  // Flushes everything stored, stops and joins the writer, closes the file.
  ~SqliteSink() override;

  SqliteSink(const SqliteSink&) = delete;
  SqliteSink& operator=(const SqliteSink&) = delete;

  // Flushes, then inserts the runs row and waits for it; pages stored after
  // this call get its id. On failure logs, counts, and pages get NULL run_id.
  std::optional<StorageFailure> begin_run(const RunInfo& info) override;
  // Queues a copy of `result`; returns without waiting for the disk.
  void store(const FetchResult& result) override;
  // Blocks until everything stored so far is committed.
  std::optional<StorageFailure> flush() override;
  bool failed() const noexcept override { return write_errors_.load() > 0; }
  std::optional<StorageFailure> failure() const override;
  // Waits until every page stored before it is committed, then fills the
  // current runs row (finished_at, figures, pages_per_s = pages/elapsed_s or
  // NULL when elapsed_s is 0, outcome; the optional figures NULL when empty).
  // Pages stored later get NULL run_id.
  std::optional<StorageFailure> end_run(const RunSummary& summary) override;

  // Rows (pages or runs) that could not be written so far. Thread-safe.
  std::int64_t write_errors() const { return write_errors_.load(); }
  // Id of the runs row of the current run, between begin_run and end_run.
  std::optional<std::int64_t> current_run_id() const;

 private:
  struct BeginRun {
    RunInfo info;
  };
  struct EndRun {
    RunSummary summary;
  };
  using Item = std::variant<FetchResult, BeginRun, EndRun>;
  using Queue = BatchQueue<Item>;

  void migrate_runs_table();  // adds the columns newer than version 1
  void writer_loop() noexcept;
  void write_batch(std::vector<Queue::Entry>& batch);
  // Executes one item; returns false (and fills `error`) when SQLite refused.
  bool write_item(const Item& item, std::string& error);
  bool write_page(const FetchResult& r, std::string& error);
  bool write_begin_run(const RunInfo& info, std::string& error);
  bool write_end_run(const RunSummary& s, std::string& error);
  void report_failure(const Item& item, const std::string& error);
  bool exec(const char* sql, std::string& error);

  const std::string path_;
  // Declared before the statements so they are finalized first.
  SqliteDb db_;
  SqliteStmt upsert_page_;
  SqliteStmt insert_run_;
  SqliteStmt update_run_;

  // Writer-thread state; current_run_id_ is also read by current_run_id(),
  // hence atomic (0 = no run).
  std::atomic<std::int64_t> current_run_id_{0};
  std::atomic<std::int64_t> write_errors_{0};

  Queue queue_;
  std::thread writer_;  // last: started when everything above exists
};

// One row of the `runs` table as read back; empty optionals are NULL
// (not recorded yet, or a column an older build did not have).
struct RunRecord {
  std::int64_t id = 0;
  std::string started_at;  // ISO 8601 UTC
  std::optional<std::string> finished_at, mode, urls_file, settings, outcome, errors_by_kind;
  std::optional<std::int64_t> concurrency, pages, bytes, errors, skipped, peak_rss_bytes;
  std::optional<double> elapsed_s, pages_per_s, cpu_s, latency_p50_ms, latency_p95_ms, latency_p99_ms;
};

// Reads the `runs` table of the SQLite file at `path`, read-only (no
// migration: columns missing from an old file read as empty), ordered by id.
// limit > 0 keeps only the last `limit` runs. Throws std::runtime_error
// naming `path` if the file cannot be opened read-only, is not a database,
// or has no runs table.
std::vector<RunRecord> read_runs(const std::string& path, std::int64_t limit = 0);

}  // namespace crawl

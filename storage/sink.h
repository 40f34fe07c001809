// Sink: where finished fetches go. The storage side of the done-callbacks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/fetch_types.h"
#include "storage/state_store.h"

namespace crawl {

// How a batch revisits the pages stored by earlier ones (--revisit). Every
// good fetch gets an interval, Nutch's AdaptiveFetchSchedule: a changed
// page's interval shrinks by kShrink, an unchanged page's grows by kGrow,
// within [min_s, max_s]; a new page starts at min_s. With `adaptive`, a page
// whose interval has not passed since the batch that last fetched it is
// not requested (its stored links are followed).
struct RevisitPolicy {
  static constexpr double kShrink = 0.2;  // Nutch's db.fetch.schedule.adaptive.dec_rate
  static constexpr double kGrow = 0.4;    // Nutch's db.fetch.schedule.adaptive.inc_rate
  bool adaptive = false;        // false: every page reached is requested (conditionally)
  double min_s = 3600;          // --revisit-min
  double max_s = 30 * 86400.0;  // --revisit-max
  // The interval after a fetch: `previous_s` (0: none yet), `changed` (a new
  // digest) or not.
  double next_interval(double previous_s, bool is_new, bool changed) const;
};

// Which versions of a page the history keeps (--keep-versions,
// --keep-newer-than, `crawl prune`). A version is a fetch that brought a
// body the page did not have; the latest good copy is always kept.
struct Retention {
  std::int64_t versions = 0;  // keep the newest N versions per page (0: no limit)
  double newer_than_s = 0;    // keep versions fetched within this many seconds (0: no limit)
  bool any() const { return versions > 0 || newer_than_s > 0; }
};

// Describes one crawl; handed to begin_run() before the first store().
struct RunInfo {
  std::chrono::system_clock::time_point started_at{};
  std::optional<std::int64_t> resumed_from;  // the unfinished run this one continues
  std::int64_t requeued = 0;                 // URLs in flight at its interruption, queued again
  std::int64_t pid = 0;                      // the crawling process
  std::string mode;         // "threads" | "fibers"
  int concurrency = 0;
  std::string urls_file;
  std::string settings;     // human-readable summary of the options in force
  RevisitPolicy revisit;    // intervals are counted from started_at
  Retention retention;      // applied when the run completes
};

// How a crawl ended (the `runs.outcome` column, the summary's first word).
enum class RunOutcome {
  completed,       // nothing left to fetch
  max_pages,       // --max-pages reached with URLs still queued
  interrupted,     // SIGINT
  terminated,      // SIGTERM
  storage_failed,  // the sink reported a failure(): the crawl stopped (exit 3)
};
// "completed", "max-pages", "interrupted", "terminated", "storage-failed".
const char* to_string(RunOutcome outcome) noexcept;

// A storage failure: the crawl stops handing out work on it, says it and
// exits 3 (wget's "file I/O error").
struct StorageFailure {
  std::string where;    // the file or database it happened in, as the user named it
  std::string message;  // what failed, e.g. "cannot store http://…: database or disk is full"
  bool operator==(const StorageFailure&) const = default;
};

// What a run did to the pages of a store that keeps their history (SQLite):
// pages per change kind (new, changed, unchanged, recovered, failing, gone;
// kinds with none absent), each page counted once, by its last fetch in the
// run — what `crawl changes` reads back from the file.
struct RunChangeCounts {
  std::int64_t run = 0;
  std::map<std::string, std::int64_t> counts;
  bool operator==(const RunChangeCounts&) const = default;
};

// Figures of a finished crawl; handed to end_run() after the last store().
struct RunSummary {
  std::chrono::system_clock::time_point finished_at{};
  std::int64_t pages = 0;   // results with a response (any HTTP status)
  std::int64_t bytes = 0;   // decoded body bytes of those
  std::int64_t errors = 0;  // results without a response + HTTP >= 400
  std::map<std::string, std::int64_t> errors_by_kind;  // "timeout" → 3, "http_404" → 1
  double elapsed_s = 0;
  RunOutcome outcome = RunOutcome::completed;
  std::int64_t skipped = 0; // not fetched on purpose (FetchResult::skipped(): robots.txt); not errors
  // Cost and latency; empty when unknown (e.g. a sink driven outside `crawl`).
  std::optional<double> cpu_s;                // user + system CPU of the crawling process
  std::optional<std::int64_t> peak_rss_bytes; // its peak resident set size
  std::optional<double> latency_p50_ms;       // of successful fetches (response, status < 400)
  std::optional<double> latency_p95_ms;
  std::optional<double> latency_p99_ms;
};

// Thread safety: store(), failed() and failure() may be called from any
// number of threads at once; store() must not wait for disk I/O in the common
// case (implementations queue and batch). begin_run/end_run/flush are called
// from one thread, never concurrently with each other.
//
// Failures are values: nothing is thrown after construction. A write that
// fails (disk full, I/O error, a database locked longer than the sink waits,
// a page the output refuses) is logged with the URL and the path, and the
// sink enters the failed state: failed() turns true and failure() says what
// and where (the first failure is kept; it never changes or clears). The
// crawler polls failed(), stops handing out work, calls flush() and
// end_run(), prints "crawl: storage failed: WHERE: MESSAGE" and exits 3.
// After a failure: store() is accepted and dropped at once (no queueing, no
// memory growth); flush()/begin_run()/end_run() return promptly with the
// failure (they never hang: the writer stays alive); end_run() still tries to
// record the end of the run. What was stored before the failure stays intact
// and readable. Constructors throw std::runtime_error when the target cannot
// be opened.
class Sink {
 public:
  virtual ~Sink() = default;
  // Records the start of a run. Returns the failure, if there is one.
  virtual std::optional<StorageFailure> begin_run(const RunInfo&) { return failure(); }
  // Queues `result` for writing; returns without waiting for the disk.
  virtual void store(const FetchResult& result) = 0;
  // Records the end of a URL: its page (when `page`; false for a noindex
  // page) and its effects on the crawl state(), in one transaction where the
  // state lives with the pages. Without a state: store(result) if `page`.
  virtual void settle(const FetchResult& result, bool page, UrlEffects effects) {
    (void)effects;
    if (page) store(result);
  }
  // store() and settle() for a caller that gives its copy of the result up
  // (a sink in front of this one, on its writer thread): a queueing sink
  // moves it into its queue instead of copying the body.
  virtual void store_owned(FetchResult&& result) { store(result); }
  virtual void settle_owned(FetchResult&& result, bool page, UrlEffects effects) {
    settle(result, page, std::move(effects));
  }
  // A fetch that ends no URL — a robots.txt, an attempt that is retried —
  // whose exchanges an archive (--warc) still records; store() and
  // settle() are for the others. Same threads as store(); default: ignored.
  virtual void record_exchanges(const FetchResult& result) { (void)result; }
  // The crawl state kept with this output, or nullptr (none kept).
  virtual StateStore* state() noexcept { return nullptr; }
  // The latest good copy stored for `url` (final_url, status, content_type,
  // headers, body_digest, and its links — or, when they were not kept, its
  // body), for a page that answered 304 Not Modified or is not due: its
  // links are read from it. nullopt when none is stored.
  // Thread-safe; blocks on a read (never waits for the writer's queue).
  virtual std::optional<FetchResult> stored_copy(const std::string& url) {
    (void)url;
    return std::nullopt;
  }
  // What is known of the good copy stored for `url` (its validators; due
  // unless its next revisit is after `due_before`, an ISO 8601 UTC time; ""
  // : due), or nullopt when none is stored. Thread-safe; blocks on a read.
  virtual std::optional<KnownCopy> known_copy(const std::string& url, const std::string& due_before) {
    (void)url;
    (void)due_before;
    return std::nullopt;
  }
  // Blocks until everything stored so far is written (durable as the sink
  // defines it) or has failed. Returns the failure, if there is one.
  virtual std::optional<StorageFailure> flush() = 0;
  // Records the end of a run after every page stored before it. Returns the
  // failure, if there is one.
  virtual std::optional<StorageFailure> end_run(const RunSummary&) { return failure(); }
  // After a successful end_run(): what the run did to the stored pages, as
  // counted while they were written; nullopt when the sink keeps no history
  // or the run's end was not recorded.
  virtual std::optional<RunChangeCounts> run_changes() const { return std::nullopt; }
  // Whether a write has failed. Cheap (an atomic load): polled by the crawl.
  // Once true, stays true.
  virtual bool failed() const noexcept = 0;
  // The first failure, or nullopt while failed() is false. A thread that saw
  // failed() == true gets a value.
  virtual std::optional<StorageFailure> failure() const = 0;
};

}  // namespace crawl

// QueuedSink: what SqliteSink and DiskSink share — the queue between
// store() callers and ONE writer thread, the run markers that travel in it,
// and the failure state. Internal to storage/.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "storage/batch_queue.h"
#include "storage/sink.h"

namespace crawl {

// Implements the Sink contract (sink.h) on top of write_batch(), which a
// subclass provides and which runs on the writer thread only.
//
// Lifecycle: the subclass constructor opens its target, then calls
// start_writer() as its LAST step; the subclass destructor calls
// stop_writer() as its FIRST step (it drains the queue and joins the
// thread, so write_batch() never runs on a half-destroyed object).
//
// Failures: the writer calls fail() for every item it could not write; the
// first failure is kept, failed() turns true (release/acquire: a thread that
// sees failed() sees failure()). From then on:
//  - store() drops its result at once (counted in dropped(); no copy, no
//    queueing, so memory does not grow while the crawl winds down);
//  - items already queued are dropped by the writer (also counted), except
//    EndRun, which is still handed to write_batch() once, as a best effort to
//    record how the run ended (write_batch sees failed() and must not wait
//    long for it); its own failure is logged, never replaces the first;
//  - flush(), begin_run() and end_run() still return promptly with the
//    failure: the writer thread stays alive until the destructor.
class QueuedSink : public Sink {
 public:
  std::optional<StorageFailure> begin_run(const RunInfo& info) final;
  void store(const FetchResult& result) final;
  std::optional<StorageFailure> flush() final;
  std::optional<StorageFailure> end_run(const RunSummary& summary) final;
  bool failed() const noexcept final { return failed_.load(std::memory_order_acquire); }
  std::optional<StorageFailure> failure() const final;

  // Results written so far (committed / index line appended). Thread-safe.
  std::int64_t written() const { return written_.load(); }
  // Items (results or run records) that could not be written. Thread-safe.
  std::int64_t write_errors() const { return write_errors_.load(); }
  // Items not attempted because the sink had already failed. Thread-safe.
  std::int64_t dropped() const { return dropped_.load(); }

 protected:
  struct BeginRun {
    RunInfo info;
  };
  struct EndRun {
    RunSummary summary;
  };
  using Item = std::variant<FetchResult, BeginRun, EndRun>;
  using Queue = BatchQueue<Item>;
  using Batch = std::vector<Queue::Entry>;

  // `where` names the target in failures the writer cannot place better
  // (e.g. out of memory): the path as the user gave it.
  QueuedSink(std::string where, std::size_t max_queued_bytes);
  ~QueuedSink() override;

  void start_writer();
  void stop_writer() noexcept;

  // Writer thread: writes the items of `batch` in order. Called with a
  // non-empty batch; once failed(), only with EndRun items. Must call
  // should_write() before each item it writes (it may fail part-way) and
  // report every lost item with fail(). Exceptions escaping it are turned
  // into a failure of `where`.
  virtual void write_batch(const Batch& batch) = 0;

  // Writer thread: false (and the item counted in dropped()) when the sink
  // has failed and `item` is not an EndRun.
  bool should_write(const Item& item);
  // Writer thread: `count` items were lost; keeps the first failure, logs
  // every one at error level as "WHERE: MESSAGE".
  void fail(const std::string& where, const std::string& message, std::int64_t count = 1);
  // "cannot store URL", "cannot record the start of the run", "… end of the run".
  static std::string describe(const Item& item);
  // describe() of a one-item batch, else "cannot store a batch of N items
  // (URL …)" naming the first URL.
  static std::string describe_batch(const Batch& batch);
  // Writer thread: `count` results were written.
  void count_written(std::int64_t count) { written_ += count; }

 private:
  void writer_loop() noexcept;

  const std::string where_;
  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mutex_;       // guards failure_
  std::optional<StorageFailure> failure_;  // set once, by the writer
  std::atomic<std::int64_t> written_{0};
  std::atomic<std::int64_t> write_errors_{0};
  std::atomic<std::int64_t> dropped_{0};

  Queue queue_;
  std::thread writer_;
};

}  // namespace crawl

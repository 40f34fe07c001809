// QueuedSink: what SqliteSink and DiskSink share — the queue between
// store() callers and ONE writer thread, the run markers that travel in it,
// and the failure state. Internal to storage/.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
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
//
// The crawl state (state_store.h), when the subclass keeps one
// (keep_state()): its operations travel in the same queue as the pages, so
// the writer applies them in call order with the pages, and a page's
// effects (settle()) are written with the page.
class QueuedSink : public Sink {
 public:
  ~QueuedSink() override;
  std::optional<StorageFailure> begin_run(const RunInfo& info) final;
  void store(const FetchResult& result) final;
  void settle(const FetchResult& result, bool page, UrlEffects effects) final;
  void store_owned(FetchResult&& result) final;
  void settle_owned(FetchResult&& result, bool page, UrlEffects effects) final;
  StateStore* state() noexcept final { return keeps_state_ ? &state_ : nullptr; }
  std::optional<StorageFailure> flush() final;
  std::optional<StorageFailure> end_run(const RunSummary& summary) final;
  // Also true when the downstream sink (if any) has failed.
  bool failed() const noexcept final {
    return failed_.load(std::memory_order_acquire) || (downstream_ && downstream_->failed());
  }
  std::optional<StorageFailure> failure() const final;

  // Before any item is queued: the crawl state lives in `downstream` (a
  // sink that keeps it), in order with this sink's writes: the subclass's
  // write_batch() hands it each item with forward() once written. Its
  // failure is this sink's failure; it is destroyed after this sink's writer
  // has stopped.
  void keep_state_in(std::unique_ptr<QueuedSink> downstream);

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
  // A finished URL: its page (unless !store_page) and, when it has them, its
  // effects on the crawl state.
  struct Page {
    FetchResult result;
    bool store_page = true;
    std::optional<UrlEffects> effects;
  };
  // The crawl state's operations (StateStore).
  using AddUrls = state_op::AddUrls;
  using Started = state_op::Started;
  using Take = state_op::Take;
  using Resume = state_op::Resume;
  using Item = std::variant<Page, BeginRun, EndRun, AddUrls, Started, Take, Resume>;
  using Queue = BatchQueue<Item>;
  using Batch = std::vector<Queue::Entry>;

  // `where` names the target in failures the writer cannot place better
  // (e.g. out of memory): the path as the user gave it.
  // `group`: the writer takes a batch at most every `group` (BatchQueue).
  QueuedSink(std::string where, std::size_t max_queued_bytes, std::chrono::milliseconds group = {});

  void start_writer();
  void stop_writer() noexcept;
  // Constructor: this sink keeps the crawl state (state() is not null).
  void keep_state() { keeps_state_ = true; }
  // Writer thread: hands `item` to the downstream sink (a page without its
  // body: the state needs only its URL and effects); waits for run records
  // and Resume to be written there.
  void forward(const Item& item);
  bool has_downstream() const { return downstream_ != nullptr; }
  // Queues `item` in order with everything else; forwarding sinks use it.
  // `wait_for_space` false: never blocks (small state operations, pushed by
  // threads that must not wait).
  // `wake` false (with !wait_for_space): the writer is not woken for it; it
  // is written with the next item, or by flush().
  std::uint64_t push(Item item, bool wait_for_space = true, bool wake = true);
  // What `item` counts against the queue's byte budget.
  static std::size_t item_bytes(const Item& item);
  void wait_done(std::uint64_t ticket) { queue_.wait_done(ticket); }

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
  // (URL …)" naming the first URL; of the items from `begin` on.
  static std::string describe_batch(const Batch& batch, std::size_t begin = 0);
  // The URL of a Page item, or nullptr.
  static const std::string* url_of(const Item& item);
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

  // The StateStore side: pushes the state's operations into the queue.
  class StateQueue final : public StateStore {
   public:
    explicit StateQueue(QueuedSink& sink) : sink_(sink) {}
    ResumePoint resume(bool restart) override;
    void add(std::vector<StateUrl> urls) override;
    void started(const std::string& url) override;
    void take(std::string origin, std::size_t limit, Taken taken) override;

   private:
    QueuedSink& sink_;
  };

  bool keeps_state_ = false;
  StateQueue state_{*this};
  std::unique_ptr<QueuedSink> downstream_;
  Queue queue_;
  std::thread writer_;
};

}  // namespace crawl

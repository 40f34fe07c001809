// WarcSink: --warc beside the chosen --store. A Sink that hands every
// result to the sink it wraps and archives the result's exchanges
// (FetchResult::wire) as WARC records, on a writer thread of its own
// (never on an event loop or a result thread).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "storage/batch_queue.h"
#include "storage/sink.h"
#include "storage/warc_writer.h"

namespace crawl {

// Thread safety and failures: the Sink contract (sink.h). The wrapped sink
// (`inner`, may be null: --store none without a state) gets every result
// and every operation of its crawl state (state()) through this sink's
// writer, in call order, after the result's records are written: a page's
// effects are committed with the archive's mark (ArchiveMark: the end of
// its records), so that a resumed crawl cuts the WARC file back to the last
// page committed and no record is missing or written twice. A WARC write
// that fails (disk full, I/O error) is this sink's failure: the crawl stops
// and exits 3 naming the file; the results not archived are not handed on
// (a resumed crawl fetches them again). A file is closed (renamed from
// .open, its CDXJ written) only once the inner sink has written every page
// archived in it: at --warc-max-size and at end_run(). The constructor opens
// the first WARC file and throws std::runtime_error when it cannot (a
// directory that is missing or not writable).
class WarcSink final : public Sink {
 public:
  WarcSink(std::unique_ptr<Sink> inner, WarcWriterOptions options, std::size_t max_queued_bytes = 64u << 20);
  ~WarcSink() override;
  WarcSink(const WarcSink&) = delete;
  WarcSink& operator=(const WarcSink&) = delete;

  std::optional<StorageFailure> begin_run(const RunInfo& info) override;
  void store(const FetchResult& result) override;
  void settle(const FetchResult& result, bool page, UrlEffects effects) override;
  void store_owned(FetchResult&& result) override;
  void settle_owned(FetchResult&& result, bool page, UrlEffects effects) override;
  void record_exchanges(const FetchResult& result) override;
  StateStore* state() noexcept override { return inner_state_ ? &relay_ : nullptr; }
  std::optional<FetchResult> stored_copy(const std::string& url) override {
    return inner_ ? inner_->stored_copy(url) : std::nullopt;
  }
  std::optional<KnownCopy> known_copy(const std::string& url, const std::string& due_before) override {
    return inner_ ? inner_->known_copy(url, due_before) : std::nullopt;
  }
  std::optional<RunChangeCounts> run_changes() const override {
    return inner_ ? inner_->run_changes() : std::nullopt;
  }
  std::optional<StorageFailure> flush() override;
  std::optional<StorageFailure> end_run(const RunSummary& summary) override;
  bool failed() const noexcept override {
    return failed_.load(std::memory_order_acquire) || (inner_ && inner_->failed());
  }
  std::optional<StorageFailure> failure() const override;

 private:
  // A result to archive, then to hand to the inner sink by `call`.
  struct Archive {
    enum class Call { store, settle, exchanges };
    FetchResult result;
    Call call = Call::store;
    bool page = true;    // settle()'s
    UrlEffects effects;  // settle()'s
  };
  // The crawl state's operations, handed on in order with the results.
  using AddUrls = state_op::AddUrls;
  using Started = state_op::Started;
  using Take = state_op::Take;
  using Resume = state_op::Resume;
  struct Close {};
  using Item = std::variant<Archive, AddUrls, Started, Take, Resume, Close>;
  // The writer takes what arrived within this long at once (unless someone
  // waits: flush(), end_run(), a take): one wake-up a batch, not one a page
  // (a context switch costs tens of µs on a virtual machine). The inner
  // sink groups its commits by 25 ms anyway.
  static constexpr std::chrono::milliseconds kGroup{10};
  using Queue = BatchQueue<Item>;

  // The StateStore of state(): the inner state's, through the queue.
  class Relay final : public StateStore {
   public:
    explicit Relay(WarcSink& sink) : sink_(sink) {}
    ResumePoint resume(bool restart) override;
    void add(std::vector<StateUrl> urls) override;
    void started(const std::string& url) override;
    void take(std::string origin, std::size_t limit, Taken taken) override;

   private:
    WarcSink& sink_;
  };

  void push_archive(Archive archive);
  void writer_loop() noexcept;
  // Writer thread: archives one result (false: not archived, not to be handed on).
  bool archive(Archive& a);
  // Writer thread: hands `pending` on to the inner sink, in order, once the
  // index lines of their records are written.
  void hand_on(std::vector<Item*>& pending);
  // Writer thread: closes the current file once the inner sink has written
  // every page archived in it (kept .open if it has failed).
  void close_file();
  void fail(const std::string& message);

  std::unique_ptr<Sink> inner_;
  StateStore* inner_state_ = nullptr;
  Relay relay_{*this};
  const std::string where_;  // --warc PREFIX, as given
  std::unique_ptr<WarcWriter> writer_;  // used by the writer thread only, once started
  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mutex_;       // guards failure_
  std::optional<StorageFailure> failure_;  // set once, by the writer thread
  Queue queue_;
  std::thread thread_;
};

}  // namespace crawl

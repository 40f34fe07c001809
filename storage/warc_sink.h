// WarcSink: --warc beside the chosen --store. A Sink that hands every
// result to the sink it wraps and archives the result's exchanges
// (FetchResult::wire) as WARC records, on a writer thread of its own
// (never on an event loop or a result thread).
#pragma once

#include <atomic>
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
// (`inner`, may be null: --store none without a state) gets every call
// first; the WARC side queues a light copy of the result (no decoded body;
// the wire bytes are shared, not copied) for its writer. A WARC write that
// fails (disk full, I/O error) is this sink's failure: the crawl stops and
// exits 3 naming the file. end_run() closes the current WARC file (renamed
// from .open, its CDXJ written) after every result queued before it.
// The constructor opens the first WARC file and throws std::runtime_error
// when it cannot (a directory that is missing or not writable).
class WarcSink final : public Sink {
 public:
  WarcSink(std::unique_ptr<Sink> inner, WarcWriterOptions options, std::size_t max_queued_bytes = 64u << 20);
  ~WarcSink() override;
  WarcSink(const WarcSink&) = delete;
  WarcSink& operator=(const WarcSink&) = delete;

  std::optional<StorageFailure> begin_run(const RunInfo& info) override;
  void store(const FetchResult& result) override;
  void settle(const FetchResult& result, bool page, UrlEffects effects) override;
  void record_exchanges(const FetchResult& result) override;
  StateStore* state() noexcept override { return inner_ ? inner_->state() : nullptr; }
  std::optional<FetchResult> stored_copy(const std::string& url) override {
    return inner_ ? inner_->stored_copy(url) : std::nullopt;
  }
  std::optional<KnownCopy> known_copy(const std::string& url, const std::string& due_before) override {
    return inner_ ? inner_->known_copy(url, due_before) : std::nullopt;
  }
  std::optional<StorageFailure> flush() override;
  std::optional<StorageFailure> end_run(const RunSummary& summary) override;
  bool failed() const noexcept override {
    return failed_.load(std::memory_order_acquire) || (inner_ && inner_->failed());
  }
  std::optional<StorageFailure> failure() const override;

 private:
  struct Close {};
  using Item = std::variant<FetchResult, Close>;
  void archive(const FetchResult& result);
  void writer_loop() noexcept;
  void fail(const std::string& message);

  std::unique_ptr<Sink> inner_;
  const std::string where_;  // --warc PREFIX, as given
  std::unique_ptr<WarcWriter> writer_;  // used by the writer thread only, once started
  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mutex_;       // guards failure_
  std::optional<StorageFailure> failure_;  // set once, by the writer thread
  BatchQueue<Item> queue_;
  std::thread thread_;
};

}  // namespace crawl

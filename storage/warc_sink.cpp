// WarcSink: the WARC side of the storage (see the header).
#include "storage/warc_sink.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <vector>

namespace crawl {

WarcSink::WarcSink(std::unique_ptr<Sink> inner, WarcWriterOptions options, std::size_t max_queued_bytes)
    : inner_(std::move(inner)),
      where_(options.prefix),
      writer_(std::make_unique<WarcWriter>(std::move(options))),
      queue_(max_queued_bytes) {
  thread_ = std::thread([this] { writer_loop(); });
}

WarcSink::~WarcSink() {
  queue_.close();  // the writer drains what is queued, then closes the file
  thread_.join();
}

std::optional<StorageFailure> WarcSink::begin_run(const RunInfo& info) {
  if (inner_)
    if (auto failure = inner_->begin_run(info)) return failure;
  return failure();
}

void WarcSink::store(const FetchResult& result) {
  if (inner_) inner_->store(result);
  archive(result);
}

void WarcSink::settle(const FetchResult& result, bool page, UrlEffects effects) {
  if (inner_) inner_->settle(result, page, std::move(effects));
  archive(result);  // a noindex page is archived too: the archive records fetches
}

void WarcSink::record_exchanges(const FetchResult& result) {
  if (inner_) inner_->record_exchanges(result);
  archive(result);
}

void WarcSink::archive(const FetchResult& result) {
  if (!result.wire || result.wire->empty() || failed_.load(std::memory_order_acquire)) return;
  // What the records need: no decoded body (the wire bytes are shared).
  FetchResult light;
  light.request = result.request;
  light.final_url = result.final_url;
  light.redirects = result.redirects;
  light.status = result.status;
  light.links = result.links;
  light.fetched_at = result.fetched_at;
  light.elapsed_ms = result.elapsed_ms;
  light.wire = result.wire;
  std::size_t bytes = sizeof(FetchResult) + light.links.size();
  for (const auto& x : *light.wire) bytes += x.request.size() + x.response.size() + x.body.size();
  queue_.push(Item{std::in_place_type<FetchResult>, std::move(light)}, bytes);
}

std::optional<StorageFailure> WarcSink::flush() {
  queue_.wait_done(queue_.last_ticket());
  if (inner_)
    if (auto failure = inner_->flush()) return failure;
  return failure();
}

std::optional<StorageFailure> WarcSink::end_run(const RunSummary& summary) {
  queue_.wait_done(queue_.push(Item{std::in_place_type<Close>}, sizeof(Item)));
  std::optional<StorageFailure> inner_failure;
  if (inner_) inner_failure = inner_->end_run(summary);
  if (auto own = failure()) return own;
  return inner_failure;
}

std::optional<StorageFailure> WarcSink::failure() const {
  if (failed_.load(std::memory_order_acquire)) {
    std::lock_guard lock(failure_mutex_);
    return failure_;
  }
  return inner_ ? inner_->failure() : std::nullopt;
}

void WarcSink::fail(const std::string& message) {
  spdlog::error("--warc {}: {}", where_, message);
  if (failed_.load(std::memory_order_acquire)) return;  // only this thread sets it
  {
    std::lock_guard lock(failure_mutex_);
    failure_ = StorageFailure{"--warc " + where_, message};
  }
  failed_.store(true, std::memory_order_release);
}

void WarcSink::writer_loop() noexcept {
  std::vector<BatchQueue<Item>::Entry> batch;
  while (queue_.take_all(batch)) {
    const std::size_t count = batch.size();
    std::size_t bytes = 0;
    for (const auto& e : batch) bytes += e.bytes;
    for (const auto& e : batch) {
      try {
        std::optional<std::string> error;
        if (const auto* r = std::get_if<FetchResult>(&e.item)) {
          if (!failed_.load(std::memory_order_acquire)) error = writer_->write(*r);
        } else {
          error = writer_->close();
        }
        if (error) fail(*error);
      } catch (const std::exception& ex) {
        fail(std::string("cannot archive: ") + ex.what());
      }
    }
    batch.clear();
    queue_.mark_done(count, bytes);
  }
  try {
    if (auto error = writer_->close()) fail(*error);
    writer_.reset();
  } catch (...) {
  }
}

}  // namespace crawl

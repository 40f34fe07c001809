// WarcSink: the WARC side of the storage (see the header).
#include "storage/warc_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <vector>

#include "core/process.h"
#include "storage/sink_util.h"

namespace crawl {

WarcSink::WarcSink(std::unique_ptr<Sink> inner, WarcWriterOptions options, std::size_t max_queued_bytes)
    : inner_(std::move(inner)),
      inner_state_(inner_ ? inner_->state() : nullptr),
      where_(options.prefix),
      writer_(std::make_unique<WarcWriter>(std::move(options))),
      queue_(max_queued_bytes, kGroup) {
  thread_ = std::thread([this] {
    name_this_thread("crawl-warc");
    writer_loop();
  });
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

void WarcSink::push_archive(Archive archive) {
  std::size_t bytes = approx_result_bytes(archive.result);
  if (archive.result.wire)
    for (const auto& x : *archive.result.wire) bytes += x.request.size() + x.response.size() + x.body.size();
  bytes += approx_urls_bytes(archive.effects.added);
  queue_.push(Item{std::in_place_type<Archive>, std::move(archive)}, bytes);
}

// The copying forms check first, so that nothing is copied to be dropped.
void WarcSink::store(const FetchResult& result) {
  if (failed_.load(std::memory_order_acquire)) return;
  store_owned(FetchResult(result));
}

void WarcSink::settle(const FetchResult& result, bool page, UrlEffects effects) {
  if (failed_.load(std::memory_order_acquire)) return;
  settle_owned(FetchResult(result), page, std::move(effects));
}

void WarcSink::store_owned(FetchResult&& result) {
  if (failed_.load(std::memory_order_acquire)) return;
  push_archive(Archive{std::move(result), Archive::Call::store, true, {}});
}

void WarcSink::settle_owned(FetchResult&& result, bool page, UrlEffects effects) {
  // A noindex page is archived too: the archive records fetches.
  if (failed_.load(std::memory_order_acquire)) return;
  push_archive(Archive{std::move(result), Archive::Call::settle, page, std::move(effects)});
}

void WarcSink::record_exchanges(const FetchResult& result) {
  if (failed_.load(std::memory_order_acquire) || !result.wire || result.wire->empty()) return;
  // What the records need: no decoded body (the wire bytes are shared).
  FetchResult light;
  light.request = result.request;
  light.final_url = result.final_url;
  light.redirects = result.redirects;
  light.status = result.status;
  light.fetched_at = result.fetched_at;
  light.elapsed_ms = result.elapsed_ms;
  light.wire = result.wire;
  // A payload the capture did not copy is the result's body (a retried 503's, say).
  if (std::any_of(result.wire->begin(), result.wire->end(), [](const WireExchange& x) { return x.payload_in_result(); }))
    light.body = result.body;
  push_archive(Archive{std::move(light), Archive::Call::exchanges, false, {}});
}

ResumePoint WarcSink::Relay::resume(bool restart) {
  ResumePoint point;
  sink_.queue_.wait_done(sink_.queue_.push(Item{std::in_place_type<Resume>, Resume{restart, &point}}, sizeof(Item)));
  return point;
}

void WarcSink::Relay::add(std::vector<StateUrl> urls) {
  if (urls.empty()) return;
  const std::size_t bytes = sizeof(Item) + approx_urls_bytes(urls);
  sink_.queue_.push(Item{std::in_place_type<AddUrls>, AddUrls{std::move(urls)}}, bytes);
}

void WarcSink::Relay::started(const std::string& url) {
  // Handed on with the next item, as the inner state does (never blocks, no wake-up).
  sink_.queue_.push_now(Item{std::in_place_type<Started>, Started{url}}, sizeof(Item) + url.size(), false);
}

void WarcSink::Relay::take(std::string origin, std::size_t limit, Taken taken) {
  // Urgent: the crawler waits for these URLs (no grouping delay).
  sink_.queue_.push_now(Item{std::in_place_type<Take>, Take{std::move(origin), limit, std::move(taken)}},
                        sizeof(Item), /*wake=*/true, /*urgent=*/true);
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

bool WarcSink::archive(Archive& a) {
  if (failed_.load(std::memory_order_acquire)) return false;
  try {
    if (a.result.wire && !a.result.wire->empty())
      if (auto error = writer_->write(a.result)) fail(*error);
  } catch (const std::exception& ex) {
    fail(std::string("cannot archive ") + a.result.request.url + ": " + ex.what());
  }
  if (failed_.load(std::memory_order_acquire)) return false;
  if (a.call == Archive::Call::settle) a.effects.archive = writer_->mark();
  return true;
}

void WarcSink::hand_on(std::vector<Item*>& pending) {
  if (pending.empty()) return;
  if (!failed_.load(std::memory_order_acquire))
    if (auto error = writer_->flush()) fail(*error);
  const bool archived = !failed_.load(std::memory_order_acquire);
  for (Item* item : pending) {
    if (auto* a = std::get_if<Archive>(item)) {
      if (!archived || !inner_) continue;  // their records may be lost: fetched again on resume
      switch (a->call) {
        case Archive::Call::store: inner_->store_owned(std::move(a->result)); break;
        case Archive::Call::settle: inner_->settle_owned(std::move(a->result), a->page, std::move(a->effects)); break;
        case Archive::Call::exchanges: inner_->record_exchanges(a->result); break;
      }
    } else if (auto* add = std::get_if<AddUrls>(item)) {
      inner_state_->add(std::move(add->urls));
    } else if (auto* started = std::get_if<Started>(item)) {
      inner_state_->started(started->url);
    } else if (auto* take = std::get_if<Take>(item)) {
      inner_state_->take(std::move(take->origin), take->limit, std::move(take->taken));
    }
  }
  pending.clear();
}

void WarcSink::close_file() {
  // Every page archived in the file is written by the inner sink first, so
  // that a closed file never holds a record a resumed crawl would cut.
  const bool inner_failed = inner_ && inner_->flush().has_value();
  if (auto error = writer_->close(/*keep_open=*/inner_failed)) fail(*error);
}

void WarcSink::writer_loop() noexcept {
  std::vector<Queue::Entry> batch;
  std::vector<Item*> pending;
  while (queue_.take_all(batch)) {
    const std::size_t count = batch.size();
    std::size_t bytes = 0;
    for (const auto& e : batch) bytes += e.bytes;
    for (auto& e : batch) {
      try {
        if (auto* a = std::get_if<Archive>(&e.item)) {
          if (a->result.wire && !a->result.wire->empty() && writer_->full()) {
            hand_on(pending);  // before the file they are in is closed
            close_file();
          }
          if (archive(*a)) pending.push_back(&e.item);
        } else if (auto* resume = std::get_if<Resume>(&e.item)) {
          hand_on(pending);
          if (inner_state_) *resume->out = inner_state_->resume(resume->restart);
          if (!failed_.load(std::memory_order_acquire))
            if (auto error = writer_->resume(resume->out->archives, resume->out->resumed_run.has_value()))
              fail(*error);
        } else if (std::holds_alternative<Close>(e.item)) {
          hand_on(pending);
          if (!failed_.load(std::memory_order_acquire)) close_file();
        } else {
          pending.push_back(&e.item);
        }
      } catch (const std::exception& ex) {
        fail(std::string("cannot archive: ") + ex.what());
      }
    }
    try {
      hand_on(pending);
    } catch (const std::exception& ex) {
      fail(std::string("cannot archive: ") + ex.what());
    }
    batch.clear();
    queue_.mark_done(count, bytes);
  }
  try {
    close_file();
    writer_.reset();
  } catch (...) {
  }
}

}  // namespace crawl

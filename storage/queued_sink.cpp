// QueuedSink: the writer thread's loop and the failure state (see the header).
#include "storage/queued_sink.h"

#include <spdlog/spdlog.h>

#include <cassert>
#include <exception>
#include <utility>

#include "storage/sink_util.h"

namespace crawl {

QueuedSink::QueuedSink(std::string where, std::size_t max_queued_bytes)
    : where_(std::move(where)), queue_(max_queued_bytes) {}

QueuedSink::~QueuedSink() { assert(!writer_.joinable() && "subclass must call stop_writer()"); }

void QueuedSink::start_writer() {
  writer_ = std::thread([this] { writer_loop(); });
}

void QueuedSink::stop_writer() noexcept {
  if (!writer_.joinable()) return;
  queue_.close();  // the writer drains everything queued before it exits
  writer_.join();
}

std::optional<StorageFailure> QueuedSink::begin_run(const RunInfo& info) {
  // Waited for: SqliteSink gives the pages stored after it the run's id.
  queue_.wait_done(queue_.push(Item{std::in_place_type<BeginRun>, BeginRun{info}},
                               sizeof(BeginRun) + info.settings.size()));
  return failure();
}

void QueuedSink::store(const FetchResult& result) {
  if (failed()) {
    ++dropped_;
    return;
  }
  queue_.push(Item{std::in_place_type<FetchResult>, result}, approx_result_bytes(result));
}

std::optional<StorageFailure> QueuedSink::flush() {
  queue_.wait_done(queue_.last_ticket());
  return failure();
}

std::optional<StorageFailure> QueuedSink::end_run(const RunSummary& summary) {
  queue_.wait_done(
      queue_.push(Item{std::in_place_type<EndRun>, EndRun{summary}}, sizeof(EndRun)));
  return failure();
}

std::optional<StorageFailure> QueuedSink::failure() const {
  if (!failed()) return std::nullopt;
  std::lock_guard lock(failure_mutex_);
  return failure_;
}

bool QueuedSink::should_write(const Item& item) {
  if (!failed() || std::holds_alternative<EndRun>(item)) return true;
  ++dropped_;
  return false;
}

void QueuedSink::fail(const std::string& where, const std::string& message, std::int64_t count) {
  write_errors_ += count;
  spdlog::error("{}: {}", where, message);
  if (failed()) return;  // only the writer sets it: no race between test and set
  {
    std::lock_guard lock(failure_mutex_);
    failure_ = StorageFailure{where, message};
  }
  failed_.store(true, std::memory_order_release);
}

std::string QueuedSink::describe(const Item& item) {
  if (const auto* page = std::get_if<FetchResult>(&item)) return "cannot store " + page->request.url;
  if (std::holds_alternative<BeginRun>(item)) return "cannot record the start of the run";
  return "cannot record the end of the run";
}

std::string QueuedSink::describe_batch(const Batch& batch) {
  if (batch.size() == 1) return describe(batch.front().item);
  std::string out = "cannot store a batch of " + std::to_string(batch.size()) + " items";
  for (const auto& e : batch) {
    if (const auto* page = std::get_if<FetchResult>(&e.item)) {
      return out + " (" + page->request.url + " …)";
    }
  }
  return out;
}

void QueuedSink::writer_loop() noexcept {
  Batch batch;
  Batch end_runs;  // what is still written once failed
  while (queue_.take_all(batch)) {
    const std::size_t count = batch.size();
    std::size_t bytes = 0;
    for (const auto& e : batch) bytes += e.bytes;
    try {
      if (failed()) {
        end_runs.clear();
        for (auto& e : batch) {
          if (should_write(e.item)) end_runs.push_back(std::move(e));
        }
        if (!end_runs.empty()) write_batch(end_runs);
      } else {
        write_batch(batch);
      }
    } catch (const std::exception& e) {
      // Allocation failures, mostly. The writer must never die, or flush()
      // would wait forever; what was not written is unknown, so say so.
      fail(where_, std::string("writer stopped part-way through a batch: ") + e.what());
    }
    batch.clear();  // free the bodies before announcing the space
    end_runs.clear();
    queue_.mark_done(count, bytes);
  }
}

}  // namespace crawl

// QueuedSink: the writer thread's loop and the failure state (see the header).
#include "storage/queued_sink.h"

#include <spdlog/spdlog.h>

#include <cassert>
#include <exception>
#include <type_traits>
#include <utility>

#include "core/process.h"
#include "storage/sink_util.h"

namespace crawl {

QueuedSink::QueuedSink(std::string where, std::size_t max_queued_bytes, std::chrono::milliseconds group)
    : where_(std::move(where)), queue_(max_queued_bytes, group) {}

QueuedSink::~QueuedSink() { assert(!writer_.joinable() && "subclass must call stop_writer()"); }

void QueuedSink::start_writer() {
  writer_ = std::thread([this] {
    name_this_thread("crawl-writer");
    writer_loop();
  });
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

// The copying forms check first, so that nothing is copied to be dropped.
void QueuedSink::store(const FetchResult& result) {
  if (failed()) {
    ++dropped_;
    return;
  }
  store_owned(FetchResult(result));
}

void QueuedSink::settle(const FetchResult& result, bool page, UrlEffects effects) {
  if (failed()) {
    ++dropped_;
    return;
  }
  if (!keeps_state_ && !page) return;
  settle_owned(FetchResult(result), page, std::move(effects));
}

void QueuedSink::store_owned(FetchResult&& result) {
  if (failed()) {
    ++dropped_;
    return;
  }
  push(Item{std::in_place_type<Page>, Page{std::move(result), true, std::nullopt}});
}

void QueuedSink::settle_owned(FetchResult&& result, bool page, UrlEffects effects) {
  if (failed()) {
    ++dropped_;
    return;
  }
  if (!keeps_state_ && !page) return;
  std::optional<UrlEffects> kept;
  if (keeps_state_) kept = std::move(effects);
  push(Item{std::in_place_type<Page>, Page{std::move(result), page, std::move(kept)}});
}

std::size_t QueuedSink::item_bytes(const Item& item) {
  if (const auto* page = std::get_if<Page>(&item))
    return approx_result_bytes(page->result) + (page->effects ? approx_urls_bytes(page->effects->added) : 0);
  if (const auto* add = std::get_if<AddUrls>(&item)) return sizeof(Item) + approx_urls_bytes(add->urls);
  return sizeof(Item);
}

std::uint64_t QueuedSink::push(Item item, bool wait_for_space, bool wake) {
  const std::size_t bytes = item_bytes(item);
  // A Take is answered to a crawler waiting for the URLs.
  const bool urgent = std::holds_alternative<Take>(item);
  return wait_for_space ? queue_.push(std::move(item), bytes, urgent)
                        : queue_.push_now(std::move(item), bytes, wake || urgent, urgent);
}

ResumePoint QueuedSink::StateQueue::resume(bool restart) {
  ResumePoint point;
  sink_.wait_done(sink_.push(Item{std::in_place_type<Resume>, Resume{restart, &point}}));
  return point;
}

void QueuedSink::StateQueue::add(std::vector<StateUrl> urls) {
  if (!urls.empty()) sink_.push(Item{std::in_place_type<AddUrls>, AddUrls{std::move(urls)}});
}

void QueuedSink::StateQueue::started(const std::string& url) {
  // Not worth a wake-up of the writer per request (a futex call on an event
  // loop): it is committed with the next page.
  sink_.push(Item{std::in_place_type<Started>, Started{url}}, false, false);
}

void QueuedSink::StateQueue::take(std::string origin, std::size_t limit, Taken taken) {
  sink_.push(Item{std::in_place_type<Take>, Take{std::move(origin), limit, std::move(taken)}}, false);
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
  if (failed_.load(std::memory_order_acquire)) {
    std::lock_guard lock(failure_mutex_);
    return failure_;
  }
  return downstream_ ? downstream_->failure() : std::nullopt;
}

void QueuedSink::keep_state_in(std::unique_ptr<QueuedSink> downstream) {
  downstream_ = std::move(downstream);
  keeps_state_ = true;
}

void QueuedSink::forward(const Item& item) {
  if (!downstream_) return;
  Item copy = std::visit(
      [](const auto& value) -> Item {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, Page>) {
          FetchResult light;  // what the state needs: the request and how it ended
          light.request = value.result.request;
          light.status = value.result.status;
          light.error = value.result.error;
          return Item{std::in_place_type<Page>, Page{std::move(light), false, value.effects}};
        } else {
          return Item{std::in_place_type<T>, value};
        }
      },
      item);
  const bool wait = std::holds_alternative<BeginRun>(item) || std::holds_alternative<EndRun>(item) ||
                    std::holds_alternative<Resume>(item);
  const std::uint64_t ticket = downstream_->push(std::move(copy));
  if (wait) downstream_->wait_done(ticket);
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

const std::string* QueuedSink::url_of(const Item& item) {
  const auto* page = std::get_if<Page>(&item);
  return page ? &page->result.request.url : nullptr;
}

std::string QueuedSink::describe(const Item& item) {
  if (const auto* url = url_of(item)) return "cannot store " + *url;
  if (std::holds_alternative<BeginRun>(item)) return "cannot record the start of the run";
  if (std::holds_alternative<EndRun>(item)) return "cannot record the end of the run";
  if (std::holds_alternative<AddUrls>(item)) return "cannot add URLs to the crawl state";
  if (const auto* started = std::get_if<Started>(&item)) return "cannot record the start of " + started->url;
  if (const auto* take = std::get_if<Take>(&item)) return "cannot read the queue of " + take->origin;
  return "cannot resume the crawl state";
}

std::string QueuedSink::describe_batch(const Batch& batch, std::size_t begin) {
  const std::size_t count = batch.size() - begin;
  if (count == 1) return describe(batch[begin].item);
  std::string out = "cannot store a batch of " + std::to_string(count) + " items";
  for (std::size_t i = begin; i < batch.size(); ++i) {
    if (const auto* url = url_of(batch[i].item)) return out + " (" + *url + " …)";
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

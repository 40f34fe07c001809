#include "crawler/crawler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>

#include "crawler/links.h"
#include "crawler/url.h"

namespace crawl {

namespace {

bool is_html(std::string_view content_type) {
  std::string t(content_type.substr(0, content_type.find(';')));
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t == "text/html" || t == "application/xhtml+xml";
}

}  // namespace

Crawler::Crawler(const Config& config, Fetcher& fetcher, Sink* sink, const StopRequest* stop)
    : config_(config),
      fetcher_(fetcher),
      sink_(sink),
      stop_(stop),
      frontier_(Frontier::Options{config.per_host, std::chrono::milliseconds(config.delay_ms)}) {
  // The built-in done-callbacks, in order: links, storage, stats, log.
  callbacks_.push_back([this](const FetchResult& r) { enqueue_links(r); });
  if (sink_)
    callbacks_.push_back([this](const FetchResult& r) {
      // An aborted transfer (Ctrl-C twice) fetched nothing: don't let it
      // overwrite what an earlier run stored for this URL.
      if (r.error != FetchErrc::aborted) sink_->store(r);
    });
  callbacks_.push_back([this](const FetchResult& r) { stats_.record(r); });
  callbacks_.push_back([](const FetchResult& r) {
    if (r.error)
      spdlog::warn("{}: {}", r.request.url, r.error_string());
    else if (r.status >= 400)
      spdlog::warn("{}: HTTP {}", r.request.url, r.status);
    else
      spdlog::debug("{} {} ({} bytes, {:.0f} ms)", r.status, r.request.url, r.body.size(), r.elapsed_ms);
  });
}

void Crawler::add_done_callback(Callback callback) { callbacks_.push_back(std::move(callback)); }

bool Crawler::in_scope(const std::string& url) const {
  return config_.scope == Scope::any || seed_hosts_.contains(url_host(url));
}

void Crawler::enqueue_links(const FetchResult& r) {
  const auto final_url = normalize_url(r.final_url);
  std::vector<std::string> links;
  if (r.ok() && r.status >= 200 && r.status < 300 && r.request.depth < config_.max_depth &&
      is_html(r.content_type)) {
    links = extract_links(r.body, final_url ? *final_url : r.request.url);
    std::erase_if(links, [this](const std::string& u) { return !in_scope(u); });
  }
  std::lock_guard lock(mu_);
  // The redirect target was fetched too: don't fetch it again under its own name.
  if (final_url && *final_url != r.request.url) frontier_.mark_seen(*final_url);
  for (auto& link : links)
    frontier_.add(FetchRequest{std::move(link), r.request.depth + 1, r.request.priority + 1, r.request.url});
}

std::vector<FetchRequest> Crawler::take_work(const std::unique_lock<std::mutex>&,
                                             std::optional<Frontier::Clock::time_point>* wake_at) {
  std::vector<FetchRequest> work;
  while (!stopping_ && !limit_reached() && in_flight_ < config_.concurrency) {
    auto next = frontier_.next(Frontier::Clock::now());
    if (!next.request) {
      if (wake_at) *wake_at = next.wake_at;
      break;
    }
    ++dispatched_;
    ++in_flight_;
    work.push_back(std::move(*next.request));
  }
  return work;
}

void Crawler::submit_all(std::vector<FetchRequest>&& requests) {
  for (auto& request : requests)
    fetcher_.submit(std::move(request), [this](FetchResult&& r) { on_done(std::move(r)); });
}

void Crawler::on_done(FetchResult&& result) {
  // The transfer is over: free its host's lease first and hand the next
  // ready URLs out from here, so the host's next transfer does not wait for
  // this page's parsing or for the crawl loop's thread to wake up.
  {
    std::unique_lock lock(mu_);
    frontier_.done(url_host(result.request.url));
    auto work = take_work(lock, nullptr);
    lock.unlock();
    submit_all(std::move(work));
  }
  for (const auto& callback : callbacks_) {
    try {
      callback(result);
    } catch (const std::exception& e) {
      spdlog::error("{}: done-callback failed: {}", result.request.url, e.what());
    }
  }
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  changed_.notify_all();
}

Crawler::Progress Crawler::progress() const {
  Progress p;
  p.stats = stats_.snapshot();
  std::lock_guard lock(mu_);
  p.queued = frontier_.queued();
  p.in_flight = static_cast<std::size_t>(in_flight_);
  return p;
}

CrawlReport Crawler::run(const std::vector<Seed>& seeds) {
  using Clock = Frontier::Clock;
  const auto started_wall = std::chrono::system_clock::now();
  const auto started = Clock::now();

  for (const auto& seed : seeds) seed_hosts_.insert(url_host(seed.url));
  if (sink_) sink_->begin_run(RunInfo{started_wall, to_string(config_.mode), config_.concurrency,
                                      config_.urls_file, config_.summary()});

  std::string outcome = "completed";
  bool cancelled = false;
  std::unique_lock lock(mu_);
  for (const auto& seed : seeds) frontier_.add(FetchRequest{seed.url, 0, seed.priority, {}});

  for (;;) {
    const int signals = stop_ ? stop_->count.load() : 0;
    if (signals > 0 && !stopping_) {
      stopping_ = true;
      outcome = stop_->last_signal.load() == SIGTERM ? "terminated" : "interrupted";
      if (in_flight_ > 0)
        spdlog::warn("stopping: waiting for {} transfers in flight (signal again to abort them)", in_flight_);
    }
    if (signals > 1 && !cancelled) {
      cancelled = true;
      lock.unlock();
      fetcher_.cancel();
      lock.lock();
    }
    // Completions hand out most work themselves (on_done); this covers the
    // seeds, hosts whose --delay ran out, and links queued after a release.
    std::optional<Clock::time_point> wake_at;
    auto work = take_work(lock, &wake_at);
    if (!work.empty()) {
      lock.unlock();  // submit never blocks on I/O, but callbacks take mu_
      submit_all(std::move(work));
      lock.lock();
      continue;
    }
    if (in_flight_ == 0 && (stopping_ || limit_reached() || frontier_.queued() == 0)) {
      if (!stopping_ && limit_reached() && frontier_.queued() > 0) outcome = "max-pages";
      break;
    }
    // Wake on a finished transfer, on a host's delay running out, or at
    // least every 100 ms to notice a stop request.
    auto deadline = Clock::now() + std::chrono::milliseconds(100);
    if (wake_at && *wake_at < deadline) deadline = *wake_at;
    changed_.wait_until(lock, deadline);
  }
  const std::size_t left = frontier_.queued();
  const std::int64_t dispatched = dispatched_;
  lock.unlock();

  fetcher_.drain();
  CrawlReport report;
  report.stats = stats_.snapshot();
  report.dispatched = dispatched;
  report.left_queued = left;
  RunSummary& s = report.summary;
  s.finished_at = std::chrono::system_clock::now();
  s.pages = report.stats.pages;
  s.bytes = report.stats.bytes;
  s.errors = report.stats.errors;
  s.errors_by_kind = report.stats.errors_by_kind;
  s.elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();
  s.outcome = outcome;
  if (sink_) {
    sink_->flush();
    sink_->end_run(s);
  }
  return report;
}

}  // namespace crawl

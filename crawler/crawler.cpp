#include "crawler/crawler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>

#include "web/domain.h"
#include "web/links.h"
#include "web/robots.h"
#include "web/sitemap.h"
#include "web/url.h"

namespace crawl {

namespace {

constexpr int kMaxSitemapNesting = 3;  // a sitemap index of sitemap indexes of sitemaps

bool is_html(std::string_view content_type) {
  std::string t(content_type.substr(0, content_type.find(';')));
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t == "text/html" || t == "application/xhtml+xml";
}

Frontier::Options frontier_options(const Config& c) {
  Frontier::Options o;
  o.per_host = c.per_host;
  o.delay = std::chrono::milliseconds(c.delay_ms);
  o.robots = !c.ignore_robots;
  o.robots_retries = c.retries;
  o.max_delay = std::chrono::milliseconds(static_cast<std::int64_t>(c.max_crawl_delay_s * 1000));
  o.max_pages_per_host = c.max_pages_per_host;
  o.max_host_failures = c.max_host_failures;
  return o;
}

// What a finished transfer tells about its host, for the frontier's back-off.
Frontier::Outcome outcome_of(const FetchResult& r) {
  if (r.error) {
    switch (static_cast<FetchErrc>(r.error.value())) {
      case FetchErrc::dns:
      case FetchErrc::connect:
      case FetchErrc::timeout:
      case FetchErrc::recv:
      case FetchErrc::send:
      case FetchErrc::tls: return Frontier::Outcome::connection_failure;
      default: return Frontier::Outcome::ok;  // the server answered, or we stopped it
    }
  }
  if (r.status == 429 || r.status == 503) return Frontier::Outcome::throttled;
  if (r.status >= 500) return Frontier::Outcome::server_error;
  return Frontier::Outcome::ok;
}

// Connection errors, timeouts, 5xx and 429 are worth another try; DNS and
// TLS failures, 4xx and everything else are final.
bool retryable(const FetchResult& r) {
  if (r.error) {
    const auto e = static_cast<FetchErrc>(r.error.value());
    return e == FetchErrc::connect || e == FetchErrc::timeout || e == FetchErrc::recv || e == FetchErrc::send;
  }
  return r.status == 429 || r.status >= 500;
}

// "HTTP 503" or "dns: Could not resolve …": what went wrong, for messages.
std::string failure_text(const FetchResult& r) {
  return r.error ? r.error_string() : "HTTP " + std::to_string(r.status);
}

bool header_is(std::string_view name, std::string_view wanted) {
  return name.size() == wanted.size() && std::equal(name.begin(), name.end(), wanted.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

Crawler::Crawler(const Config& config, Fetcher& fetcher, Sink* sink, const StopRequest* stop)
    : config_(config),
      fetcher_(fetcher),
      sink_(sink),
      stop_(stop),
      robots_token_(product_token(config.user_agent)),
      frontier_(frontier_options(config)) {
  fetcher_.set_end_hook([this](const FetchResult& r) { on_transfer_end(r); });
  for (const auto& re : config.include) include_.emplace_back(re, boost::regex::ECMAScript);
  for (const auto& re : config.exclude) exclude_.emplace_back(re, boost::regex::ECMAScript);
}

void Crawler::add_done_callback(Callback callback) { callbacks_.push_back(std::move(callback)); }

bool Crawler::in_scope(const std::string& url) const {
  switch (config_.scope) {
    case Scope::host:
      if (!seed_hosts_.contains(url_host(url))) return false;
      break;
    case Scope::domain:
      if (!seed_domains_.contains(registrable_domain(url_host(url)))) return false;
      break;
    case Scope::any: break;
  }
  if (!include_.empty() &&
      std::none_of(include_.begin(), include_.end(), [&](const boost::regex& re) { return boost::regex_search(url, re); }))
    return false;
  return std::none_of(exclude_.begin(), exclude_.end(), [&](const boost::regex& re) { return boost::regex_search(url, re); });
}

void Crawler::enqueue(std::vector<std::string>&& urls, const FetchRequest& from, int depth, RequestKind kind) {
  if (urls.empty()) return;
  std::vector<Frontier::Skipped> skipped;
  {
    auto referrer = std::make_shared<const std::string>(from.url);  // shared by all its links
    std::lock_guard lock(mu_);
    for (auto& url : urls) frontier_.add(std::move(url), depth, from.priority + 1, referrer, kind);
    skipped = frontier_.take_skipped();
  }
  record_skipped(std::move(skipped));
}

bool Crawler::enqueue_links(const FetchResult& r) {
  const auto final_url = normalize_url(r.final_url);
  if (final_url && *final_url != r.request.url) {
    // The redirect target was fetched too: don't fetch it again under its own name.
    std::lock_guard lock(mu_);
    frontier_.mark_seen(*final_url);
  }
  if (!r.ok() || r.status < 200 || r.status >= 300) return true;
  const std::string& base = final_url ? *final_url : r.request.url;

  if (r.request.kind == RequestKind::sitemap) {
    Sitemap map = parse_sitemap(r.body);
    std::vector<std::string> pages, sitemaps;
    if (config_.max_depth >= 1)
      for (const auto& u : map.urls)
        if (auto n = normalize_url(u); n && in_scope(*n)) pages.push_back(std::move(*n));
    if (r.request.depth < kMaxSitemapNesting)
      for (const auto& u : map.sitemaps)
        if (auto n = normalize_url(u)) sitemaps.push_back(std::move(*n));
    spdlog::debug("{}: sitemap with {} URLs, {} sitemaps", r.request.url, map.urls.size(), map.sitemaps.size());
    // Pages from a sitemap are one step from the seeds, like a root's links.
    enqueue(std::move(pages), r.request, 1, RequestKind::page);
    enqueue(std::move(sitemaps), r.request, r.request.depth + 1, RequestKind::sitemap);
    return true;
  }
  if (!is_html(r.content_type)) return true;

  bool nofollow = false, noindex = false;
  if (!config_.ignore_nofollow)  // each X-Robots-Tag header has its own user-agent scope
    for (const auto& [name, value] : r.headers)
      if (header_is(name, "X-Robots-Tag")) apply_robots_directives(value, robots_token_, nofollow, noindex);
  PageLinks page = extract_page_links(r.body, base, robots_token_);
  if (!config_.ignore_nofollow) {
    nofollow = nofollow || page.meta_nofollow;
    noindex = noindex || page.meta_noindex;
  } else {
    page.links.insert(page.links.end(), page.nofollow_links.begin(), page.nofollow_links.end());
  }
  if (!nofollow && r.request.depth < config_.max_depth) {
    std::erase_if(page.links, [this](const std::string& u) { return !in_scope(u); });
    enqueue(std::move(page.links), r.request, r.request.depth + 1, RequestKind::page);
  }
  return !noindex;
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
    // --max-pages counts pages: not robots.txt, not a retry of a page.
    if (next.request->kind != RequestKind::robots && next.request->attempt == 0) ++dispatched_;
    ++in_flight_;
    work.push_back(std::move(*next.request));
  }
  return work;
}

void Crawler::submit_all(std::vector<FetchRequest>&& requests) {
  for (auto& request : requests)
    fetcher_.submit(std::move(request), [this](FetchResult&& r) { on_done(std::move(r)); });
}

// The rules a robots.txt response gives (RFC 9309 §2.3.1): a 2xx is parsed,
// other answers allow everything, and a server error or no answer at all
// means the rules are unknown for now (nullopt: disallow all, try again).
std::optional<RobotsRules> Crawler::robots_rules_of(const FetchResult& r) const {
  if (r.error || r.status == 429 || r.status >= 500) return std::nullopt;
  if (r.status >= 200 && r.status < 300) return parse_robots(r.body, robots_token_);
  return allow_all();
}

void Crawler::on_transfer_end(const FetchResult& result) {
  // The transfer is over: free its host's lease and hand the next ready URLs
  // out right here, on the fetcher's thread, so the host's next transfer
  // waits neither for this page's parsing nor for the callback threads.
  std::unique_lock lock(mu_);
  frontier_.done(result.request, outcome_of(result), result.retry_after_s, Frontier::Clock::now());
  auto work = take_work(lock, nullptr);
  lock.unlock();
  submit_all(std::move(work));
}

void Crawler::on_done(FetchResult&& result) {
  const bool is_robots = result.request.kind == RequestKind::robots;
  std::optional<RobotsRules> rules;
  if (is_robots) rules = robots_rules_of(result);
  std::vector<std::string> sitemaps;
  if (rules && config_.sitemaps && result.request.attempt == 0)
    for (const auto& u : rules->sitemaps)
      if (auto n = normalize_url(u); n && in_scope(*n)) sitemaps.push_back(std::move(*n));
  const bool have_rules = rules.has_value();

  // The lease was freed by on_transfer_end(); what the result says about the
  // host's robots.txt, or a retry, goes to the frontier now. What that makes
  // ready is handed out below, with this page's links.
  bool final_result = !is_robots;
  {
    std::lock_guard lock(mu_);
    if (is_robots) {
      frontier_.set_robots(result.request, std::move(rules), Frontier::Clock::now(), failure_text(result));
    } else if (retryable(result) && result.request.attempt < config_.retries && !stopping_) {
      FetchRequest again = result.request;
      ++again.attempt;
      frontier_.retry(std::move(again));
      final_result = false;
    }
  }

  if (is_robots) {
    if (have_rules)
      spdlog::debug("{}: HTTP {}, rules in force", result.request.url, result.status);
    else
      spdlog::info("{}: {}; the host waits (attempt {} of {})", result.request.url, failure_text(result),
                   result.request.attempt + 1, config_.retries + 1);
    enqueue(std::move(sitemaps), result.request, 1, RequestKind::sitemap);
  } else if (!final_result) {
    spdlog::info("{}: {}; retrying ({} of {})", result.request.url, failure_text(result),
                 result.request.attempt + 1, config_.retries);
  } else {
    run_callbacks(result);
  }
  // Hand out what this result made ready (its links, its host's robots.txt
  // rules, a retry). The crawl loop's thread is woken only when it has
  // something to do: the crawl may be over, or a host becomes ready later
  // (its --delay) and someone must be awake then. Waking it for every page
  // would cost a futex round trip per page.
  std::optional<Frontier::Clock::time_point> wake_at;
  std::vector<Frontier::Skipped> skipped;
  bool wake_loop = false;
  {
    std::unique_lock lock(mu_);
    --in_flight_;
    auto work = take_work(lock, &wake_at);
    skipped = frontier_.take_skipped();
    wake_loop = in_flight_ == 0 || wake_at.has_value();
    lock.unlock();
    submit_all(std::move(work));
  }
  record_skipped(std::move(skipped));
  if (wake_loop) changed_.notify_all();
}

void Crawler::run_callbacks(const FetchResult& r) {
  auto guarded = [&](const char* what, auto&& step) {
    try {
      step();
    } catch (const std::exception& e) {
      spdlog::error("{}: {} failed: {}", r.request.url, what, e.what());
    }
  };
  // The built-in done-callbacks, in order: links, storage, stats, log.
  bool index = true;
  guarded("link extraction", [&] { index = enqueue_links(r); });
  // An aborted transfer (Ctrl-C twice) fetched nothing: don't let it
  // overwrite what an earlier run stored for this URL. A noindex page is
  // not stored.
  if (sink_ && index && r.error != FetchErrc::aborted) guarded("storage", [&] { sink_->store(r); });
  guarded("stats", [&] { stats_.record(r); });
  if (r.skipped())
    spdlog::debug("{}: skipped: {}", r.request.url, r.error_string());
  else if (r.error)
    spdlog::warn("{}: {}", r.request.url, r.error_string());
  else if (r.status >= 400)
    spdlog::warn("{}: HTTP {}", r.request.url, r.status);
  else
    spdlog::debug("{} {} ({} bytes, {:.0f} ms){}", r.status, r.request.url, r.body.size(), r.elapsed_ms,
                  index ? "" : " noindex: not stored");
  for (const auto& callback : callbacks_) guarded("done-callback", [&] { callback(r); });
}

void Crawler::record_skipped(std::vector<Frontier::Skipped>&& skipped) {
  for (auto& s : skipped) {
    FetchResult r;
    r.request = std::move(s.request);
    r.final_url = r.request.url;
    r.fetched_at = std::chrono::system_clock::now();
    r.error = make_error_code(s.reason);
    r.error_detail = std::move(s.detail);
    run_callbacks(r);
  }
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

  for (const auto& seed : seeds) {
    seed_hosts_.insert(url_host(seed.url));
    seed_domains_.insert(registrable_domain(url_host(seed.url)));
  }
  if (sink_) sink_->begin_run(RunInfo{started_wall, to_string(config_.mode), config_.concurrency,
                                      config_.urls_file, config_.summary()});

  RunOutcome outcome = RunOutcome::completed;
  bool cancelled = false;
  std::unique_lock lock(mu_);
  for (const auto& seed : seeds) frontier_.add(FetchRequest{seed.url, 0, seed.priority, {}});

  for (;;) {
    const int signals = stop_ ? stop_->count.load() : 0;
    if (signals > 0 && !stopping_) {
      stopping_ = true;
      outcome = stop_->last_signal.load() == SIGTERM ? RunOutcome::terminated : RunOutcome::interrupted;
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
    auto skipped = frontier_.take_skipped();
    if (!work.empty() || !skipped.empty()) {
      lock.unlock();  // submit never blocks on I/O, but callbacks take mu_
      submit_all(std::move(work));
      record_skipped(std::move(skipped));
      lock.lock();
      continue;
    }
    if (in_flight_ == 0 && (stopping_ || limit_reached() || !frontier_.has_pending())) {
      if (!stopping_ && limit_reached() && frontier_.queued() > 0) outcome = RunOutcome::max_pages;
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

#include "crawler/crawler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <unistd.h>
#include <utility>

#include "core/process.h"
#include "core/digest.h"
#include "core/time_text.h"
#include "core/printable.h"
#include "core/url_parts.h"
#include "web/url.h"

namespace crawl {

namespace {

// Whether this thread is inside a step (holds a Crawler's owner_).
thread_local bool t_serving = false;

// Marks this thread as inside a step for its scope.
struct InStep {
  InStep() { t_serving = true; }
  ~InStep() { t_serving = false; }
  InStep(const InStep&) = delete;
  InStep& operator=(const InStep&) = delete;
};

// How often the idle loop looks at signals and the sink without an event.
constexpr auto kStopPoll = std::chrono::milliseconds(100);

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

// The state a final result leaves its URL in.
UrlState final_state(const FetchResult& r) {
  if (r.skipped()) return UrlState::skipped;
  if (r.error || r.status >= 400) return UrlState::failed;
  return UrlState::done;
}

// What a finished transfer tells about its host, for the frontier's back-off.
Frontier::Outcome outcome_of(const FetchResult& r) {
  if (r.error) {
    switch (fetch_errc(r.error)) {
      case FetchErrc::dns:
      case FetchErrc::connect:
      case FetchErrc::timeout:
      case FetchErrc::send:
      case FetchErrc::tls: return Frontier::Outcome::connection_failure;
      // A body cut short (or a broken chunked framing) after the server
      // answered is that URL's failure: the host is up, and five such URLs
      // must not give it up or slow it down. Nothing came back at all
      // (a reset, an empty reply): the host's.
      case FetchErrc::recv: return r.answered ? Frontier::Outcome::ok : Frontier::Outcome::connection_failure;
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
    const FetchErrc e = fetch_errc(r.error);
    return e == FetchErrc::connect || e == FetchErrc::timeout || e == FetchErrc::recv || e == FetchErrc::send;
  }
  return r.status == 429 || r.status >= 500;
}

// "HTTP 503" or "dns: Could not resolve …": what went wrong, for messages.
std::string failure_text(const FetchResult& r) {
  return r.error ? r.error_string() : "HTTP " + std::to_string(r.status);
}

// Runs `step`, logging (not propagating) what it throws: one failing
// callback must not cost a result its other callbacks.
template <typename Step>
void guarded(std::string_view url, const char* what, Step&& step) {
  try {
    step();
  } catch (const std::exception& e) {
    spdlog::error("{}: {} failed: {}", url, what, e.what());
  }
}

template <typename Step>
void guarded(const FetchResult& r, const char* what, Step&& step) {
  guarded(r.request.url, what, std::forward<Step>(step));
}

}  // namespace

Crawler::Crawler(const Config& config, Sink* sink, const StopRequest* stop, Clock* clock)
    : config_(config),
      sink_(sink),
      stop_(stop),
      clock_(clock ? clock : &steady_clock_),
      state_(sink ? sink->state() : nullptr),
      frontier_([&] {
        auto o = frontier_options(config);
        if (state_) o.memory_queue = static_cast<std::size_t>(config.memory_queue);
        return o;
      }()) {}

Crawler::~Crawler() { stop_revisits(); }

void Crawler::add_done_callback(Callback callback) { callbacks_.push_back(std::move(callback)); }

// ---- the fetcher's threads ----------------------------------------------------

void Crawler::transfer_ended(const FetchResult& result) noexcept {
  try {
    if (end_in_place(result)) return;
    FetchRequest request;
    request.url = result.request.url;
    request.kind = result.request.kind;
    post(TransferEnded{std::move(request), outcome_of(result), result.retry_after_s}, Serving::never_block);
  } catch (const std::exception& e) {  // out of memory: the host keeps its lease
    spdlog::error("{}: cannot report the end of its transfer: {}", result.request.url, e.what());
  }
}

bool Crawler::end_in_place(const FetchResult& result) {
  if (t_serving) return false;  // inside a step: a fetcher that answered in submit()
  const auto outcome = outcome_of(result);
  // A signal or a storage failure is the next step's to act on (check_stop).
  if (outcome != Frontier::Outcome::ok || (stop_ && stop_->count.load() > 0) || (sink_ && sink_->failed()))
    return false;
  std::unique_lock lock(owner_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  const InStep in_step;
  const auto now = clock_->now();
  frontier_.done(result.request, outcome, 0, now);
  std::optional<FetchRequest> next;
  if (!stopping_ && !limit_reached() && in_flight_ < config_.concurrency)
    next = frontier_.next_of(std::string(url_origin(result.request.url)), now);
  if (next) {
    try {
      hand_out(std::move(*next));
    } catch (...) {
      std::terminate();  // its lease is taken and nobody would end it: better dead than hung
    }
    publish_counts();
  }
  // Nothing handed out here (the host waits for its delay, or its next URL
  // is not one to hand out here), or a host to wake for sooner than run()'s
  // thread planned: that thread steps.
  const auto wake_at = frontier_.next_wake();
  const bool wake_run = !next || (wake_at && *wake_at < planned_wake_);
  lock.unlock();
  // And an event posted meanwhile: its poster found the owner busy and left
  // it to the owner, which must look at the inbox once it lets go (serve()'s
  // rule); a loop does not step, run()'s thread does.
  if (wake_run || !inbox_.empty()) inbox_.notify();
  return true;
}

void Crawler::result_ready(FetchResult&& result) noexcept {
  ResultDone done;
  try {
    done = read(std::move(result));
  } catch (const std::exception& e) {
    // read() takes the request out of the result only once nothing can
    // throw any more, so it is still there. The owner must hear of every
    // result, or the crawl never ends.
    spdlog::error("{}: cannot process the result: {}", result.request.url, e.what());
    done = ResultDone{};
    done.request = std::move(result.request);
  }
  try {
    post(std::move(done), Serving::may_block);
  } catch (...) {
    std::terminate();  // no memory even for an event: better dead than hung
  }
}

void Crawler::post(CrawlEvent event, Serving serving) {
  inbox_.push(std::move(event));
  serve(serving);
}

void Crawler::serve(Serving serving) {
  // A fetcher that answers inside submit() (a test's) calls back into the
  // owner's own step: the event waits for that step's next round.
  if (t_serving) return;
  // An event loop (or the state's writer) never steps: a step dispatches,
  // which matches URLs against robots.txt rules and walks the frontier, and
  // a loop that did it would stall its transfers. run()'s thread steps, or
  // the result thread whose result_ready() follows every transfer_ended().
  if (serving == Serving::never_block) {
    inbox_.notify();
    return;
  }
  while (!inbox_.empty() && owner_.try_lock()) {
    std::unique_lock lock(owner_, std::adopt_lock);
    {
      const InStep in_step;
      step();
    }
    const bool wake_run = finished_ || !skipped_.empty() || (wake_at_ && *wake_at_ < planned_wake_);
    lock.unlock();
    if (wake_run) inbox_.notify();
  }
}

ResultDone Crawler::read(FetchResult&& r) {
  ResultDone done;
  if (r.request.kind == RequestKind::robots) {
    if (sink_ && r.wire) guarded(r, "storage", [&] { sink_->record_exchanges(r); });
    auto rules = reader_->robots_rules(r);
    if (rules) {
      spdlog::debug("{}: HTTP {}, rules in force", r.request.url, r.status);
      if (r.request.attempt == 0) {
        FoundUrls sitemaps = reader_->sitemaps_of(*rules);
        keep_unseen(sitemaps);
        if (state_ && !sitemaps.urls.empty()) {
          std::vector<StateUrl> rows;
          append_state_urls(rows, sitemaps, r.request);
          state_->add(std::move(rows));
        }
        done.discoveries.found.push_back(std::move(sitemaps));
      }
    } else {
      done.robots_failure = failure_text(r);
      spdlog::info("{}: {}; the host waits (attempt {} of {})", r.request.url, done.robots_failure,
                   r.request.attempt + 1, config_.retries + 1);
    }
    done.robots = std::move(rules);
    done.request = std::move(r.request);
    return done;
  }
  if (retryable(r) && r.request.attempt < config_.retries && !stopping_.load(std::memory_order_relaxed)) {
    spdlog::info("{}: {}; retrying ({} of {})", r.request.url, failure_text(r), r.request.attempt + 1,
                 config_.retries);
    if (sink_ && r.wire) guarded(r, "storage", [&] { sink_->record_exchanges(r); });
    done.request = r.request;
    done.retry = std::move(r);
    return done;
  }
  UrlEffects effects;
  if (r.is_redirect()) {
    // Its target is a request of its own (robots.txt, scope, per-host
    // leases); the redirect itself is recorded as the URL's response.
    follow_redirect(r, done, effects);
  } else if (!r.error && r.status == 304 && r.request.kind != RequestKind::robots) {
    // Not Modified: the stored copy is current and its links are followed;
    // unless nothing was asked for (Heritrix's guard against bogus 304s).
    if (r.request.conditional() && follow_stored(r.request, done, effects)) {
      ++not_modified_;
    } else {
      r.error = make_error_code(FetchErrc::protocol);
      r.error_detail = r.request.conditional() ? "HTTP 304 Not Modified, but no copy of the page is stored"
                                               : "HTTP 304 Not Modified to a request that was not conditional";
    }
  } else if (r.request.known && (r.error || (r.status >= 400 && r.status != 404 && r.status != 410))) {
    // A failure of a page stored before: the copy stays, and its links are
    // still followed, so one bad answer does not lose the pages below it
    // (a 404 or 410 says the page is gone: its links are not followed).
    follow_stored(r.request, done, effects);
  } else {
    // The links are kept with a stored page (the state lives there) for a later 304.
    std::string* links_out = state_ ? &r.links : nullptr;
    guarded(r, "link extraction", [&] { done.discoveries = reader_->read(r, links_out); });
    follow(done, r.request, effects);
  }
  // On this thread, not the writer's: the sink decides by it whether the page changed.
  if (sink_ && r.status > 0 && r.status != 304 && r.body_digest.empty())
    guarded(r, "digest", [&] { r.body_digest = sha1_digest(r.body); });
  done.request = r.request;  // r itself goes to the sink
  record(std::move(r), done.discoveries.index, std::move(effects));
  return done;
}

void Crawler::follow(ResultDone& done, const FetchRequest& from, UrlEffects& effects) {
  for (const auto& [name, n] : done.discoveries.bounds) stats_.count_bound(name, n);
  for (auto& found : done.discoveries.found) {
    keep_unseen(found);
    if (!state_) continue;
    append_state_urls(effects.added, found, from);
    if (known_.size() == 0) continue;
    std::erase_if(found.urls, [&](std::string& url) {
      auto copy = known_copy(url);
      if (!copy) return false;  // a fresh URL
      done.known.push_back({std::move(url), found.depth, found.kind, std::move(copy)});
      return true;
    });
  }
}

void Crawler::follow_redirect(FetchResult& r, ResultDone& done, UrlEffects& effects) {
  const std::string_view location = r.header("Location");
  if (location.empty()) return;  // no target: a response like any other
  auto target = resolve_url(r.request.url, location);
  if (!target) {
    spdlog::info("{}: HTTP {} to \"{}\": not an http(s) URL; not followed", r.request.url, r.status,
                 printable(location, 200));
    return;
  }
  r.final_url = *target;
  r.redirects = {*target};
  // A seed's redirect makes its target's host a seed's (Heritrix's
  // seedsRedirectNewSeeds): http://example.com/ → https://www.example.com/.
  if (r.request.depth == 0 && r.request.kind == RequestKind::page) scope_->add_seed_host(*target);
  Taken taken;
  {
    std::lock_guard lock(seen_mutex_);
    taken = take_unseen(*target);
  }
  if (taken == Taken::seen && !cookie_wall(r, *target)) return;  // queued or fetched already: a loop ends here
  FetchRequest next;
  next.url = std::move(*target);
  next.depth = r.request.depth;  // a redirect is not a link: same depth
  next.priority = r.request.priority;
  next.referrer = r.request.url;
  next.kind = r.request.kind;
  next.redirects = r.request.redirects + 1;
  const auto not_fetched = [&](std::error_code why, std::string detail) {
    FetchResult n;
    n.request = std::move(next);
    n.final_url = n.request.url;
    n.fetched_at = std::chrono::system_clock::now();
    n.error = why;
    n.error_detail = std::move(detail);
    record(std::move(n));
  };
  if (next.redirects > config_.max_redirects) {
    not_fetched(make_error_code(FetchErrc::too_many_redirects),
                "redirected to from " + r.request.url + " after " + std::to_string(config_.max_redirects) +
                    " redirects (--max-redirect)");
    return;
  }
  if (taken == Taken::over_host_cap) {
    stats_.count_bound(bound::urls_per_host);
    not_fetched(make_error_code(CrawlDecision::out_of_scope),
                "redirect from " + r.request.url + ": more than --max-urls-per-host " +
                    std::to_string(config_.max_urls_per_host) + " URLs queued for its host");
    return;
  }
  if (Rejection why = scope_->rejection(next.url)) {
    if (!why.bound.empty()) stats_.count_bound(why.bound);
    not_fetched(make_error_code(CrawlDecision::out_of_scope), "redirect from " + r.request.url + ": " + why.reason);
    return;
  }
  if (state_) {
    effects.added.push_back(
        StateUrl{next.url, next.depth, next.priority, next.referrer, next.kind, 0, {}, next.redirects});
    next.known = known_copy(next.url);  // requested conditionally, or not at all when not due
  }
  done.discoveries.redirect = std::move(next);
}

bool Crawler::cookie_wall(const FetchResult& r, const std::string& target) const {
  // A cookie wall: the answer sets a cookie and sends the client back to
  // where it came from — its own URL, or the URL that redirected to it —
  // which answers with the page once the cookie comes with the request
  // (wget follows such chains within one retrieval). The URL is requested
  // again, as a hop of the chain: --max-redirect bounds a wall that never
  // opens.
  if (!config_.cookies || r.header("Set-Cookie").empty()) return false;
  return target == r.request.url || (r.request.redirects > 0 && target == r.request.referrer);
}

std::shared_ptr<const KnownCopy> Crawler::known_copy(const std::string& url) {
  if (!known_.contains(url)) return nullptr;
  std::shared_ptr<const KnownCopy> known;
  FetchResult named;  // for the log line, if the read fails
  named.request.url = url;
  guarded(named, "reading the stored copy", [&] {
    // None after all (a fingerprint collision): a fresh URL.
    if (auto copy = sink_->known_copy(url, due_before_)) known = std::make_shared<const KnownCopy>(std::move(*copy));
  });
  return known;
}

bool Crawler::not_due(const FetchRequest& request) const {
  return state_ && config_.revisit_adaptive && request.kind == RequestKind::page && request.known &&
         !request.known->due;
}

bool Crawler::follow_stored(const FetchRequest& request, ResultDone& done, UrlEffects& effects) {
  std::optional<FetchResult> copy;
  FetchResult named;
  named.request = request;
  guarded(named, "reading the stored copy", [&] { copy = sink_ ? sink_->stored_copy(request.url) : std::nullopt; });
  if (!copy) return false;
  copy->request = request;
  if (copy->is_redirect()) {
    follow_redirect(*copy, done, effects);
    return true;
  }
  guarded(*copy, "link extraction", [&] { done.discoveries = reader_->read(*copy); });
  follow(done, request, effects);
  return true;
}

void Crawler::revisit_loop() {
  std::unique_lock lock(revisit_mutex_);
  for (;;) {
    revisit_cv_.wait(lock, [&] { return revisit_stop_ || !revisit_queue_.empty(); });
    if (revisit_queue_.empty()) return;  // stopping, nothing left
    CopyJob job = std::move(revisit_queue_.front());
    revisit_queue_.pop_front();
    lock.unlock();
    revisit(std::move(job));
    lock.lock();
  }
}

void Crawler::revisit(CopyJob job) {
  ResultDone done;
  FetchRequest& request = job.request;
  try {
    UrlEffects effects;
    if (job.failure) {
      // Not fetched (its host given up, its robots.txt unavailable): the
      // failure is recorded beside the copy, whose links are still followed.
      follow_stored(request, done, effects);
      record(std::move(*job.failure), true, std::move(effects));
    } else if (follow_stored(request, done, effects)) {
      ++not_due_;
      spdlog::debug("{}: not due for a revisit; links followed from the stored copy", request.url);
      if (sink_) {
        FetchResult r;  // no fetch: only the URL's state changes
        r.request = request;
        r.final_url = request.url;
        effects.state = UrlState::done;
        guarded(r, "storage", [&] { sink_->settle(r, false, std::move(effects)); });
      }
    } else {
      done = ResultDone{};
      done.requeue = true;
    }
    done.request = std::move(request);
  } catch (const std::exception& e) {
    spdlog::error("{}: cannot follow the stored copy: {}", request.url, e.what());
    done = ResultDone{};
    done.request = std::move(request);
  }
  try {
    post(std::move(done), Serving::may_block);
  } catch (...) {
    std::terminate();  // the crawl would never end
  }
}

void Crawler::queue_copy_job(CopyJob job) {
  ++in_flight_;  // until its ResultDone, like a fetch
  // Handed out, as a fetch is: a later read of its host must not return it
  // again (a skipped page was marked when the frontier skipped it).
  if (!job.failure) state_->started(job.request.url);
  {
    std::lock_guard lock(revisit_mutex_);
    revisit_queue_.push_back(std::move(job));
  }
  revisit_cv_.notify_one();
}

void Crawler::stop_revisits() {
  {
    std::lock_guard lock(revisit_mutex_);
    revisit_stop_ = true;
  }
  revisit_cv_.notify_all();
  if (revisit_thread_.joinable()) revisit_thread_.join();
}

Crawler::Taken Crawler::take_unseen(const std::string& url) {
  if (seen_.contains(url)) return Taken::seen;
  if (config_.max_urls_per_host > 0) {
    auto& queued = host_urls_[std::string(url_origin(url))];
    if (queued >= config_.max_urls_per_host) return Taken::over_host_cap;
    ++queued;
  }
  seen_.insert(url);
  return Taken::fresh;
}

void Crawler::keep_unseen(FoundUrls& found) {
  std::int64_t over = 0;
  {
    std::lock_guard lock(seen_mutex_);
    std::erase_if(found.urls, [&](const std::string& url) {
      const Taken taken = take_unseen(url);
      over += taken == Taken::over_host_cap;
      return taken != Taken::fresh;
    });
  }
  stats_.count_bound(bound::urls_per_host, over);
}

void Crawler::append_state_urls(std::vector<StateUrl>& out, const FoundUrls& found, const FetchRequest& from) {
  for (const auto& url : found.urls)
    out.push_back(StateUrl{url, found.depth, from.priority + 1, from.url, found.kind, 0, {}});
}

void Crawler::record(FetchResult&& r, bool index, UrlEffects effects) {
  guarded(r, "stats", [&] { stats_.record(r); });
  if (r.skipped())
    spdlog::debug("{}: skipped: {}", r.request.url, r.error_string());
  else if (r.error)
    spdlog::warn("{}: {}", r.request.url, r.error_string());
  else if (r.status >= 400)
    spdlog::warn("{}: HTTP {}", r.request.url, r.status);
  else
    spdlog::debug("{} {} ({} bytes, {:.0f} ms){}", r.status, r.request.url, r.body.size(), r.elapsed_ms,
                  index ? "" : " noindex: not stored");
  // An aborted transfer (Ctrl-C twice) fetched nothing: don't let it
  // overwrite what an earlier run stored for this URL; its URL stays in
  // flight in the state, to be fetched when the crawl resumes. A noindex
  // page is not stored, but settles its URL.
  const bool stored = sink_ && r.error != FetchErrc::aborted;
  if (stored) effects.state = final_state(r);
  if (stored && callbacks_.empty()) {
    // The sink is the result's last reader: it takes the body without a
    // copy (a page's body is copied once less; ~3% of the CPU on large pages).
    // Its URL is kept for the message of a failure, after r is given up.
    const std::string url = r.request.url;
    guarded(url, "storage", [&] { sink_->settle_owned(std::move(r), index, std::move(effects)); });
    return;
  }
  if (stored) guarded(r, "storage", [&] { sink_->settle(r, index, std::move(effects)); });
  for (const auto& callback : callbacks_) guarded(r, "done-callback", [&] { callback(r); });
}

// ---- the owner ------------------------------------------------------------------

void Crawler::step() {
  check_stop();
  inbox_.take(events_);
  for (auto& event : events_) apply(event);
  events_.clear();
  wake_at_ = dispatch();
  for (auto& s : frontier_.take_skipped()) {
    // Handed out (to be recorded), before any later read of its host's
    // queued URLs could return it again.
    if (state_ && s.request.kind != RequestKind::robots) state_->started(s.request.url);
    skipped_.push_back(std::move(s));
  }
  request_refills();
  record_skipped(std::exchange(skipped_, {}));
  finished_ = in_flight_ == 0 && skipped_.empty() && (stopping_ || limit_reached() || !frontier_.has_pending());
}

void Crawler::check_stop() {
  if (sink_ && sink_->failed() && outcome_ != RunOutcome::storage_failed) {
    outcome_ = RunOutcome::storage_failed;
    stopping_ = true;
    const auto failure = sink_->failure();
    spdlog::error("storage failed: {}: {}; stopping (waiting for {} transfers in flight)",
                  failure ? failure->where : "?", failure ? failure->message : "?", in_flight_);
  }
  const int signals = stop_ ? stop_->count.load() : 0;
  if (signals > 0 && outcome_ != RunOutcome::storage_failed && !stopping_) {
    outcome_ = stop_->last_signal.load() == SIGTERM ? RunOutcome::terminated : RunOutcome::interrupted;
    stopping_ = true;
    if (in_flight_ > 0)
      spdlog::warn("stopping: waiting for {} transfers in flight (signal again to abort them)", in_flight_);
  }
  if (signals > 1 && !cancelled_) {
    cancelled_ = true;
    fetcher_->cancel();
  }
}

void Crawler::apply(CrawlEvent& event) {
  if (auto* ended = std::get_if<TransferEnded>(&event)) {
    frontier_.done(ended->request, ended->outcome, ended->retry_after_s, clock_->now());
    return;
  }
  if (auto* refilled = std::get_if<Refilled>(&event)) {
    const std::size_t read = refilled->requests.size();
    std::vector<FetchRequest> fetch;
    fetch.reserve(read);
    for (auto& r : refilled->requests) {
      if (not_due(r)) {
        queue_copy_job(CopyJob{std::move(r), std::nullopt});
      } else {
        fetch.push_back(std::move(r));
      }
    }
    frontier_.refill(refilled->origin, std::move(fetch), read);
    return;
  }
  apply_done(std::get<ResultDone>(event));
}

void Crawler::apply_done(ResultDone& done) {
  --in_flight_;
  if (done.robots)
    frontier_.set_robots(done.request, std::move(*done.robots), clock_->now(), done.robots_failure);
  if (done.retry) {
    if (!stopping_) {
      FetchRequest again = std::move(done.request);
      ++again.attempt;
      frontier_.retry(std::move(again));
    } else if (!state_) {
      record(std::move(*done.retry));  // stopping: this attempt is the last one
    }  // else it stays in flight in the state: the resumed crawl fetches it
  }
  if (done.requeue) {
    FetchRequest again = std::move(done.request);
    again.known.reset();
    frontier_.retry(std::move(again));
    return;
  }
  if (auto& next = done.discoveries.redirect) {
    if (not_due(*next))
      queue_copy_job(CopyJob{std::move(*next), std::nullopt});
    else
      frontier_.add_new(std::move(*next));
  }
  if (done.discoveries.found.empty() && done.known.empty()) return;
  auto referrer = std::make_shared<const std::string>(done.request.url);  // shared by all its links
  for (auto& k : done.known) {
    FetchRequest r;
    r.url = std::move(k.url);
    r.depth = k.depth;
    r.priority = done.request.priority + 1;
    r.kind = k.kind;
    r.known = std::move(k.copy);
    if (not_due(r)) {
      r.referrer = done.request.url;
      queue_copy_job(CopyJob{std::move(r), std::nullopt});
    } else {
      frontier_.add_new(std::move(r.url), r.depth, r.priority, referrer, r.kind, std::move(r.known));
    }
  }
  for (auto& found : done.discoveries.found)  // new URLs only (keep_unseen)
    for (auto& url : found.urls)
      frontier_.add_new(std::move(url), found.depth, done.request.priority + 1, referrer, found.kind);
}

void Crawler::request_refills() {
  if (!state_ || stopping_ || limit_reached()) return;
  for (auto& origin : frontier_.take_refills()) {
    // Answered on the state's writer thread, which must not block.
    state_->take(std::move(origin), frontier_.refill_limit(), [this](std::string host, std::vector<StateUrl> urls) {
      Refilled refilled{std::move(host), {}};
      refilled.requests.reserve(urls.size());
      for (auto& u : urls) {
        FetchRequest r;
        r.url = std::move(u.url);
        r.depth = u.depth;
        r.priority = u.priority;
        r.referrer = std::move(u.referrer);
        r.kind = u.kind;
        r.attempt = u.attempts;  // in flight when an earlier run stopped: counted
        r.redirects = u.redirects;
        r.known = std::move(u.known);
        refilled.requests.push_back(std::move(r));
      }
      try {
        post(std::move(refilled), Serving::never_block);
      } catch (...) {
        std::terminate();  // the host would wait for ever
      }
    });
  }
}

// The one place work is handed out. Returns when a waiting host becomes
// ready, if nothing is ready now.
std::optional<Clock::time_point> Crawler::dispatch() {
  std::optional<Clock::time_point> wake_at;
  while (!stopping_ && !limit_reached() && in_flight_ < config_.concurrency) {
    auto next = frontier_.next(clock_->now());
    if (!next.request) {
      wake_at = next.wake_at;
      break;
    }
    hand_out(std::move(*next.request));
  }
  publish_counts();
  return wake_at;
}

void Crawler::hand_out(FetchRequest request) {
  // --max-pages counts pages: not robots.txt, not a retry of a page.
  if (request.kind != RequestKind::robots && request.attempt == 0) ++dispatched_;
  if (state_ && request.kind != RequestKind::robots) state_->started(request.url);
  ++in_flight_;
  fetcher_->submit(std::move(request));
}

void Crawler::publish_counts() {
  queued_published_.store(frontier_.queued(), std::memory_order_relaxed);
  in_flight_published_.store(static_cast<std::size_t>(in_flight_), std::memory_order_relaxed);
}

void Crawler::record_skipped(std::vector<Frontier::Skipped>&& skipped) {
  for (auto& s : skipped) {
    FetchResult r;
    r.request = std::move(s.request);
    r.final_url = r.request.url;
    r.fetched_at = std::chrono::system_clock::now();
    r.error = make_error_code(s.reason);
    r.error_detail = std::move(s.detail);
    if (r.request.known && !r.skipped() && state_ && !stopping_) {
      FetchRequest request = r.request;
      queue_copy_job(CopyJob{std::move(request), std::move(r)});
      continue;
    }
    record(std::move(r));
  }
}

void Crawler::start(const std::vector<Seed>& seeds, CrawlReport& report) {
  RunInfo info;
  info.started_at = std::chrono::system_clock::now();
  info.mode = to_string(config_.mode);
  info.concurrency = config_.concurrency;
  info.urls_file = config_.urls_file;
  info.settings = config_.summary();
  info.pid = static_cast<std::int64_t>(::getpid());
  if (config_.batch_time) info.started_at = *config_.batch_time;
  info.revisit.adaptive = config_.revisit_adaptive;
  info.revisit.min_s = config_.revisit_min_s;
  info.revisit.max_s = config_.revisit_max_s;
  info.retention.versions = config_.keep_versions;
  info.retention.newer_than_s = config_.keep_newer_than_s;
  std::lock_guard lock(owner_);
  if (state_) {
    ResumePoint point = state_->resume(config_.restart);
    {
      std::lock_guard seen_lock(seen_mutex_);
      for (const std::uint64_t fp : point.seen) seen_.insert_fingerprint(fp);
    }
    for (const auto& [origin, count] : point.queued_by_host) frontier_.restore(origin, count);
    for (const std::uint64_t fp : point.known) known_.insert_fingerprint(fp);
    if (!point.known.empty())
      spdlog::info("{} pages are stored from earlier batches: requested conditionally{}", point.known.size(),
                   config_.revisit_adaptive ? ", when due (--revisit adaptive)" : "");
    if (point.resumed_run) {
      info.resumed_from = report.resumed_from = point.resumed_run;
      info.requeued = report.requeued = point.requeued;
      report.resumed_queue = point.queued;
      spdlog::info("resuming the unfinished crawl of run {}: {} URLs queued, {} of them in flight when it stopped",
                   *point.resumed_run, point.queued, point.requeued);
    }
  }
  if (sink_) sink_->begin_run(info);
  std::vector<StateUrl> new_seeds;
  {
    std::lock_guard seen_lock(seen_mutex_);
    for (const auto& seed : seeds)
      if (seen_.insert(seed.url)) new_seeds.push_back(StateUrl{seed.url, 0, seed.priority, {}, RequestKind::page, 0, {}});
  }
  if (report.resumed_from && !new_seeds.empty())
    spdlog::info("{} URLs of {} are new to the crawl: added", new_seeds.size(), config_.urls_file);
  // Written before they are queued: a refill of their host reads them back.
  if (state_) state_->add(new_seeds);
  if (config_.revisit_adaptive) due_before_ = iso8601_utc(info.started_at);
  for (auto& seed : new_seeds) {
    FetchRequest r;
    r.known = known_copy(seed.url);
    r.url = std::move(seed.url);
    r.priority = seed.priority;
    if (not_due(r))
      queue_copy_job(CopyJob{std::move(r), std::nullopt});
    else
      frontier_.add_new(std::move(r.url), 0, r.priority, nullptr, RequestKind::page, std::move(r.known));
  }
}

CrawlReport Crawler::run(const std::vector<Seed>& seeds, Fetcher& fetcher) {
  const auto started = clock_->now();
  scope_.emplace(config_, seeds);
  reader_.emplace(config_, *scope_);
  fetcher_ = &fetcher;
  CrawlReport report;
  if (state_)
    revisit_thread_ = std::thread([this] {
      name_this_thread("crawl-revisit");
      revisit_loop();
    });
  start(seeds, report);
  for (;;) {
    Clock::time_point deadline;
    {
      std::lock_guard lock(owner_);
      {
        const InStep in_step;
        step();
      }
      if (finished_) break;
      // Wake on a host's delay running out, at least every kStopPoll to
      // notice a signal or a storage failure, or when serve() says so.
      deadline = clock_->now() + kStopPoll;
      if (wake_at_ && *wake_at_ < deadline) deadline = *wake_at_;
      planned_wake_ = deadline;
    }
    inbox_.wait(*clock_, deadline);
  }
  fetcher.drain();  // every result_ready() has returned (their events were all applied)
  stop_revisits();  // idle: its pages were in flight

  {
    std::lock_guard lock(owner_);  // a result thread may have been the last owner
    if (!stopping_ && limit_reached() && frontier_.queued() > 0) outcome_ = RunOutcome::max_pages;
    report.dispatched = dispatched_;
    report.left_queued = frontier_.queued();
  }
  finish(report, started);
  return report;
}

void Crawler::finish(CrawlReport& report, Clock::time_point started) {
  report.stats = stats_.snapshot();
  report.not_modified = not_modified_.load();
  report.not_due = not_due_.load();
  RunSummary& s = report.summary;
  s.finished_at = std::chrono::system_clock::now();
  s.pages = report.stats.pages;
  s.bytes = report.stats.bytes;
  s.errors = report.stats.errors;
  s.errors_by_kind = report.stats.errors_by_kind;
  s.skipped = report.stats.skipped;
  s.latency_p50_ms = report.stats.latency.percentile(50);
  s.latency_p95_ms = report.stats.latency.percentile(95);
  s.latency_p99_ms = report.stats.latency.percentile(99);
  s.elapsed_s = std::chrono::duration<double>(clock_->now() - started).count();
  s.outcome = outcome_;
  if (!sink_) return;
  // Flushed first, so a failure of the last pages is the run's outcome too.
  if (auto failure = sink_->flush(); failure && s.outcome != RunOutcome::storage_failed) {
    s.outcome = RunOutcome::storage_failed;
    spdlog::error("storage failed: {}: {}", failure->where, failure->message);
  }
  sink_->end_run(s);
  report.storage_failure = sink_->failure();
  if (report.storage_failure) s.outcome = RunOutcome::storage_failed;
}

Crawler::Progress Crawler::progress() const {
  Progress p;
  p.stats = stats_.snapshot();
  p.queued = queued_published_.load(std::memory_order_relaxed);
  p.in_flight = in_flight_published_.load(std::memory_order_relaxed);
  return p;
}

}  // namespace crawl

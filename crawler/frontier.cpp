#include "crawler/frontier.h"

#include <algorithm>


namespace crawl {

namespace {

Frontier::Referrer to_referrer(std::string&& url) {
  return url.empty() ? nullptr : std::make_shared<const std::string>(std::move(url));
}

// Small counts as Item keeps them (255 is plenty: retries and redirects are bounded far lower).
std::uint8_t clamp_u8(int n) { return static_cast<std::uint8_t>(std::clamp(n, 0, 255)); }

}  // namespace

// Refills in flight at once: enough to keep many hosts busy, few enough
// that their answers cannot swamp memory.
constexpr std::size_t kMaxRefillsPending = 64;

Frontier::Frontier(Options options)
    : options_(options),
      refill_size_(std::clamp<std::size_t>(options.memory_queue / 100, 8, 1000)) {}

Frontier::Host& Frontier::host_for(const std::string& origin) {
  auto [it, inserted] = hosts_.try_emplace(origin);
  if (inserted && options_.robots) it->second.robots_state = RobotsState::unknown;
  return it->second;
}

bool Frontier::add(FetchRequest request) {
  return add(std::move(request.url), request.depth, request.priority, to_referrer(std::move(request.referrer)),
             request.kind);
}

bool Frontier::over_quota(const std::string& origin, RequestKind kind) const {
  if (options_.max_pages_per_host <= 0 || kind != RequestKind::page) return false;
  auto it = hosts_.find(origin);
  return it != hosts_.end() && over_quota(it->second, kind);
}

bool Frontier::over_quota(const Host& host, RequestKind kind) const {
  return kind == RequestKind::page && options_.max_pages_per_host > 0 &&
         host.dispatched >= options_.max_pages_per_host;
}

bool Frontier::disallowed(const Host& host, const Item& item) {
  return item.kind == RequestKind::page && host.robots && !host.robots->allowed(item.path.empty() ? "/" : item.path);
}

bool Frontier::add(std::string url, int depth, double priority, Referrer referrer, RequestKind kind) {
  // Over quota: not even marked seen, nothing is lost by forgetting it.
  if (over_quota(std::string(url_origin(url)), kind) || !seen_.insert(url)) return false;
  return add_new(std::move(url), depth, priority, std::move(referrer), kind);
}

bool Frontier::add_new(std::string url, int depth, double priority, Referrer referrer, RequestKind kind,
                       std::shared_ptr<const KnownCopy> known) {
  FetchRequest r;
  r.url = std::move(url);
  r.depth = depth;
  r.priority = priority;
  r.kind = kind;
  r.known = std::move(known);
  return add_new(std::move(r), std::move(referrer));
}

bool Frontier::add_new(FetchRequest request) {
  Referrer referrer = to_referrer(std::move(request.referrer));
  return add_new(std::move(request), std::move(referrer));
}

bool Frontier::add_new(FetchRequest&& r, Referrer referrer) {
  const std::string& url = r.url;
  const std::string origin(url_origin(url));
  const RequestKind kind = r.kind;
  if (over_quota(origin, kind)) return false;
  Host& host = host_for(origin);
  if (options_.memory_queue > 0 && !host.given_up &&
      (host.on_disk > 0 || host.queue.size() >= refill_size_ || queued_ >= options_.memory_queue)) {
    ++host.on_disk;  // the caller has written it to the state
    ++on_disk_;
    if (host.refill_pending) ++host.on_disk_since_read;
    want_refill(origin, host);
    return true;
  }
  return enqueue(origin, host,
                 Item{r.priority, seq_++, url.substr(origin.size()), std::move(referrer), r.depth, kind, 0,
                      clamp_u8(r.redirects), std::move(r.known)});
}

void Frontier::restore(const std::string& origin, std::int64_t count) {
  if (count <= 0) return;
  Host& host = host_for(origin);
  host.on_disk += count;
  on_disk_ += count;
  want_refill(origin, host);
}

void Frontier::want_refill(const std::string& name, Host& host) {
  if (host.queue.empty() && host.on_disk > 0 && !host.refill_pending && !host.refill_wanted) {
    host.refill_wanted = true;
    refill_wanted_.push_back(name);
  }
}

void Frontier::drop_on_disk(Host& host) {
  on_disk_ -= host.on_disk;
  host.on_disk = 0;
}

std::vector<std::string> Frontier::take_refills() {
  std::vector<std::string> out;
  while (!refill_wanted_.empty() && refills_pending_ < kMaxRefillsPending &&
         (queued_ < options_.memory_queue || refills_pending_ == 0)) {
    std::string name = std::move(refill_wanted_.front());
    refill_wanted_.pop_front();
    Host& host = hosts_.at(name);
    host.refill_wanted = false;
    if (!host.queue.empty() || host.on_disk == 0 || host.refill_pending) continue;
    host.refill_pending = true;
    host.on_disk_since_read = 0;
    ++refills_pending_;
    out.push_back(std::move(name));
  }
  return out;
}

void Frontier::refill(const std::string& origin, std::vector<FetchRequest> requests, std::size_t read) {
  if (read == SIZE_MAX) read = requests.size();
  auto it = hosts_.find(origin);
  if (it == hosts_.end() || !it->second.refill_pending) return;
  Host& host = it->second;
  host.refill_pending = false;
  --refills_pending_;
  const auto n = static_cast<std::int64_t>(read);
  if (read < refill_size_) {
    drop_on_disk(host);  // that was all of them, but for those added since the read was asked for
    host.on_disk = host.on_disk_since_read;
    on_disk_ += host.on_disk;
  } else {
    const std::int64_t taken = std::min(n, host.on_disk);
    host.on_disk -= taken;
    on_disk_ -= taken;
    if (host.on_disk == 0) {  // a full read: look once more rather than trust the count
      host.on_disk = 1;
      ++on_disk_;
    }
  }
  for (auto& r : requests) {
    const double priority = r.priority;
    const int depth = r.depth;
    const RequestKind kind = r.kind;
    const auto attempt = static_cast<std::uint8_t>(std::clamp(r.attempt, 0, 255));
    enqueue(origin, host,
            Item{priority, seq_++, r.url.substr(std::min(origin.size(), r.url.size())),
                 to_referrer(std::move(r.referrer)), depth, kind, attempt, clamp_u8(r.redirects), std::move(r.known)});
  }
  want_refill(origin, host);
}

void Frontier::retry(FetchRequest request) {
  const std::string origin(url_origin(request.url));
  enqueue(origin, host_for(origin),
          Item{request.priority, seq_++, request.url.substr(origin.size()), to_referrer(std::move(request.referrer)),
               request.depth, request.kind, clamp_u8(request.attempt), clamp_u8(request.redirects),
               std::move(request.known)});
}

bool Frontier::enqueue(const std::string& origin, Host& host, Item item) {
  if (host.given_up) {
    skip(to_request(origin, std::move(item)), host.gave_up_reason, host.gave_up_because);
    return false;
  }
  push(host, std::move(item));
  refile(origin, host);
  return true;
}

void Frontier::push(Host& host, Item item) {
  host.queue.push(std::move(item));
  ++queued_;
}

void Frontier::pop(Host& host) {
  host.queue.pop();
  --queued_;
  if (host.queue.empty()) host.queue = {};  // gives the vector's memory back
}

void Frontier::mark_seen(std::string_view url) { seen_.insert(url); }

bool Frontier::seen(std::string_view url) const { return seen_.contains(url); }

FetchRequest Frontier::to_request(const std::string& origin, Item&& item) {
  FetchRequest r;
  r.url.reserve(origin.size() + item.path.size());
  r.url.append(origin).append(item.path);
  r.depth = item.depth;
  r.priority = item.priority;
  if (item.referrer) r.referrer = *item.referrer;
  r.kind = item.kind;
  r.attempt = item.attempt;
  r.redirects = item.redirects;
  r.known = std::move(item.known);
  return r;
}

std::chrono::milliseconds Frontier::delay_of(const Host& host) const {
  return std::min(std::max({options_.delay, host.crawl_delay, host.backoff}),
                  std::max(options_.delay, options_.max_delay));
}

void Frontier::promote(Clock::time_point now) {
  // Hosts whose delay has passed become ready.
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    std::string name = waiting_.begin()->second;
    Host& host = hosts_.at(name);
    waiting_.erase(waiting_.begin());
    host.wait_key.reset();
    const Item& best = host.queue.top();
    host.ready_key = ReadyKey{best.tried(), best.priority, best.seq, name};
    ready_.insert(*host.ready_key);
  }
}

Frontier::Next Frontier::next(Clock::time_point now) {
  for (promote(now); !ready_.empty(); promote(now)) {
    std::string name = std::get<3>(*ready_.begin());
    Host& host = hosts_.at(name);
    if (host.robots_state == RobotsState::known && now >= host.robots_expires)
      host.robots_state = RobotsState::unknown;  // cached rules expired: fetch them again
    if (host.robots_state == RobotsState::unknown) {
      // The host's first request is its robots.txt; its pages wait for it.
      FetchRequest robots;
      robots.url = name + "/robots.txt";
      robots.priority = host.queue.top().priority;
      robots.kind = RequestKind::robots;
      robots.attempt = host.robots_attempt;
      host.robots_state = RobotsState::fetching;
      ++host.in_flight;
      ++in_flight_;
      ++robots_in_flight_;
      host.last_start = now;
      host.next_start = now + delay_of(host);
      refile(name, host);
      return Next{std::move(robots), std::nullopt};
    }
    Item item = host.queue.top();  // priority_queue::top is const; copy then pop
    pop(host);
    if (over_quota(host, item.kind)) {
      drop_on_disk(host);  // nor are those on disk read back
      refile(name, host);  // over its quota: dropped, like the URLs add() refuses
      continue;
    }
    want_refill(name, host);
    if (disallowed(host, item)) {
      skip(to_request(name, std::move(item)), CrawlDecision::robots_disallowed, "disallowed by robots.txt");
      refile(name, host);  // its next URL, if any, competes again
      continue;
    }
    return Next{lease(name, host, std::move(item), now), std::nullopt};
  }
  Next none;
  if (!waiting_.empty()) none.wake_at = waiting_.begin()->first;
  return none;
}

std::optional<FetchRequest> Frontier::next_of(const std::string& origin, Clock::time_point now) {
  const auto it = hosts_.find(origin);
  if (it == hosts_.end()) return std::nullopt;
  Host& host = it->second;
  if (host.given_up || host.queue.empty() || host.in_flight >= options_.per_host || now < host.next_start)
    return std::nullopt;
  if (host.robots_state != RobotsState::not_needed &&
      (host.robots_state != RobotsState::known || now >= host.robots_expires))
    return std::nullopt;  // next() fetches (or waits for) the rules first
  if (host.on_disk > 0 && host.queue.size() <= 1) return std::nullopt;  // next() asks for a refill too
  const Item& best = host.queue.top();
  if (over_quota(host, best.kind) || disallowed(host, best)) return std::nullopt;  // next() drops or skips it
  Item item = best;
  pop(host);
  return lease(origin, host, std::move(item), now);
}

FetchRequest Frontier::lease(const std::string& name, Host& host, Item&& item, Clock::time_point now) {
  if (item.kind == RequestKind::page) ++host.dispatched;
  ++host.in_flight;
  ++in_flight_;
  host.last_start = now;
  host.next_start = now + delay_of(host);
  refile(name, host);
  return to_request(name, std::move(item));
}


void Frontier::done(const FetchRequest& request, Outcome outcome, double retry_after_s, Clock::time_point now) {
  const std::string name(url_origin(request.url));
  auto it = hosts_.find(name);
  if (it == hosts_.end() || it->second.in_flight == 0) return;
  Host& host = it->second;
  --host.in_flight;
  --in_flight_;
  if (request.kind == RequestKind::robots && robots_in_flight_ > 0) --robots_in_flight_;

  const auto cap = std::max(options_.delay, options_.max_delay);
  auto back_off = [&] {
    host.backoff = host.backoff.count() == 0 ? std::max(options_.first_backoff, options_.delay * 2)
                                             : host.backoff * 2;
    host.backoff = std::min(host.backoff, cap);
    host.next_start = std::max(host.next_start, now + host.backoff);
  };
  switch (outcome) {
    case Outcome::ok:
      host.failures_in_a_row = 0;
      // Recover by halves; a back-off under the first step is over.
      host.backoff /= 2;
      if (host.backoff < options_.first_backoff) host.backoff = std::chrono::milliseconds(0);
      break;
    case Outcome::throttled:
      host.failures_in_a_row = 0;
      if (retry_after_s > 0) {
        const auto pause = std::min(std::chrono::milliseconds(static_cast<std::int64_t>(retry_after_s * 1000)), cap);
        host.next_start = std::max(host.next_start, now + pause);
      } else {
        back_off();
      }
      break;
    case Outcome::server_error:
      host.failures_in_a_row = 0;
      back_off();
      break;
    case Outcome::connection_failure:
      back_off();
      if (++host.failures_in_a_row >= options_.max_host_failures && !host.given_up)
        give_up(name, host, CrawlDecision::host_given_up,
                std::to_string(host.failures_in_a_row) + " connection failures in a row on " + name);
      break;
  }
  refile(name, host);
}

void Frontier::set_robots(const FetchRequest& robots_request, std::optional<RobotsRules> rules,
                          Clock::time_point now, const std::string& failure) {
  const std::string name(url_origin(robots_request.url));
  auto it = hosts_.find(name);
  if (it == hosts_.end() || it->second.robots_state != RobotsState::fetching) return;
  Host& host = it->second;
  if (rules) {
    host.robots_state = RobotsState::known;
    host.robots_attempt = 0;
    host.robots_expires = now + options_.robots_ttl;
    host.crawl_delay = std::chrono::milliseconds(0);
    if (rules->crawl_delay && *rules->crawl_delay > 0)
      host.crawl_delay =
          std::chrono::milliseconds(static_cast<std::int64_t>(std::min(*rules->crawl_delay, 1e9) * 1000));
    host.robots = std::make_shared<const RobotsRules>(std::move(*rules));
    // The Crawl-delay counts from the robots.txt request's start.
    host.next_start = std::max(host.next_start, host.last_start + delay_of(host));
  } else if (++host.robots_attempt <= options_.robots_retries) {
    host.robots_state = RobotsState::unknown;  // fetched again once the back-off has passed
  } else {
    host.robots_state = RobotsState::given_up;
    give_up(name, host, CrawlDecision::robots_unavailable,
            name + "/robots.txt could not be fetched" + (failure.empty() ? "" : " (" + failure + ")"));
  }
  refile(name, host);
}

void Frontier::skip(FetchRequest request, CrawlDecision reason, std::string detail) {
  skipped_.push_back(Skipped{std::move(request), reason, std::move(detail)});
}

void Frontier::give_up(const std::string& name, Host& host, CrawlDecision reason, std::string detail) {
  host.given_up = true;
  host.gave_up_reason = reason;
  host.gave_up_because = detail;
  while (!host.queue.empty()) {
    Item item = host.queue.top();
    pop(host);
    skip(to_request(name, std::move(item)), reason, detail);
  }
  want_refill(name, host);  // those on disk are read back to be skipped too
  refile(name, host);
}

std::vector<Frontier::Skipped> Frontier::take_skipped() {
  std::vector<Skipped> out;
  out.swap(skipped_);
  return out;
}

void Frontier::unfile(Host& host) {
  if (host.ready_key) ready_.erase(*host.ready_key);
  if (host.wait_key) waiting_.erase(*host.wait_key);
  host.ready_key.reset();
  host.wait_key.reset();
}

void Frontier::refile(const std::string& name, Host& host) {
  unfile(host);
  if (host.queue.empty() || host.in_flight >= options_.per_host || host.given_up) return;
  if (host.robots_state == RobotsState::fetching) return;  // its pages wait for the rules
  // Filed as waiting even when next_start has passed: next() promotes it
  // with the current time, so eligibility is decided in one place.
  host.wait_key = WaitKey{host.next_start, name};
  waiting_.insert(*host.wait_key);
}

}  // namespace crawl

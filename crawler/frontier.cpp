#include "crawler/frontier.h"

#include "crawler/url.h"

namespace crawl {

Frontier::Frontier(Options options) : options_(options) {}

bool Frontier::add(FetchRequest request) {
  if (!seen_.insert(request.url).second) return false;
  std::string name = url_host(request.url);
  Host& host = hosts_[name];
  const double priority = request.priority;
  host.queue.push(Item{priority, seq_++, std::move(request)});
  ++queued_;
  refile(name, host);
  return true;
}

void Frontier::mark_seen(const std::string& url) { seen_.insert(url); }

bool Frontier::seen(const std::string& url) const { return seen_.contains(url); }

Frontier::Next Frontier::next(Clock::time_point now) {
  // Hosts whose delay has passed become ready.
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    std::string name = waiting_.begin()->second;
    Host& host = hosts_.at(name);
    waiting_.erase(waiting_.begin());
    host.wait_key.reset();
    const Item& best = host.queue.top();
    host.ready_key = ReadyKey{best.priority, best.seq, name};
    ready_.insert(*host.ready_key);
  }
  if (ready_.empty()) {
    Next none;
    if (!waiting_.empty()) none.wake_at = waiting_.begin()->first;
    return none;
  }
  std::string name = std::get<2>(*ready_.begin());
  Host& host = hosts_.at(name);
  Item item = host.queue.top();  // priority_queue::top is const; copy then pop
  host.queue.pop();
  --queued_;
  ++host.in_flight;
  ++in_flight_;
  host.next_start = now + options_.delay;
  refile(name, host);
  return Next{std::move(item.request), std::nullopt};
}

void Frontier::done(const std::string& name) {
  auto it = hosts_.find(name);
  if (it == hosts_.end() || it->second.in_flight == 0) return;
  Host& host = it->second;
  --host.in_flight;
  --in_flight_;
  refile(name, host);
}

void Frontier::unfile(Host& host) {
  if (host.ready_key) ready_.erase(*host.ready_key);
  if (host.wait_key) waiting_.erase(*host.wait_key);
  host.ready_key.reset();
  host.wait_key.reset();
}

void Frontier::refile(const std::string& name, Host& host) {
  unfile(host);
  if (host.queue.empty() || host.in_flight >= options_.per_host) return;
  // Filed as waiting even when next_start has passed: next() promotes it
  // with the current time, so eligibility is decided in one place.
  host.wait_key = WaitKey{host.next_start, name};
  waiting_.insert(*host.wait_key);
}

}  // namespace crawl

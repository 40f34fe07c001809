// Frontier: priority order, per-host leases (count and delay), seen-set.
#include "crawler/frontier.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace crawl {
namespace {

using namespace std::chrono_literals;
using Clock = Frontier::Clock;

FetchRequest req(std::string url, double priority = 0) {
  FetchRequest r;
  r.url = std::move(url);
  r.priority = priority;
  return r;
}

// Releases the lease of a request handed out, as a success.
void ok(Frontier& f, const FetchRequest& r, Clock::time_point now = Clock::now()) {
  f.done(r, Frontier::Outcome::ok, 0, now);
}

TEST(Frontier, LowerPriorityFirstThenFifo) {
  Frontier f({.per_host = 1, .delay = 0ms});
  f.add(req("http://a/3", 3));
  f.add(req("http://b/1", 1));
  f.add(req("http://c/1b", 1));
  f.add(req("http://d/0", 0));
  std::vector<std::string> order;
  auto now = Clock::now();
  while (auto n = f.next(now).request) order.push_back(n->url);
  EXPECT_EQ(order, (std::vector<std::string>{"http://d/0", "http://b/1", "http://c/1b", "http://a/3"}));
}

TEST(Frontier, AUrlIsQueuedOnlyOnce) {
  Frontier f({});
  EXPECT_TRUE(f.add(req("http://a/x")));
  EXPECT_FALSE(f.add(req("http://a/x")));
  f.mark_seen("http://a/y");
  EXPECT_FALSE(f.add(req("http://a/y")));
  EXPECT_EQ(f.queued(), 1u);
  EXPECT_EQ(f.seen_count(), 2u);
}

TEST(Frontier, PerHostLimitCapsTransfersInFlight) {
  Frontier f({.per_host = 2, .delay = 0ms});
  for (int i = 0; i < 5; ++i) f.add(req("http://a/" + std::to_string(i)));
  auto now = Clock::now();
  auto first = f.next(now).request;
  ASSERT_TRUE(first);
  ASSERT_TRUE(f.next(now).request);
  auto third = f.next(now);
  EXPECT_FALSE(third.request) << "a third transfer on host a while two are in flight";
  EXPECT_FALSE(third.wake_at) << "nothing becomes ready by waiting; only done() frees a slot";
  ok(f, *first);
  EXPECT_TRUE(f.next(now).request);
  EXPECT_EQ(f.in_flight(), 2u);
}

TEST(Frontier, OtherHostsAreServedWhileOneIsAtItsLimit) {
  Frontier f({.per_host = 1, .delay = 0ms});
  f.add(req("http://a/1", 0));
  f.add(req("http://a/2", 0));
  f.add(req("http://b/1", 5));  // worse priority, but its host is free
  auto now = Clock::now();
  EXPECT_EQ(f.next(now).request->url, "http://a/1");
  EXPECT_EQ(f.next(now).request->url, "http://b/1");
}

TEST(Frontier, DelaySpacesStartsOnOneHost) {
  Frontier f({.per_host = 4, .delay = 100ms});
  f.add(req("http://a/1"));
  f.add(req("http://a/2"));
  f.add(req("http://b/1"));
  auto t0 = Clock::now();
  auto first = f.next(t0);
  ASSERT_TRUE(first.request);
  auto second = f.next(t0);  // host a must wait; b is ready
  ASSERT_TRUE(second.request);
  EXPECT_EQ(second.request->url, "http://b/1");
  auto third = f.next(t0 + 50ms);
  EXPECT_FALSE(third.request);
  ASSERT_TRUE(third.wake_at);
  EXPECT_EQ(*third.wake_at, t0 + 100ms);
  EXPECT_TRUE(f.next(t0 + 100ms).request);
}

TEST(Frontier, EndsEmptyWhenAllDone) {
  Frontier f({});
  f.add(req("http://a/1"));
  auto n = f.next(Clock::now());
  ASSERT_TRUE(n.request);
  EXPECT_EQ(f.queued(), 0u);
  EXPECT_EQ(f.in_flight(), 1u);
  ok(f, *n.request);
  EXPECT_EQ(f.in_flight(), 0u);
  auto none = f.next(Clock::now());
  EXPECT_FALSE(none.request);
  EXPECT_FALSE(none.wake_at);
  EXPECT_FALSE(f.has_pending());
}

Frontier::Options with_robots() {
  Frontier::Options o;
  o.per_host = 2;
  o.robots = true;
  return o;
}

TEST(Frontier, RobotsTxtIsTheHostsFirstRequestAndItsPagesWaitForIt) {
  Frontier f(with_robots());
  f.add(req("http://a/1"));
  f.add(req("http://a/2"));
  f.add(req("http://b/1", 5));
  auto now = Clock::now();
  auto robots_a = f.next(now).request;
  ASSERT_TRUE(robots_a);
  EXPECT_EQ(robots_a->url, "http://a/robots.txt");
  EXPECT_EQ(robots_a->kind, RequestKind::robots);
  auto robots_b = f.next(now).request;
  ASSERT_TRUE(robots_b);
  EXPECT_EQ(robots_b->url, "http://b/robots.txt") << "a's pages wait for a's robots.txt; b is served";
  EXPECT_FALSE(f.next(now).request);
  EXPECT_TRUE(f.has_pending());
  f.done(*robots_a, Frontier::Outcome::ok, 0, now);
  f.set_robots(*robots_a, parse_robots("User-agent: *\nDisallow: /2\n", "crawl"), now);
  auto page = f.next(now).request;
  ASSERT_TRUE(page);
  EXPECT_EQ(page->url, "http://a/1");
  EXPECT_FALSE(f.next(now).request) << "a/2 is disallowed; b still waits for its robots.txt";
  auto skipped = f.take_skipped();
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].request.url, "http://a/2");
  EXPECT_EQ(skipped[0].reason, CrawlDecision::robots_disallowed);
  EXPECT_TRUE(f.take_skipped().empty());
}

TEST(Frontier, RobotsRulesMatchPathAndQuery) {
  Frontier f(with_robots());
  f.add(req("http://a/p?private=1"));
  f.add(req("http://a/p?x=1"));
  auto now = Clock::now();
  auto robots = f.next(now).request;
  f.done(*robots, Frontier::Outcome::ok, 0, now);
  f.set_robots(*robots, parse_robots("User-agent: *\nDisallow: /p?private\n", "crawl"), now);
  std::vector<std::string> fetched;
  while (auto n = f.next(now).request) fetched.push_back(n->url);
  EXPECT_EQ(fetched, std::vector<std::string>{"http://a/p?x=1"});
  EXPECT_EQ(f.take_skipped().size(), 1u);
}

TEST(Frontier, AMissingRobotsTxtAllowsEverything) {
  Frontier f(with_robots());
  f.add(req("http://a/1"));
  auto now = Clock::now();
  auto robots = f.next(now).request;
  f.done(*robots, Frontier::Outcome::ok, 0, now);
  f.set_robots(*robots, allow_all(), now);
  EXPECT_EQ(f.next(now).request->url, "http://a/1");
}

TEST(Frontier, CrawlDelayRaisesTheHostsDelayUpToTheCap) {
  auto o = with_robots();
  o.delay = 100ms;
  o.max_delay = 3000ms;
  for (auto [crawl_delay, expected] : {std::pair{"2", 2000ms}, std::pair{"60", 3000ms}, std::pair{"0.05", 100ms}}) {
    Frontier f(o);
    f.add(req("http://a/1"));
    f.add(req("http://a/2"));
    auto t0 = Clock::now();
    auto robots = f.next(t0).request;
    f.done(*robots, Frontier::Outcome::ok, 0, t0 + 10ms);
    f.set_robots(*robots, parse_robots(std::string("User-agent: *\nCrawl-delay: ") + crawl_delay + "\n", "crawl"),
                 t0 + 10ms);
    auto wait = f.next(t0 + 10ms);
    EXPECT_FALSE(wait.request) << crawl_delay;
    ASSERT_TRUE(wait.wake_at);
    EXPECT_EQ(*wait.wake_at, t0 + expected) << "counted from the robots.txt request's start: " << crawl_delay;
    auto first = f.next(t0 + expected).request;
    ASSERT_TRUE(first);
    EXPECT_EQ(*f.next(t0 + expected).wake_at, t0 + 2 * expected) << crawl_delay;
  }
}

TEST(Frontier, AnUnavailableRobotsTxtIsRetriedThenTheHostsUrlsAreSkipped) {
  auto o = with_robots();
  o.robots_retries = 1;
  o.first_backoff = 1000ms;
  Frontier f(o);
  f.add(req("http://a/1"));
  f.add(req("http://a/2"));
  auto t0 = Clock::now();
  auto robots = f.next(t0).request;
  f.done(*robots, Frontier::Outcome::throttled, 0, t0);  // 503 without Retry-After
  f.set_robots(*robots, std::nullopt, t0);
  EXPECT_TRUE(f.take_skipped().empty()) << "nothing allowed for now, nothing given up yet";
  auto wait = f.next(t0);
  EXPECT_FALSE(wait.request);
  ASSERT_TRUE(wait.wake_at);
  EXPECT_EQ(*wait.wake_at, t0 + 1000ms) << "tried again after the back-off";
  auto again = f.next(t0 + 1000ms).request;
  ASSERT_TRUE(again);
  EXPECT_EQ(again->url, "http://a/robots.txt");
  EXPECT_EQ(again->attempt, 1);
  f.done(*again, Frontier::Outcome::connection_failure, 0, t0 + 1000ms);
  f.set_robots(*again, std::nullopt, t0 + 1000ms);
  auto skipped = f.take_skipped();
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_EQ(skipped[0].reason, CrawlDecision::robots_unavailable);
  EXPECT_FALSE(f.has_pending());
  EXPECT_EQ(f.queued(), 0u);
  f.add(req("http://a/3"));
  auto late = f.take_skipped();
  ASSERT_EQ(late.size(), 1u) << "a URL found later for the host is skipped too";
  EXPECT_EQ(late[0].reason, CrawlDecision::robots_unavailable);
}

TEST(Frontier, RobotsRulesExpireAndAreFetchedAgain) {
  auto o = with_robots();
  o.robots_ttl = std::chrono::seconds(60);
  Frontier f(o);
  f.add(req("http://a/1"));
  auto t0 = Clock::now();
  auto robots = f.next(t0).request;
  f.done(*robots, Frontier::Outcome::ok, 0, t0);
  f.set_robots(*robots, allow_all(), t0);
  auto page = f.next(t0).request;
  ok(f, *page, t0);
  f.add(req("http://a/2"));
  EXPECT_EQ(f.next(t0 + 59s).request->url, "http://a/2");
  f.add(req("http://a/3"));
  EXPECT_EQ(f.next(t0 + 61s).request->url, "http://a/robots.txt");
}

TEST(Frontier, RetryAfterPausesTheHost) {
  Frontier f({.per_host = 2, .delay = 0ms});
  f.add(req("http://a/1"));
  f.add(req("http://a/2"));
  f.add(req("http://b/1"));
  auto t0 = Clock::now();
  auto first = f.next(t0).request;
  ASSERT_EQ(first->url, "http://a/1");
  f.done(*first, Frontier::Outcome::throttled, 5, t0);
  auto next = f.next(t0 + 1s);
  ASSERT_TRUE(next.request);
  EXPECT_EQ(next.request->url, "http://b/1") << "a is paused, b is served";
  auto wait = f.next(t0 + 1s);
  EXPECT_FALSE(wait.request);
  EXPECT_EQ(*wait.wake_at, t0 + 5s);
  EXPECT_EQ(f.next(t0 + 5s).request->url, "http://a/2");
}

TEST(Frontier, RetryAfterIsCappedByMaxDelay) {
  Frontier f({.per_host = 1, .delay = 0ms, .max_delay = 2000ms});
  f.add(req("http://a/1"));
  f.add(req("http://a/2"));
  auto t0 = Clock::now();
  auto first = f.next(t0).request;
  f.done(*first, Frontier::Outcome::throttled, 86400, t0);
  EXPECT_EQ(*f.next(t0).wake_at, t0 + 2000ms);
}

TEST(Frontier, ThrottlingWithoutRetryAfterDoublesTheDelayAndSuccessesRecover) {
  Frontier f({.per_host = 1, .delay = 0ms, .max_delay = 5000ms, .first_backoff = 1000ms});
  for (int i = 0; i < 20; ++i) f.add(req("http://a/" + std::to_string(i)));
  auto now = Clock::now();
  std::vector<std::chrono::milliseconds> gaps;
  auto step = [&](Frontier::Outcome outcome) {
    auto r = f.next(now).request;
    ASSERT_TRUE(r);
    f.done(*r, outcome, 0, now);
    auto n = f.next(now);
    if (n.request) {  // no wait: hand it back by finishing it as a success right away
      gaps.push_back(0ms);
      f.retry(*n.request);
      f.done(*n.request, Frontier::Outcome::ok, 0, now);
      return;
    }
    gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(*n.wake_at - now));
    now = *n.wake_at;
  };
  for (int i = 0; i < 4; ++i) step(Frontier::Outcome::throttled);
  EXPECT_EQ(gaps, (std::vector<std::chrono::milliseconds>{1000ms, 2000ms, 4000ms, 5000ms})) << "doubling, capped";
  gaps.clear();
  for (int i = 0; i < 4; ++i) step(Frontier::Outcome::ok);
  // The delay in force when a request starts spaces it from the next one.
  EXPECT_EQ(gaps, (std::vector<std::chrono::milliseconds>{5000ms, 2500ms, 1250ms, 0ms})) << "halving back to none";
}

TEST(Frontier, ConnectionFailuresInARowGiveTheHostUp) {
  Frontier f({.per_host = 1, .delay = 0ms, .first_backoff = 10ms, .max_host_failures = 3});
  for (int i = 0; i < 10; ++i) f.add(req("http://a/" + std::to_string(i)));
  f.add(req("http://b/1"));
  auto now = Clock::now();
  int handed_out_a = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = f.next(now).request;
    while (r && r->url.starts_with("http://b")) {
      ok(f, *r, now);
      r = f.next(now).request;
    }
    ASSERT_TRUE(r) << i;
    ++handed_out_a;
    // A success in between would reset the count: not here.
    f.done(*r, Frontier::Outcome::connection_failure, 0, now);
    now += 1s;
  }
  EXPECT_EQ(handed_out_a, 3);
  auto skipped = f.take_skipped();
  EXPECT_EQ(skipped.size(), 7u);
  for (const auto& s : skipped) {
    EXPECT_EQ(s.reason, CrawlDecision::host_given_up);
    EXPECT_NE(s.detail.find("3 connection failures"), std::string::npos) << s.detail;
  }
  auto other = f.next(now).request;
  ASSERT_TRUE(other);
  EXPECT_EQ(other->url, "http://b/1") << "other hosts go on";
  ok(f, *other, now);
  EXPECT_FALSE(f.next(now).request);
  EXPECT_FALSE(f.has_pending());
}

TEST(Frontier, ASuccessResetsTheFailureCount) {
  Frontier f({.per_host = 1, .delay = 0ms, .first_backoff = 10ms, .max_host_failures = 2});
  for (int i = 0; i < 6; ++i) f.add(req("http://a/" + std::to_string(i)));
  auto now = Clock::now();
  for (auto outcome : {Frontier::Outcome::connection_failure, Frontier::Outcome::ok,
                       Frontier::Outcome::connection_failure, Frontier::Outcome::ok}) {
    auto r = f.next(now).request;
    ASSERT_TRUE(r);
    f.done(*r, outcome, 0, now);
    now += 1s;
  }
  EXPECT_TRUE(f.take_skipped().empty());
  EXPECT_EQ(f.queued(), 2u);
}

TEST(Frontier, ARetryIsQueuedAgainThoughItsUrlWasSeen) {
  Frontier f({});
  f.add(req("http://a/1"));
  auto r = f.next(Clock::now()).request;
  f.done(*r, Frontier::Outcome::server_error, 0, Clock::now());
  FetchRequest again = *r;
  again.attempt = 1;
  f.retry(again);
  EXPECT_EQ(f.queued(), 1u);
  auto n = f.next(Clock::now() + 1h).request;
  ASSERT_TRUE(n);
  EXPECT_EQ(n->url, "http://a/1");
  EXPECT_EQ(n->attempt, 1);
}

TEST(Frontier, MaxPagesPerHost) {
  Frontier f({.per_host = 10, .delay = 0ms, .max_pages_per_host = 3});
  for (int i = 0; i < 5; ++i) f.add(req("http://a/" + std::to_string(i)));
  f.add(req("http://b/1"));
  auto now = Clock::now();
  std::vector<std::string> fetched;
  while (auto n = f.next(now).request) fetched.push_back(n->url);
  EXPECT_EQ(fetched.size(), 4u);
  EXPECT_EQ(std::count_if(fetched.begin(), fetched.end(), [](auto& u) { return u.starts_with("http://a/"); }), 3);
  EXPECT_FALSE(f.add(req("http://a/9"))) << "a is over its quota";
  EXPECT_TRUE(f.take_skipped().empty()) << "over-quota URLs are not fetched, not skipped records";
}

TEST(Frontier, SeenSetCostsAtMostSixteenBytesPerUrl) {
  Frontier f({});
  for (int i = 0; i < 100000; ++i) f.add(req("http://h" + std::to_string(i % 100) + "/page/" + std::to_string(i)));
  EXPECT_EQ(f.seen_count(), 100000u);
  EXPECT_LE(f.seen_bytes(), 16u * 100000u);
}

// With a memory bound, URLs beyond it wait "on disk" (in the crawl state)
// and are asked for host by host once the host's memory queue is empty;
// what comes back is handed out like the rest, tried URLs after fresh ones.
TEST(Frontier, BeyondTheMemoryBoundUrlsWaitOnDiskAndAreReadBackWhenTheHostDrains) {
  Frontier f({.per_host = 4, .delay = 0ms, .memory_queue = 10});  // reads 8 at a time
  const auto now = Clock::now();
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(f.add_new("http://a/" + std::to_string(i), 1, i, nullptr));
  EXPECT_EQ(f.queued(), 30u);
  EXPECT_EQ(f.queued_in_memory(), f.refill_limit());
  EXPECT_TRUE(f.take_refills().empty()) << "not while the host has URLs in memory";
  std::vector<std::string> order;
  while (f.queued_in_memory() > 0) {
    auto next = f.next(now);
    ASSERT_TRUE(next.request);
    order.push_back(next.request->url);
    ok(f, *next.request, now);
  }
  EXPECT_TRUE(f.has_pending()) << "22 URLs still wait on disk";
  EXPECT_EQ(f.take_refills(), std::vector<std::string>{"http://a"});
  EXPECT_TRUE(f.take_refills().empty()) << "one read per host at a time";
  std::vector<FetchRequest> read;
  for (int i = 8; i < 16; ++i) read.push_back(req("http://a/" + std::to_string(i), i));
  read.front().attempt = 1;  // in flight when a crawl stopped: after the others
  f.refill("http://a", std::move(read));
  for (int i = 0; i < 8; ++i) {
    auto next = f.next(now);
    ASSERT_TRUE(next.request);
    order.push_back(next.request->url);
    ok(f, *next.request, now);
  }
  EXPECT_EQ(order[8], "http://a/9");
  EXPECT_EQ(order.back(), "http://a/8");
  // A short read means the host has nothing more on disk.
  EXPECT_EQ(f.take_refills(), std::vector<std::string>{"http://a"});
  f.refill("http://a", {req("http://a/20", 20)});
  auto last = f.next(now);
  ASSERT_TRUE(last.request);
  ok(f, *last.request, now);
  EXPECT_FALSE(f.has_pending());
  EXPECT_EQ(f.queued(), 0u);
}

TEST(Frontier, TheUrlsOnDiskOfAHostGivenUpAreReadBackAndSkipped) {
  Frontier f({.per_host = 1, .delay = 0ms, .max_host_failures = 1, .memory_queue = 1});
  const auto now = Clock::now();
  for (int i = 0; i < 12; ++i) f.add_new("http://a/" + std::to_string(i), 1, 0, nullptr);
  auto first = f.next(now);
  ASSERT_TRUE(first.request);
  f.done(*first.request, Frontier::Outcome::connection_failure, 0, now);  // given up
  auto skipped = f.take_skipped();
  for (const auto& [from, to] : {std::pair{1, 9}, std::pair{9, 12}}) {  // a full read, then the rest
    const auto refills = f.take_refills();
    ASSERT_EQ(refills, std::vector<std::string>{"http://a"});
    std::vector<FetchRequest> read;
    for (int i = from; i < to; ++i) read.push_back(req("http://a/" + std::to_string(i)));
    f.refill(refills[0], std::move(read));
    for (auto& s : f.take_skipped()) skipped.push_back(std::move(s));
  }
  EXPECT_EQ(skipped.size(), 11u);
  EXPECT_TRUE(f.take_refills().empty());
  EXPECT_FALSE(f.has_pending());
}

// A URL that goes to disk while a read of its host is pending may have been
// written after the read ran: a short read must not forget it.
TEST(Frontier, AUrlAddedWhileAReadIsPendingIsReadLater) {
  Frontier f({.per_host = 1, .delay = 0ms, .memory_queue = 1});
  const auto now = Clock::now();
  f.add_new("http://a/0", 1, 0, nullptr);
  f.add_new("http://a/1", 1, 0, nullptr);  // on disk
  auto first = f.next(now);
  ASSERT_TRUE(first.request);
  ok(f, *first.request, now);
  ASSERT_EQ(f.take_refills(), std::vector<std::string>{"http://a"});
  f.add_new("http://a/2", 1, 0, nullptr);  // on disk, after the read was asked for
  f.refill("http://a", {req("http://a/1")});  // short: it did not see /2
  auto second = f.next(now);
  ASSERT_TRUE(second.request);
  ok(f, *second.request, now);
  EXPECT_TRUE(f.has_pending());
  ASSERT_EQ(f.take_refills(), std::vector<std::string>{"http://a"});
  f.refill("http://a", {req("http://a/2")});
  auto third = f.next(now);
  ASSERT_TRUE(third.request);
  EXPECT_EQ(third.request->url, "http://a/2");
}

// next_of: a host's successor, handed out where its previous transfer
// ended, only when next() would hand that host that very URL now; in every
// other case nothing changes and next() decides.
TEST(Frontier, AHostsSuccessorIsItsBestUrlWhenItsLeaseIsFree) {
  Frontier f({.per_host = 1, .delay = 0ms});
  f.add(req("http://a/1", 1));
  f.add(req("http://a/0", 0));
  f.add(req("http://b/0", 0));
  const auto now = Clock::now();
  EXPECT_FALSE(f.next_of("http://c", now)) << "a host the frontier does not know";
  auto first = f.next_of("http://a", now);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->url, "http://a/0");
  EXPECT_FALSE(f.next_of("http://a", now)) << "its one slot is taken";
  EXPECT_EQ(f.in_flight(), 1u);
  ok(f, *first, now);
  auto second = f.next_of("http://a", now);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->url, "http://a/1");
  EXPECT_FALSE(f.next_of("http://a", now)) << "nothing left of a";
  ok(f, *second, now);
  EXPECT_EQ(f.next(now).request->url, "http://b/0") << "the other host is untouched";
  EXPECT_FALSE(f.next(now).request);
}

TEST(Frontier, AHostsSuccessorWaitsForItsDelay) {
  Frontier f({.per_host = 2, .delay = 100ms});
  f.add(req("http://a/0"));
  f.add(req("http://a/1"));
  const auto t0 = Clock::now();
  auto first = f.next(t0).request;
  ASSERT_TRUE(first);
  ok(f, *first, t0 + 10ms);
  EXPECT_FALSE(f.next_of("http://a", t0 + 10ms)) << "100 ms between starts";
  EXPECT_EQ(f.next_wake(), t0 + 100ms);
  auto woken = f.next(t0 + 10ms);
  EXPECT_FALSE(woken.request);
  ASSERT_TRUE(woken.wake_at) << "the host still waits in the frontier";
  EXPECT_EQ(*woken.wake_at, t0 + 100ms);
  auto second = f.next_of("http://a", t0 + 100ms);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->url, "http://a/1");
  EXPECT_FALSE(f.next_wake()) << "nothing left to wait for";
}

TEST(Frontier, AHostsSuccessorLeavesRobotsTxtSkipsAndQuotasToNext) {
  const auto now = Clock::now();
  {
    Frontier f(with_robots());
    f.add(req("http://a/1"));
    EXPECT_FALSE(f.next_of("http://a", now)) << "its robots.txt goes first";
    auto robots = f.next(now).request;
    ASSERT_TRUE(robots);
    EXPECT_EQ(robots->kind, RequestKind::robots);
    f.done(*robots, Frontier::Outcome::ok, 0, now);
    EXPECT_FALSE(f.next_of("http://a", now)) << "its rules are not known yet";
    f.set_robots(*robots, parse_robots("User-agent: *\nDisallow: /2\n", "crawl"), now);
    f.add(req("http://a/2"));
    f.add(req("http://a/3"));
    auto page = f.next_of("http://a", now);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->url, "http://a/1");
    ok(f, *page, now);
    EXPECT_FALSE(f.next_of("http://a", now)) << "a/2 is disallowed: next() records the skip";
    EXPECT_TRUE(f.take_skipped().empty());
    EXPECT_EQ(f.next(now).request->url, "http://a/3");
    ASSERT_EQ(f.take_skipped().size(), 1u);
  }
  {
    Frontier f({.per_host = 2, .delay = 0ms, .max_pages_per_host = 1});
    f.add(req("http://a/0"));
    f.add(req("http://a/1"));
    ASSERT_TRUE(f.next_of("http://a", now));
    EXPECT_FALSE(f.next_of("http://a", now)) << "over --max-pages-per-host";
    EXPECT_EQ(f.queued(), 1u) << "next() drops it";
    EXPECT_FALSE(f.next(now).request);
    EXPECT_EQ(f.queued(), 0u);
  }
  {
    Frontier f({.per_host = 2, .delay = 0ms, .memory_queue = 10});  // reads 8 at a time
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(f.add_new("http://a/" + std::to_string(i), 1, i, nullptr));
    for (int i = 0; i < 7; ++i) {
      auto n = f.next_of("http://a", now);
      ASSERT_TRUE(n);
      ok(f, *n, now);
    }
    EXPECT_FALSE(f.next_of("http://a", now)) << "its last URL in memory: next() asks for the others on disk";
    auto last = f.next(now).request;
    ASSERT_TRUE(last);
    EXPECT_EQ(last->url, "http://a/7");
    EXPECT_EQ(f.take_refills(), std::vector<std::string>{"http://a"});
  }
}

}  // namespace
}  // namespace crawl

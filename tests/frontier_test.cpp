// Frontier: priority order, per-host leases (count and delay), seen-set.
#include "crawler/frontier.h"

#include <gtest/gtest.h>

namespace crawl {
namespace {

using namespace std::chrono_literals;
using Clock = Frontier::Clock;

FetchRequest req(std::string url, double priority = 0) { return FetchRequest{std::move(url), 0, priority, {}}; }

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
  ASSERT_TRUE(f.next(now).request);
  ASSERT_TRUE(f.next(now).request);
  auto third = f.next(now);
  EXPECT_FALSE(third.request) << "a third transfer on host a while two are in flight";
  EXPECT_FALSE(third.wake_at) << "nothing becomes ready by waiting; only done() frees a slot";
  f.done("a");
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
  f.done("a");
  EXPECT_EQ(f.in_flight(), 0u);
  auto none = f.next(Clock::now());
  EXPECT_FALSE(none.request);
  EXPECT_FALSE(none.wake_at);
}

}  // namespace
}  // namespace crawl

// FiberFetcher (--mode fibers) against the project's in-process test web
// server on loopback: whole sites, many transfers in flight, error kinds,
// the in-flight cap, cancel(), shutdown right after submit.
// GCC 12 reports false positives inside Boost and libstdc++ headers when
// instrumenting for sanitizers; normal builds keep every warning.
#if defined(__SANITIZE_ADDRESS__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#elif defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include "fetch/fiber_fetcher.h"
#include "core/process.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tools/testserver/test_server.h"

namespace {

using crawl::FetchErrc;
using crawl::FetchRequest;
using crawl::FetchResult;
using crawl::FiberFetcher;
using crawl::FiberOptions;
using crawl::TransferOptions;
using crawl::testserver::SiteOptions;
using crawl::testserver::TestServer;
using Clock = std::chrono::steady_clock;

// The fetcher's listener in these tests: collects results, counts
// result_ready() calls per requested URL and checks that transfer_ended()
// came first for each. `hook`, if set, runs first on every result.
class Collector final : public crawl::FetchListener {
 public:
  Collector() = default;
  explicit Collector(std::function<void(const FetchResult&)> hook) : hook_(std::move(hook)) {}

  void transfer_ended(const FetchResult& r) noexcept override {
    std::lock_guard lock(mu_);
    ++ended_[r.request.url];
  }
  void result_ready(FetchResult&& r) noexcept override {
    if (hook_) hook_(r);
    std::lock_guard lock(mu_);
    EXPECT_EQ(ended_[r.request.url], calls_[r.request.url] + 1) << "transfer_ended() first: " << r.request.url;
    ++calls_[r.request.url];
    results_.push_back(std::move(r));
  }
  std::vector<FetchResult> results() {
    std::lock_guard lock(mu_);
    return results_;
  }
  std::map<std::string, int> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  // The one result for `url` (fails the test if there is not exactly one).
  FetchResult for_url(const std::string& url) {
    std::lock_guard lock(mu_);
    FetchResult found;
    int n = 0;
    for (const auto& r : results_)
      if (r.request.url == url) {
        found = r;
        ++n;
      }
    EXPECT_EQ(n, 1) << url;
    return found;
  }

 private:
  std::mutex mu_;  // guards results_, calls_
  std::vector<FetchResult> results_;
  std::map<std::string, int> calls_;
  std::map<std::string, int> ended_;
  std::function<void(const FetchResult&)> hook_;
};

TransferOptions test_options() {
  TransferOptions o;
  o.user_agent = "crawl-test";
  o.timeout_s = 30;
  return o;
}

FetchRequest req(std::string url) {
  FetchRequest r;
  r.url = std::move(url);
  return r;
}

std::uint64_t total_requests(const TestServer& server) {
  std::uint64_t n = 0;
  for (int h = 0; h < server.host_count(); ++h) n += server.stats(h).requests;
  return n;
}

// Waits (bounded) until the server has received `n` requests.
bool wait_for_requests(const TestServer& server, std::uint64_t n, std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto deadline = Clock::now() + limit;
  while (total_requests(server) < n) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The most requests the server had in flight at once, over all its hosts,
// from its request log (received → response begun).
int peak_concurrency(const TestServer& server) {
  std::vector<std::pair<Clock::time_point, int>> edges;
  for (int h = 0; h < server.host_count(); ++h)
    for (const auto& r : server.stats(h).log) {
      edges.emplace_back(r.received, +1);
      edges.emplace_back(r.responded == Clock::time_point{} ? Clock::time_point::max() : r.responded, -1);
    }
  std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;  // an end before a start at the same instant
  });
  int now = 0, peak = 0;
  for (const auto& [t, d] : edges) peak = std::max(peak, now += d);
  return peak;
}

TEST(FiberFetcher, FetchesEveryPageOfASiteOnTwoLoops) {
  SiteOptions site;
  site.hosts = 3;
  site.pages_per_host = 50;
  site.page_size = 4096;
  site.first_address = "127.0.9.1";
  TestServer server(site);

  Collector c;
  std::vector<std::string> urls;
  {
    FiberFetcher fetcher({.loops = 2, .max_in_flight = 64, .callback_threads = 2}, test_options(), c);
    for (int h = 0; h < 3; ++h)
      for (int p = 0; p < 50; ++p) urls.push_back(server.page_url(h, p));
    for (const auto& u : urls) fetcher.submit(req(u));
    fetcher.drain();

    const auto stats = fetcher.loop_stats();
    ASSERT_EQ(stats.size(), 2u);
    std::uint64_t transfers = 0;
    for (const auto& s : stats) {
      EXPECT_TRUE(std::isfinite(s.longest_stall_ms));
      EXPECT_GE(s.longest_stall_ms, 0.0);
      transfers += s.transfers;
    }
    EXPECT_EQ(transfers, urls.size());
  }
  const auto calls = c.calls();
  EXPECT_EQ(calls.size(), urls.size());
  for (const auto& u : urls) EXPECT_EQ(calls.count(u) ? calls.at(u) : 0, 1) << u;
  for (const auto& r : c.results()) {
    EXPECT_TRUE(r.ok()) << r.request.url << ": " << r.error_string();
    EXPECT_EQ(r.status, 200) << r.request.url;
    EXPECT_EQ(r.body.size(), 4096u) << r.request.url;
    EXPECT_EQ(r.final_url, r.request.url);
    EXPECT_TRUE(r.redirects.empty());
    EXPECT_NE(r.content_type.find("text/html"), std::string::npos);
  }
}

TEST(FiberFetcher, ThousandSlowTransfersInFlightAtOnce) {
  SiteOptions site;
  site.hosts = 20;
  site.pages_per_host = 1;
  site.first_address = "127.0.10.1";
  site.threads = 2;
  TestServer server(site);

  Collector c;
  constexpr int kRequests = 1000;
  std::vector<std::string> urls;
  for (int i = 0; i < kRequests; ++i)
    urls.push_back(server.root_url(i % 20) + "slow?ms=300&i=" + std::to_string(i));
  {
    FiberFetcher fetcher({.loops = 2, .max_in_flight = 1000, .callback_threads = 2}, test_options(), c);
    for (const auto& u : urls) fetcher.submit(req(u));
    fetcher.drain();
  }
  // The server saw them in flight together (each waits 300 ms there), not
  // one after another: counted by the server, not timed by the test.
  EXPECT_GT(peak_concurrency(server), kRequests / 2);
  const auto calls = c.calls();
  EXPECT_EQ(calls.size(), urls.size());
  for (const auto& [url, n] : calls) EXPECT_EQ(n, 1) << url;
  int ok = 0;
  for (const auto& r : c.results()) ok += r.ok() && r.status == 200;
  EXPECT_EQ(ok, kRequests);
  int peak = 0;
  for (int h = 0; h < 20; ++h) peak += server.stats(h).peak_concurrent_requests;
  EXPECT_GT(peak, 200);
}

TEST(FiberFetcher, ErrorsAreResultsOfTheRightKind) {
  SiteOptions site;
  site.hosts = 1;
  site.pages_per_host = 5;
  site.first_address = "127.0.11.1";
  TestServer server(site);
  const std::string root = server.root_url(0);

  TransferOptions o = test_options();
  o.max_size = 100'000;
  Collector c;
  const std::vector<std::string> urls = {
      root + "reset",         "http://127.0.0.1:1/", root + "big?bytes=500000", root + "big-chunked?bytes=500000",
      root + "loop",          root + "gzip",         root + "bad-gzip",          root + "redirect/2",
      root + "status/404",    root + "big?bytes=1000",   root + "http09",
      root + "content-length/conflict", root + "content-length/list", root + "content-length/junk",
      root + "content-length/same",
  };
  FetchRequest robots = req(root + "redirect/3?robots");  // a robots.txt's redirects are followed (at most 5)
  robots.kind = crawl::RequestKind::robots;
  {
    FiberFetcher fetcher({.loops = 2, .max_in_flight = 8, .callback_threads = 1}, o, c);
    for (const auto& u : urls) fetcher.submit(req(u));
    fetcher.submit(robots);
  }  // the destructor drains

  auto error_of = [&](const std::string& u) { return c.for_url(u).error; };
  EXPECT_EQ(error_of(root + "reset"), FetchErrc::recv);
  EXPECT_EQ(error_of("http://127.0.0.1:1/"), FetchErrc::connect);
  EXPECT_EQ(error_of(root + "big?bytes=500000"), FetchErrc::too_large);
  EXPECT_EQ(error_of(root + "big-chunked?bytes=500000"), FetchErrc::too_large);

  EXPECT_EQ(error_of(root + "bad-gzip"), FetchErrc::protocol);
  // No status line: curl refuses HTTP/0.9 as an "unsupported protocol"; the
  // server broke the protocol, the URL's scheme is fine.
  EXPECT_EQ(error_of(root + "http09"), FetchErrc::protocol);
  EXPECT_NE(c.for_url(root + "http09").error_detail.find("HTTP/0.9"), std::string::npos);

  // A Content-Length that cannot frame the body (RFC 9112 6.3): not a page
  // cut at curl's guess (the last value; the digits before "x").
  for (const char* kind : {"conflict", "list", "junk"}) {
    const auto r = c.for_url(root + "content-length/" + kind);
    EXPECT_EQ(r.error, FetchErrc::protocol) << kind;
    EXPECT_TRUE(r.body.empty()) << kind;
  }
  EXPECT_NE(c.for_url(root + "content-length/conflict").error_detail.find("conflicting Content-Length values \"5, "),
            std::string::npos)
      << c.for_url(root + "content-length/conflict").error_detail;
  EXPECT_NE(c.for_url(root + "content-length/junk").error_detail.find("invalid Content-Length"), std::string::npos);
  const auto same = c.for_url(root + "content-length/same");  // identical values are one value
  EXPECT_TRUE(same.ok()) << same.error_string();
  EXPECT_NE(same.body.find("cl-ok"), std::string::npos);

  const auto gz = c.for_url(root + "gzip");
  EXPECT_TRUE(gz.ok()) << gz.error_string();
  EXPECT_NE(gz.body.find("gzip-ok"), std::string::npos);

  // A page's redirect is a response: the crawler queues its target.
  for (const char* path : {"redirect/2", "loop"}) {
    const auto redirected = c.for_url(root + path);
    EXPECT_TRUE(redirected.ok()) << redirected.error_string();
    EXPECT_EQ(redirected.status, 302) << path;
    EXPECT_TRUE(redirected.is_redirect()) << path;
    EXPECT_EQ(redirected.header("Location"), std::string(path) == "loop" ? "/loop" : "/redirect/1");
    EXPECT_EQ(redirected.final_url, root + path);
    EXPECT_TRUE(redirected.redirects.empty());
  }
  const auto robots_result = c.for_url(robots.url);
  EXPECT_EQ(robots_result.status, 200) << robots_result.error_string();
  const std::vector<std::string> chain = {root + "redirect/2", root + "redirect/1", root + "redirect/0",
                                          server.page_url(0, 0)};
  EXPECT_EQ(robots_result.redirects, chain);

  const auto missing = c.for_url(root + "status/404");
  EXPECT_TRUE(missing.ok());  // a response, not a transfer error
  EXPECT_EQ(missing.status, 404);

  const auto big = c.for_url(root + "big?bytes=1000");
  EXPECT_TRUE(big.ok()) << big.error_string();
  EXPECT_EQ(big.body.size(), 1000u);

  // Failed transfers leave the loop fine: every error result came back once.
  EXPECT_EQ(c.results().size(), urls.size() + 1);  // and the robots.txt
}

TEST(FiberFetcher, TotalTimeoutIsATimeoutError) {
  SiteOptions site;
  site.hosts = 1;
  site.first_address = "127.0.11.10";
  TestServer server(site);
  TransferOptions o = test_options();
  o.timeout_s = 0.5;
  Collector c;
  const std::string url = server.root_url(0) + "slow?ms=5000";
  {
    FiberFetcher fetcher({.loops = 1, .max_in_flight = 4, .callback_threads = 1}, o, c);
    fetcher.submit(req(url));
    fetcher.drain();
  }
  const auto r = c.for_url(url);
  EXPECT_LT(r.elapsed_ms, 5000) << "cut by the timeout, before the server's answer";
  EXPECT_EQ(r.error, FetchErrc::timeout) << r.error_string();
  EXPECT_STREQ(r.error.category().name(), "curl") << "curl's own code is kept";
  EXPECT_EQ(r.error.value(), CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(r.status, 0);
}

TEST(FiberFetcher, LargeBodiesArriveWhole) {
  SiteOptions site;
  site.hosts = 2;
  site.first_address = "127.0.11.20";
  TestServer server(site);
  TransferOptions o = test_options();
  o.max_size = 64 << 20;
  Collector c;
  std::vector<std::string> urls;
  for (int i = 0; i < 8; ++i)
    urls.push_back(server.root_url(i % 2) + (i % 4 < 2 ? "big" : "big-chunked") + "?bytes=" + std::to_string(3'000'000 + i));
  {
    FiberFetcher fetcher({.loops = 2, .max_in_flight = 8, .callback_threads = 2}, o, c);
    for (const auto& u : urls) fetcher.submit(req(u));
  }
  for (int i = 0; i < 8; ++i) {
    const auto r = c.for_url(urls[static_cast<std::size_t>(i)]);
    EXPECT_TRUE(r.ok()) << r.error_string();
    EXPECT_EQ(r.body.size(), static_cast<std::size_t>(3'000'000 + i));
  }
}

TEST(FiberFetcher, CancelAbortsTransfersInFlightQuickly) {
  SiteOptions site;
  site.hosts = 2;
  site.first_address = "127.0.12.1";
  TestServer server(site);

  Collector c;
  FiberFetcher fetcher({.loops = 2, .max_in_flight = 100, .callback_threads = 2}, test_options(), c);
  std::vector<std::string> urls;
  for (int i = 0; i < 50; ++i) urls.push_back(server.root_url(i % 2) + "slow?ms=5000&i=" + std::to_string(i));
  for (const auto& u : urls) fetcher.submit(req(u));
  ASSERT_TRUE(wait_for_requests(server, 50));  // all 50 are waiting on the server

  fetcher.cancel();
  fetcher.drain();
  const auto calls = c.calls();
  EXPECT_EQ(calls.size(), urls.size());
  for (const auto& [url, n] : calls) EXPECT_EQ(n, 1) << url;
  for (const auto& r : c.results()) {
    EXPECT_EQ(r.error, FetchErrc::aborted) << r.request.url;
    EXPECT_LT(r.elapsed_ms, 5000) << "aborted before the server's answer: " << r.request.url;
  }
  for (const auto& logged : server.stats(0).log) EXPECT_EQ(logged.status, 0) << "the server answered " << logged.target;

  // After cancel(), new requests fail at once without touching the network.
  const auto before = total_requests(server);
  fetcher.submit(req(server.page_url(0, 0)));
  fetcher.drain();
  EXPECT_EQ(c.for_url(server.page_url(0, 0)).error, FetchErrc::aborted);
  EXPECT_EQ(total_requests(server), before);
}

TEST(FiberFetcher, CancelFailsQueuedRequestsWithoutStartingThem) {
  SiteOptions site;
  site.hosts = 1;
  site.first_address = "127.0.12.10";
  TestServer server(site);

  Collector c;
  FiberFetcher fetcher({.loops = 1, .max_in_flight = 5, .callback_threads = 1}, test_options(), c);
  for (int i = 0; i < 30; ++i)
    fetcher.submit(req(server.root_url(0) + "slow?ms=5000&i=" + std::to_string(i)));
  ASSERT_TRUE(wait_for_requests(server, 5));
  fetcher.cancel();
  fetcher.drain();
  EXPECT_EQ(total_requests(server), 5u);  // the cap held: the 25 queued ones never started
  EXPECT_EQ(c.calls().size(), 30u);
  for (const auto& r : c.results()) EXPECT_EQ(r.error, FetchErrc::aborted);
  EXPECT_EQ(total_requests(server), 5u);
}

TEST(FiberFetcher, InFlightCapHoldsAcrossLoops) {
  SiteOptions site;
  site.hosts = 4;
  site.first_address = "127.0.13.1";
  TestServer server(site);

  Collector c;
  constexpr int kCap = 4;
  constexpr int kRequests = 40;
  {
    FiberFetcher fetcher({.loops = 2, .max_in_flight = kCap, .callback_threads = 2}, test_options(), c);
    for (int i = 0; i < kRequests; ++i)
      fetcher.submit(req(server.root_url(i % 4) + "slow?ms=100&i=" + std::to_string(i)));
    fetcher.drain();
  }
  // At most kCap at once over all hosts, whichever loops the hosts landed on.
  EXPECT_LE(peak_concurrency(server), kCap);
  EXPECT_EQ(peak_concurrency(server), kCap);  // and the cap is used
  for (int h = 0; h < 4; ++h) EXPECT_LE(server.stats(h).peak_concurrent_requests, kCap);
  EXPECT_EQ(c.calls().size(), static_cast<std::size_t>(kRequests));
  for (const auto& r : c.results()) EXPECT_TRUE(r.ok()) << r.error_string();
}

TEST(FiberFetcher, AHostAlwaysBelongsToOneLoop) {
  SiteOptions site;
  site.hosts = 1;
  site.pages_per_host = 30;
  site.first_address = "127.0.14.1";
  TestServer server(site);

  std::atomic<int> done{0};
  Collector c([&](const FetchResult&) { ++done; });
  FiberFetcher fetcher({.loops = 4, .max_in_flight = 16, .callback_threads = 1}, test_options(), c);
  for (int p = 0; p < 30; ++p) fetcher.submit(req(server.page_url(0, p)));
  // Same host, other spelling of the scheme/host case: same loop.
  std::string upper = server.page_url(0, 0);
  for (auto& ch : upper)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  fetcher.submit(req(upper));
  fetcher.drain();
  EXPECT_EQ(done.load(), 31);
  int busy_loops = 0;
  for (const auto& s : fetcher.loop_stats()) {
    if (s.transfers > 0) {
      ++busy_loops;
      EXPECT_EQ(s.transfers, 31u);
    }
  }
  EXPECT_EQ(busy_loops, 1);
}

TEST(FiberFetcher, DestroyingRightAfterSubmitDrainsEveryCallbackOnce) {
  SiteOptions site;
  site.hosts = 3;
  site.pages_per_host = 20;
  site.first_address = "127.0.15.1";
  TestServer server(site);

  Collector c;
  std::vector<std::string> urls;
  {
    FiberFetcher fetcher({.loops = 2, .max_in_flight = 16, .callback_threads = 2}, test_options(), c);
    for (int h = 0; h < 3; ++h)
      for (int p = 0; p < 20; ++p) {
        urls.push_back(server.page_url(h, p));
        fetcher.submit(req(urls.back()));
      }
  }
  const auto calls = c.calls();
  EXPECT_EQ(calls.size(), urls.size());
  for (const auto& [url, n] : calls) EXPECT_EQ(n, 1) << url;
  for (const auto& r : c.results()) EXPECT_TRUE(r.ok()) << r.error_string();
}

TEST(FiberFetcher, TheListenerMaySubmitMore) {
  SiteOptions site;
  site.hosts = 1;
  site.pages_per_host = 10;
  site.first_address = "127.0.16.1";
  TestServer server(site);

  // The crawler submits discovered links while results arrive; drain() must
  // wait for those too.
  std::atomic<int> done{0};
  FiberFetcher* submit_to = nullptr;
  Collector c([&](const FetchResult& r) {
    EXPECT_TRUE(r.ok());
    ++done;
    if (r.request.url == server.root_url(0))
      for (int p = 0; p < 10; ++p) submit_to->submit(req(server.page_url(0, p)));
  });
  FiberFetcher fetcher({.loops = 2, .max_in_flight = 4, .callback_threads = 2}, test_options(), c);
  submit_to = &fetcher;
  fetcher.submit(req(server.root_url(0)));
  fetcher.drain();
  EXPECT_EQ(done.load(), 11);
}

// The crawler submits a host's next request from transfer_ended() (its
// lease is free). A loop with a burst of responses to work through must send
// that request at once, not after the whole burst: a handler the loop queues
// goes behind everything already queued, and on a latency-bound crawl every
// round would pay that wait. Here the burst's 30 responses are all waiting
// when the loop gets to them (a blocker holds the loop until the server has
// answered them all), and each costs the loop 10 ms (the listener sleeps on
// the loop's thread).
TEST(FiberFetcher, ARequestSubmittedDuringABurstGoesOutBeforeTheBurstIsWorkedThrough) {
  SiteOptions site;
  site.hosts = 2;
  site.pages_per_host = 1;
  site.first_address = "127.0.18.1";
  site.threads = 2;
  TestServer server(site);
  constexpr int kBurst = 30;

  class Listener final : public crawl::FetchListener {
   public:
    std::function<void(const FetchResult&)> on_ended;
    std::atomic<int> results{0};
    void transfer_ended(const FetchResult& r) noexcept override { on_ended(r); }
    void result_ready(FetchResult&&) noexcept override { ++results; }
  } listener;
  std::mutex mu;
  std::vector<Clock::time_point> burst_ended;  // when the loop got to each response of the burst
  FiberFetcher* fetcher = nullptr;
  const auto answered = [&] {
    int n = 0;
    for (const auto& r : server.stats(0).log) n += r.target.starts_with("/slow") && r.status == 200;
    return n;
  };
  listener.on_ended = [&](const FetchResult& r) {
    if (r.request.url.find("blocker") != std::string::npos) {
      const auto deadline = Clock::now() + std::chrono::seconds(20);
      while (answered() < kBurst && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::this_thread::sleep_for(std::chrono::milliseconds(30));  // the responses are in the loop's sockets
      return;
    }
    if (r.request.url.find("/slow") == std::string::npos) return;
    bool first = false;
    {
      std::lock_guard lock(mu);
      first = burst_ended.empty();
      burst_ended.push_back(Clock::now());
    }
    if (first) fetcher->submit(req(server.page_url(1, 0)));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  FiberFetcher f({.loops = 1, .max_in_flight = 64, .callback_threads = 1}, test_options(), listener);
  fetcher = &f;
  f.submit(req(server.root_url(1) + "slow?ms=100&blocker"));
  for (int i = 0; i < kBurst; ++i) f.submit(req(server.root_url(0) + "slow?ms=300&i=" + std::to_string(i)));
  f.drain();

  ASSERT_EQ(answered(), kBurst);
  EXPECT_EQ(listener.results.load(), kBurst + 2);
  ASSERT_EQ(burst_ended.size(), std::size_t{kBurst});
  const auto log = server.stats(1).log;
  const auto late = std::find_if(log.begin(), log.end(), [](const auto& r) { return r.target == "/page/0.html"; });
  ASSERT_NE(late, log.end());
  // Sent right after the response in hand, well before the loop reached the
  // burst's last response (kBurst - 1 responses of 10 ms later).
  EXPECT_LT(late->received, burst_ended.back())
      << "the request reached the server "
      << std::chrono::duration<double, std::milli>(late->received - burst_ended.front()).count()
      << " ms after the loop got to the burst's first response, and its last "
      << std::chrono::duration<double, std::milli>(burst_ended.back() - burst_ended.front()).count() << " ms after it";
}

// A connection's socket stays registered with the loop between transfers,
// until curl closes it. Closed by either side — the server's reset, a
// `Connection: close` answer, curl's pool — the next socket very likely gets
// the same descriptor number: it must be watched afresh, not through the
// closed one's registration (a transfer would then wait for its timeout).
TEST(FiberFetcher, AConnectionClosedBetweenTransfersIsReplacedCleanly) {
  SiteOptions site;
  site.hosts = 1;
  site.pages_per_host = 4;
  site.first_address = "127.0.17.1";
  TestServer server(site);
  const std::string root = server.root_url(0);
  crawl::testserver::Response closing;
  closing.body = "<p>closing</p>";
  closing.headers = {{"Connection", "close"}};
  server.set_response(0, "/closing", closing);

  // One at a time on one loop: every transfer follows the last one's close
  // or reuses its connection.
  const std::vector<std::string> cycle = {server.page_url(0, 0), root + "closing", server.page_url(0, 1),
                                          root + "reset", server.page_url(0, 2), server.page_url(0, 3)};
  constexpr int kRounds = 20;
  TransferOptions o = test_options();
  o.timeout_s = 10;
  std::atomic<int> next{1};
  FiberFetcher* submit_to = nullptr;
  std::vector<std::string> order;
  for (int i = 0; i < kRounds; ++i) order.insert(order.end(), cycle.begin(), cycle.end());
  Collector c([&](const FetchResult&) {
    const int i = next++;
    if (i < static_cast<int>(order.size())) submit_to->submit(req(order[static_cast<std::size_t>(i)]));
  });
  const auto started = Clock::now();
  {
    FiberFetcher fetcher({.loops = 1, .max_in_flight = 1, .callback_threads = 1}, o, c);
    submit_to = &fetcher;
    fetcher.submit(req(order[0]));
    fetcher.drain();
  }
  const auto results = c.results();
  ASSERT_EQ(results.size(), order.size());
  for (const auto& r : results) {
    if (r.request.url == root + "reset") {
      EXPECT_EQ(r.error, FetchErrc::recv) << r.error_string();
    } else {
      EXPECT_TRUE(r.ok()) << r.request.url << ": " << r.error_string();
      EXPECT_EQ(r.status, 200) << r.request.url;
    }
  }
  // Far below one transfer's timeout: none waited on a closed socket's watch.
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
  // Each asked for once (a reset on a reused connection is sent again by
  // curl once, on a new one).
  const auto by_target = server.stats(0).requests_by_target;
  for (const char* target : {"/page/0.html", "/closing", "/page/1.html", "/page/2.html", "/page/3.html"})
    EXPECT_EQ(by_target.count(target) ? by_target.at(target) : 0, kRounds) << target;
}

// --warc's capture: the exchange as sent and received. A body without a
// Content-Encoding is not copied (the result's body is its payload); a
// gzip-encoded one is kept as it came; a body cut by --max-size moves to
// the exchange (the failed result keeps none), framing removed.
TEST(FiberFetcher, TheArchiveCaptureCopiesOnlyBodiesCurlDecodes) {
  SiteOptions site;
  site.hosts = 1;
  site.first_address = "127.0.17.9";
  TestServer server(site);
  const std::string root = server.root_url(0);
  TransferOptions o = test_options();
  o.archive = true;
  o.max_size = 50'000;
  Collector c;
  {
    FiberFetcher fetcher({.loops = 1, .max_in_flight = 4, .callback_threads = 1}, o, c);
    for (const char* path : {"big?bytes=20000", "big-chunked?bytes=20000", "gzip", "big-chunked?bytes=300000"})
      fetcher.submit(req(root + path));
    fetcher.drain();
  }
  const auto exchange = [&](const std::string& path) {
    const FetchResult r = c.for_url(root + path);
    EXPECT_TRUE(r.wire && r.wire->size() == 1u) << path;
    return std::make_pair(r, r.wire && !r.wire->empty() ? r.wire->back() : crawl::WireExchange{});
  };
  for (const char* path : {"big?bytes=20000", "big-chunked?bytes=20000"}) {
    SCOPED_TRACE(path);
    const auto [r, x] = exchange(path);
    EXPECT_TRUE(r.ok()) << r.error_string();
    EXPECT_EQ(r.body.size(), 20000u);
    EXPECT_TRUE(x.payload_from_curl);
    EXPECT_TRUE(x.body.empty());
    EXPECT_TRUE(x.request.starts_with("GET /big")) << x.request;
    EXPECT_TRUE(x.response.starts_with("HTTP/1.1 200")) << x.response;
  }
  {
    const auto [r, x] = exchange("gzip");
    EXPECT_TRUE(r.ok()) << r.error_string();
    EXPECT_FALSE(x.payload_from_curl);
    EXPECT_TRUE(x.body.starts_with("\x1f\x8b")) << "the gzip stream as sent";
    EXPECT_LT(x.body.size(), r.body.size());
  }
  {
    const auto [r, x] = exchange("big-chunked?bytes=300000");
    EXPECT_EQ(r.error, FetchErrc::too_large) << r.error_string();
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(x.payload_from_curl);
    EXPECT_EQ(x.truncated, "length");
    EXPECT_GT(x.body.size(), 0u);
    EXPECT_LE(x.body.size(), 50'000u);
    EXPECT_EQ(x.body.find("\r\n"), std::string::npos) << "de-chunked";
  }
}

TEST(FiberFetcher, RejectsOptionsBelowOne) {
  Collector c;
  EXPECT_THROW(FiberFetcher({.loops = 0}, test_options(), c), std::invalid_argument);
  EXPECT_THROW(FiberFetcher({.max_in_flight = 0}, test_options(), c), std::invalid_argument);
  EXPECT_THROW(FiberFetcher({.callback_threads = 0}, test_options(), c), std::invalid_argument);
}

TEST(FiberFetcher, RaisesTheOpenFileLimit) {
  const int limit = crawl::raise_open_file_limit(1000);
  EXPECT_GT(limit, 0);
  EXPECT_EQ(crawl::raise_open_file_limit(1000), limit);  // idempotent
}

}  // namespace

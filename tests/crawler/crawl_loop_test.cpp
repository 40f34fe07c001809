// The crawl loop's rules, through its test seam (crawl_loop_fakes.h): a
// scripted fetcher, an in-memory sink and virtual time. No network, no disk,
// no sleeping: a 1 s delay between requests is checked on the virtual clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <mutex>

#include "crawler/crawler.h"
#include "tests/crawler/crawl_loop_fakes.h"

namespace crawl {
namespace {

using testing::ManualClock;
using testing::MemorySink;
using testing::Scripted;
using testing::ScriptedFetcher;

std::string links_to(std::initializer_list<std::string> urls) {
  std::string html = "<html><body>";
  for (const auto& u : urls) html += "<a href=\"" + u + "\">x</a>";
  return html + "</body></html>";
}

// One crawl: a config, the fakes, the crawler wired to them.
struct Harness {
  Config config;
  ManualClock clock;
  MemorySink sink;
  StopRequest stop;
  std::optional<Crawler> crawler;
  std::optional<ScriptedFetcher> fetcher;

  Harness() {
    config.concurrency = 4;
    config.loops = 1;
    config.max_depth = 10;
    config.retries = 2;
  }
  // Builds the crawler and the fetcher from `config` (change it first).
  ScriptedFetcher& web() {
    crawler.emplace(config, &sink, &stop, &clock);
    fetcher.emplace(crawler->listener(), clock);
    return *fetcher;
  }
  CrawlReport run(std::vector<std::string> seeds) {
    std::vector<Seed> list;
    for (auto& s : seeds) list.push_back(Seed{std::move(s), 0, 0});
    return crawler->run(list, *fetcher);
  }
  // Virtual milliseconds between the starts of the n-th and m-th requests for `url_prefix`.
  std::vector<double> start_times(const std::string& url_prefix) const {
    std::vector<double> out;
    for (const auto& s : fetcher->submitted())
      if (s.request.url.starts_with(url_prefix)) out.push_back(clock.ms_since_start(s.at));
    return out;
  }
};

TEST(CrawlLoop, Rfc9309RobotsTxtComesFirstAndDisallowedUrlsAreRecordedAsSkipped) {
  Harness h;
  auto& web = h.web();
  web.script("http://a.test/robots.txt", Scripted(200, "User-agent: *\nDisallow: /private\n", "text/plain"));
  web.script("http://a.test/", {200, links_to({"/public", "/private/x"})});
  web.script("http://a.test/public", Scripted(200, "ok"));
  const auto report = h.run({"http://a.test/"});

  const auto urls = web.submitted_urls();
  ASSERT_FALSE(urls.empty());
  EXPECT_EQ(urls.front(), "http://a.test/robots.txt");
  EXPECT_EQ(std::count(urls.begin(), urls.end(), "http://a.test/private/x"), 0);
  const auto skipped = h.sink.for_url("http://a.test/private/x");
  ASSERT_TRUE(skipped.has_value());
  EXPECT_TRUE(skipped->skipped());
  EXPECT_EQ(skipped->error, CrawlDecision::robots_disallowed);
  EXPECT_EQ(report.stats.skipped, 1);
  EXPECT_EQ(report.summary.outcome, RunOutcome::completed);
  EXPECT_FALSE(h.sink.for_url("http://a.test/robots.txt").has_value()) << "robots.txt is not a page";
}

// The sink is a page's last reader when no done-callback was added: it
// takes the result (the body is not copied for it).
TEST(CrawlLoop, TheSinkTakesEachPageWithoutACopyWhenNoCallbackFollows) {
  Harness h;
  h.config.ignore_robots = true;
  auto& web = h.web();
  web.script("http://a.test/", {200, links_to({"/1", "/2"})});
  web.script("http://a.test/1", {200, "<p>one</p>"});
  web.script("http://a.test/2", {200, "<p>two</p>"});
  h.run({"http://a.test/"});
  ASSERT_EQ(h.sink.stored().size(), 3u);
  EXPECT_EQ(h.sink.owned(), 3);
  ASSERT_TRUE(h.sink.for_url("http://a.test/1"));
  EXPECT_EQ(h.sink.for_url("http://a.test/1")->body, "<p>one</p>");
}

// A done-callback runs after storage and still gets the whole result: then
// the sink gets a copy.
TEST(CrawlLoop, ADoneCallbackSeesTheBodyTheSinkStored) {
  Harness h;
  h.config.ignore_robots = true;
  auto& web = h.web();
  web.script("http://a.test/", {200, links_to({"/1"})});
  web.script("http://a.test/1", {200, "<p>one</p>"});
  std::mutex mu;
  std::map<std::string, std::string> seen;
  h.crawler->add_done_callback([&](const FetchResult& r) {
    std::lock_guard lock(mu);
    seen[r.request.url] = r.body;
  });
  h.run({"http://a.test/"});
  EXPECT_EQ(h.sink.owned(), 0);
  ASSERT_EQ(h.sink.stored().size(), 2u);
  EXPECT_EQ(seen["http://a.test/1"], "<p>one</p>");
  EXPECT_EQ(h.sink.for_url("http://a.test/1")->body, "<p>one</p>");
}

TEST(CrawlLoop, DelayHoldsBetweenTheStartsOfOneHostOnVirtualTime) {
  Harness h;
  h.config.ignore_robots = true;
  h.config.per_host = 1;
  h.config.delay_ms = 1000;
  auto& web = h.web();
  web.script("http://a.test/", {200, links_to({"/1", "/2", "/3", "/4"})});
  web.script("http://b.test/", Scripted(200, "leaf"));
  h.run({"http://a.test/", "http://b.test/"});

  const auto a = h.start_times("http://a.test/");
  ASSERT_EQ(a.size(), 5u);
  for (std::size_t i = 1; i < a.size(); ++i) EXPECT_GE(a[i] - a[i - 1], 1000.0) << "request " << i;
  // Another host does not wait for a.test's delay.
  const auto b = h.start_times("http://b.test/");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_LT(b[0], 1000.0);
}

TEST(CrawlLoop, A503IsRetriedAfterTheBackOffAndOnlyTheLastAttemptIsRecorded) {
  Harness h;
  h.config.ignore_robots = true;
  auto& web = h.web();
  web.script("http://a.test/", Scripted(503, "busy"));
  web.script("http://a.test/", Scripted(503, "busy"));
  web.script("http://a.test/", Scripted(200, "finally"));
  const auto report = h.run({"http://a.test/"});

  const auto starts = h.start_times("http://a.test/");
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_GE(starts[1] - starts[0], 1000.0) << "back-off from 1 s";
  EXPECT_GE(starts[2] - starts[1], 2000.0) << "then doubled";
  const auto stored = h.sink.stored();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].status, 200);
  EXPECT_EQ(stored[0].request.attempt, 2);
  EXPECT_EQ(report.stats.errors, 0);
}

TEST(CrawlLoop, RetryAfterPausesTheHostThatLong) {
  Harness h;
  h.config.ignore_robots = true;
  auto& web = h.web();
  web.script("http://a.test/", Scripted(429, "slow down").header("Retry-After", "7"));
  web.script("http://a.test/", Scripted(200, "ok"));
  h.run({"http://a.test/"});
  const auto starts = h.start_times("http://a.test/");
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_GE(starts[1] - starts[0], 7000.0);
}

TEST(CrawlLoop, EveryUrlIsFetchedOnceARedirectTargetIncluded) {
  Harness h;
  h.config.ignore_robots = true;
  auto& web = h.web();
  web.script("http://a.test/", {200, links_to({"/old", "/x", "/y"})});
  // /old redirects to /new, which is queued as a request of its own; /x's
  // link to /new is a duplicate of it.
  web.script("http://a.test/x", {200, links_to({"/y", "/", "/new"})});
  web.script("http://a.test/y", {200, links_to({"/x"})});
  web.script("http://a.test/old", Scripted(301, "moved").header("Location", "/new"));
  web.script("http://a.test/new", {200, links_to({"/old"})});
  h.run({"http://a.test/"});
  auto urls = web.submitted_urls();
  std::sort(urls.begin(), urls.end());
  EXPECT_EQ(urls, (std::vector<std::string>{"http://a.test/", "http://a.test/new", "http://a.test/old",
                                            "http://a.test/x", "http://a.test/y"}));
}

TEST(CrawlLoop, ARedirectChainIsCutAtMaxRedirectAndKeepsTheDepth) {
  Harness h;
  h.config.ignore_robots = true;
  h.config.max_redirects = 3;
  h.config.max_depth = 0;  // a redirect is not a link: its target is fetched at the seed's depth
  auto& web = h.web();
  for (int i = 0; i < 10; ++i)
    web.script("http://a.test/r" + std::to_string(i),
               Scripted(302).header("Location", "/r" + std::to_string(i + 1)));
  const auto report = h.run({"http://a.test/r0"});
  EXPECT_EQ(web.submitted_urls(),
            (std::vector<std::string>{"http://a.test/r0", "http://a.test/r1", "http://a.test/r2", "http://a.test/r3"}));
  EXPECT_EQ(report.stats.errors_by_kind.at("too_many_redirects"), 1);
}

TEST(CrawlLoop, ARedirectOutOfScopeIsASkipNotAFetch) {
  Harness h;
  h.config.ignore_robots = true;
  auto& web = h.web();
  web.script("http://a.test/", {200, links_to({"/away"})});
  web.script("http://a.test/away", Scripted(301).header("Location", "http://b.test/"));
  const auto report = h.run({"http://a.test/"});
  EXPECT_EQ(web.submitted_urls(), (std::vector<std::string>{"http://a.test/", "http://a.test/away"}));
  EXPECT_EQ(report.stats.skipped, 1);
}

TEST(CrawlLoop, ASeedsRedirectToAnotherHostBringsThatHostIntoScope) {
  Harness h;
  h.config.ignore_robots = true;
  auto& web = h.web();
  web.script("http://a.test/", Scripted(301).header("Location", "http://www.a.test/"));
  web.script("http://www.a.test/", {200, links_to({"/page"})});
  h.run({"http://a.test/"});
  auto urls = web.submitted_urls();
  std::sort(urls.begin(), urls.end());
  EXPECT_EQ(urls, (std::vector<std::string>{"http://a.test/", "http://www.a.test/", "http://www.a.test/page"}));
}

TEST(CrawlLoop, MaxPagesStopsHandingOutWork) {
  Harness h;
  h.config.ignore_robots = true;
  h.config.max_pages = 3;
  auto& web = h.web();
  web.script("http://a.test/", {200, links_to({"/1", "/2", "/3", "/4", "/5"})});
  const auto report = h.run({"http://a.test/"});
  EXPECT_EQ(web.submitted().size(), 3u);
  EXPECT_EQ(report.summary.outcome, RunOutcome::max_pages);
  EXPECT_EQ(report.left_queued, 3u);
}

TEST(CrawlLoop, AStorageFailureStopsTheCrawlAndIsTheOutcome) {
  Harness h;
  h.config.ignore_robots = true;
  h.config.concurrency = 1;
  h.sink.fail_after(2);
  auto& web = h.web();
  web.script("http://a.test/", {200, links_to({"/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8"})});
  const auto report = h.run({"http://a.test/"});
  EXPECT_EQ(report.summary.outcome, RunOutcome::storage_failed);
  ASSERT_TRUE(report.storage_failure.has_value());
  EXPECT_EQ(report.storage_failure->where, "memory");
  EXPECT_LT(web.submitted().size(), 9u) << "stopped handing out work";
  EXPECT_EQ(h.sink.stored().size(), 2u);
  ASSERT_TRUE(h.sink.ended().has_value());
  EXPECT_EQ(h.sink.ended()->outcome, RunOutcome::storage_failed);
}

TEST(CrawlLoop, AStopRequestLetsTransfersFinishAndIsTheOutcome) {
  Harness h;
  h.config.ignore_robots = true;
  h.config.concurrency = 1;
  auto& web = h.web();
  web.script("http://a.test/", {200, links_to({"/1", "/2", "/3", "/4", "/5"})});
  int results = 0;
  h.crawler->add_done_callback([&](const FetchResult&) {
    if (++results == 2) {  // as the signal handler does
      h.stop.last_signal.store(SIGTERM);
      h.stop.count.fetch_add(1);
    }
  });
  const auto report = h.run({"http://a.test/"});
  EXPECT_EQ(report.summary.outcome, RunOutcome::terminated);
  EXPECT_EQ(web.submitted().size(), 2u);
  EXPECT_EQ(h.sink.stored().size(), 2u);
  EXPECT_EQ(report.left_queued, 4u);
}

TEST(CrawlLoop, AHostIsGivenUpAfterConnectionFailuresInARow) {
  Harness h;
  h.config.ignore_robots = true;
  h.config.retries = 0;
  h.config.max_host_failures = 2;
  h.config.concurrency = 1;
  auto& web = h.web();
  web.script("http://a.test/", {200, links_to({"/1", "/2", "/3", "/4"})});
  for (const char* p : {"/1", "/2", "/3", "/4"}) web.script(std::string("http://a.test") + p, Scripted::failure(FetchErrc::connect));
  const auto report = h.run({"http://a.test/"});
  EXPECT_EQ(web.submitted().size(), 3u) << "the root and two failures";
  int given_up = 0;
  for (const auto& r : h.sink.stored()) given_up += r.error == CrawlDecision::host_given_up;
  EXPECT_EQ(given_up, 2);
  EXPECT_EQ(report.stats.transport_errors, 4);
}

TEST(CrawlLoop, AnUnreachableRobotsTxtGivesTheHostUpAfterItsRetries) {
  Harness h;
  h.config.retries = 1;
  auto& web = h.web();
  web.script("http://a.test/robots.txt", Scripted::failure(FetchErrc::connect));
  const auto report = h.run({"http://a.test/"});
  EXPECT_EQ(web.submitted_urls(), (std::vector<std::string>{"http://a.test/robots.txt", "http://a.test/robots.txt"}));
  const auto root = h.sink.for_url("http://a.test/");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->error, CrawlDecision::robots_unavailable);
  EXPECT_EQ(report.stats.errors, 1);
}

}  // namespace
}  // namespace crawl

// The crawl loop's rules, through its test seam (crawl_loop_fakes.h): a
// scripted fetcher, an in-memory sink and virtual time. No network, no disk,
// no sleeping: a 1 s delay between requests is checked on the virtual clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

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

// Answers on a thread of its own, as a pool worker does: transfer_ended(),
// then result_ready(), for one request at a time, with a virtual web of one
// host: a root linking to `pages` pages. Logs what happened in order.
class WorkerFetcher final : public Fetcher {
 public:
  WorkerFetcher(FetchListener& listener, int pages) : listener_(listener), pages_(pages) {
    worker_ = std::thread([this] { work(); });
  }
  ~WorkerFetcher() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  void submit(FetchRequest request) override {
    std::lock_guard lock(mu_);
    // Where from: the worker between a transfer's end and its result
    // (ending_), the worker elsewhere (a step of result_ready()'s), or
    // another thread (run()'s).
    const char* where = std::this_thread::get_id() != worker_.get_id() ? "other" : ending_ ? "ending" : "worker";
    log_.push_back(std::string("submit ") + where + " " + request.url);
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    queue_.push_back(std::move(request));
    cv_.notify_all();
  }
  void drain() override {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }
  void cancel() override {}

  std::vector<std::string> log() const {
    std::lock_guard lock(mu_);
    return log_;
  }
  int max_in_flight() const {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }

 private:
  void work() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      FetchResult r;
      r.request = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      r.final_url = r.request.url;
      r.fetched_at = std::chrono::system_clock::now();
      r.status = 200;
      r.content_type = "text/html";
      if (r.request.url == "http://a.test/") {
        r.body = "<html><body>";
        for (int i = 0; i < pages_; ++i) r.body += "<a href=\"/p" + std::to_string(i) + "\">x</a>";
      } else if (r.request.kind == RequestKind::robots) {
        r.status = 404;
      }
      --in_flight_;
      ending_ = true;
      lock.unlock();
      listener_.transfer_ended(r);
      lock.lock();
      ending_ = false;
      log_.push_back("ready " + r.request.url);
      lock.unlock();
      listener_.result_ready(std::move(r));
      lock.lock();
      busy_ = false;
      if (queue_.empty()) idle_.notify_all();
    }
  }

  FetchListener& listener_;
  const int pages_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_;
  std::deque<FetchRequest> queue_;
  std::vector<std::string> log_;
  int in_flight_ = 0, max_in_flight_ = 0;
  bool ending_ = false, busy_ = false, stopping_ = false;
  std::thread worker_;
};

// The host's next request goes to the fetcher where its previous transfer
// ended (an event loop, a pool worker), before that page's result is read
// and without run()'s thread: on a latency-bound crawl a response is
// followed by the host's next request at once, not after a wake-up and a
// step. Leases, order and limits are the frontier's as before.
// One transfer at a time per host, as the WorkerFetcher tests crawl.
Config one_at_a_time(std::int64_t max_pages = 0) {
  Config config;
  config.concurrency = 8;
  config.per_host = 1;
  config.max_depth = 10;
  config.max_pages = max_pages;
  return config;
}

TEST(CrawlLoop, AHostsNextRequestStartsWhereItsPreviousTransferEnded) {
  const Config config = one_at_a_time();
  MemorySink sink;
  Crawler crawler(config, &sink);
  WorkerFetcher web(crawler.listener(), 40);
  const auto report = crawler.run({Seed{"http://a.test/", 0, 0}}, web);
  EXPECT_EQ(report.stats.pages, 41);
  EXPECT_EQ(web.max_in_flight(), 1) << "--per-host 1 held";
  const auto log = web.log();
  int ending = 0, pages_submitted = 0;
  std::vector<std::string> order;
  for (const auto& line : log) {
    if (!line.starts_with("submit ") || line.find("a.test/p") == std::string::npos) continue;
    ++pages_submitted;
    if (line.starts_with("submit ending ")) ++ending;
    order.push_back(line.substr(line.rfind('/') + 1));
  }
  EXPECT_EQ(pages_submitted, 40);
  std::vector<std::string> expected;
  for (int i = 0; i < 40; ++i) expected.push_back("p" + std::to_string(i));
  EXPECT_EQ(order, expected) << "in the order found";
  // The owner may be busy at a transfer's end (then run()'s thread or the
  // result's step hands the next one out); but not at most of them.
  EXPECT_GE(ending, 20) << "of 39 successors, " << ending << " started where the previous transfer ended";
}

TEST(CrawlLoop, AHostsNextRequestStartedWhereTheLastEndedStillCountsTowardsMaxPages) {
  const Config config = one_at_a_time(6);
  MemorySink sink;
  Crawler crawler(config, &sink);
  WorkerFetcher web(crawler.listener(), 40);
  const auto report = crawler.run({Seed{"http://a.test/", 0, 0}}, web);
  EXPECT_EQ(report.stats.pages, 6);
  EXPECT_EQ(report.summary.outcome, RunOutcome::max_pages);
}

// The real clock, but run()'s thread waits only for a wake-up (or 20 s):
// no 100 ms poll hides a wake-up that was never sent.
class WakeOnlyClock final : public Clock {
 public:
  time_point now() override { return std::chrono::steady_clock::now(); }
  void wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, time_point) override {
    cv.wait_for(lock, std::chrono::seconds(20));
  }
};

// Ends transfers on one thread (as an event loop does) and reads results on
// another (as the callback pool does), for seeds a.test/0, /1, /2 (one at a
// time): the result of /0 is held back and read while the end of /1 hands
// out /2 — while that end holds the frontier — and the loop then looks
// whether the crawl applies it.
class RacingFetcher final : public Fetcher {
 public:
  RacingFetcher(FetchListener& listener, const Crawler& crawler) : listener_(listener), crawler_(crawler) {
    reader_ = std::thread([this] { read_results(); });
    loop_ = std::thread([this] { end_transfers(); });
  }
  ~RacingFetcher() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    loop_.join();
    reader_.join();
  }
  void submit(FetchRequest request) override {
    std::unique_lock lock(mu_);
    const bool from_an_end = std::this_thread::get_id() == loop_.get_id() && ending_;
    if (held_ && from_an_end) {
      raced_ = true;
      to_read_.push_back(std::move(*held_));
      held_.reset();
      cv_.notify_all();
      cv_.wait(lock, [this] { return to_read_.empty() && !reading_; });  // its result_ready() has returned
    }
    requests_.emplace_back(std::move(request), from_an_end);
    cv_.notify_all();
  }
  void drain() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return requests_.empty() && to_read_.empty() && !busy_ && !reading_ && !held_; });
  }
  void cancel() override {}

  bool raced() const {
    std::lock_guard lock(mu_);
    return raced_;
  }
  std::optional<bool> applied() const {
    std::lock_guard lock(mu_);
    return applied_;
  }

 private:
  void end_transfers() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !requests_.empty() || held_; });
      if (requests_.empty()) {
        if (stopping_) return;
        to_read_.push_back(std::move(*held_));  // nothing more to race with
        held_.reset();
        cv_.notify_all();
        continue;
      }
      FetchResult r;
      auto [request, from_an_end] = std::move(requests_.front());
      r.request = std::move(request);
      requests_.pop_front();
      busy_ = true;
      if (!from_an_end) {
        // Handed out by a step: the stepping thread lets the frontier go
        // before this transfer ends (the test is about ends that find it free).
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        lock.lock();
      }
      r.final_url = r.request.url;
      r.fetched_at = std::chrono::system_clock::now();
      r.status = 200;
      r.content_type = "text/plain";
      ending_ = true;
      lock.unlock();
      listener_.transfer_ended(r);
      lock.lock();
      ending_ = false;
      if (raced_ && !applied_) {
        // /0's ResultDone waits in the inbox; /0, /1 and /2 count in flight
        // until somebody steps.
        lock.unlock();
        bool seen = false;
        for (int i = 0; i < 5000 && !seen; ++i) {
          seen = crawler_.progress().in_flight <= 2;
          if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        lock.lock();
        applied_ = seen;
      }
      if (r.request.url.ends_with("/0"))
        held_ = std::move(r);
      else
        to_read_.push_back(std::move(r));
      busy_ = false;
      cv_.notify_all();
    }
  }
  void read_results() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !to_read_.empty(); });
      if (to_read_.empty()) return;
      FetchResult r = std::move(to_read_.front());
      to_read_.pop_front();
      reading_ = true;
      lock.unlock();
      listener_.result_ready(std::move(r));
      lock.lock();
      reading_ = false;
      cv_.notify_all();
    }
  }

  FetchListener& listener_;
  const Crawler& crawler_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<FetchRequest, bool>> requests_;  // and whether submitted where a transfer ended
  std::deque<FetchResult> to_read_;
  std::optional<FetchResult> held_;
  bool ending_ = false, busy_ = false, reading_ = false, stopping_ = false, raced_ = false;
  std::optional<bool> applied_;
  std::thread reader_, loop_;
};

// serve()'s rule holds where a transfer ends too: a result posted while the
// end of another held the frontier (its poster found the owner busy and
// left the event to it) is applied once the owner lets go, not at the next
// event or poll.
TEST(CrawlLoop, AResultPostedWhileATransfersEndHoldsTheFrontierIsApplied) {
  Config config = one_at_a_time();
  config.ignore_robots = true;
  MemorySink sink;
  WakeOnlyClock clock;
  Crawler crawler(config, &sink, nullptr, &clock);
  RacingFetcher web(crawler.listener(), crawler);
  const auto report = crawler.run({Seed{"http://a.test/0", 0, 0}, Seed{"http://a.test/1", 0, 0},
                                   Seed{"http://a.test/2", 0, 0}}, web);
  EXPECT_EQ(report.stats.pages, 3);
  ASSERT_TRUE(web.raced()) << "the end of /1 did not hand out /2 (the owner was busy): nothing tested";
  ASSERT_TRUE(web.applied().has_value());
  EXPECT_TRUE(*web.applied()) << "the result of /0 waited in the inbox for 5 s";
}

}  // namespace
}  // namespace crawl

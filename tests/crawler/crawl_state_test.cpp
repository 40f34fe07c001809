// The durable crawl state through the crawl loop with a real SQLite file: a
// crawl whose state writes fail at step N, for every N, then resumed, ends
// with the same page set as an uninterrupted crawl, nothing lost and nothing
// duplicated; a crawl whose queue is far larger than the memory bound
// fetches every URL once.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crawler/crawler.h"
#include "storage/sqlite_sink.h"
#include "tests/crawler/crawl_loop_fakes.h"
#include "tests/storage/fault_vfs.h"
#include "tests/test_util.h"

namespace crawl {
namespace {

using testing::FaultVfs;
using testing::ManualClock;
using testing::Scripted;
using testing::ScriptedFetcher;
using testing::TempDir;

// Two hosts of kPages pages: page i links to 2i+1 and 2i+2 of its host and
// to page i of the other host.
constexpr int kPages = 24;
const char* const kHosts[] = {"http://a.test", "http://b.test"};

std::string page_url(int host, int i) { return std::string(kHosts[host]) + "/p" + std::to_string(i); }

std::set<std::string> site() {
  std::set<std::string> out;
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < kPages; ++i) out.insert(page_url(h, i));
  return out;
}

void script_site(ScriptedFetcher& web) {
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < kPages; ++i) {
      std::string html = "<html><body>";
      for (const int j : {2 * i + 1, 2 * i + 2})
        if (j < kPages) html += "<a href=\"/p" + std::to_string(j) + "\">x</a>";
      html += "<a href=\"" + page_url(1 - h, i) + "\">y</a></body></html>";
      web.script(page_url(h, i), Scripted(200, html));
    }
  }
}

Config crawl_config() {
  Config c;
  c.concurrency = 3;
  c.loops = 1;
  c.max_depth = 100;
  c.ignore_robots = true;
  c.scope = Scope::any;
  c.memory_queue = 3;  // most of the queue waits in the state
  return c;
}

struct RunOutput {
  CrawlReport report;
  std::vector<std::string> fetched;
  bool fault_hit = false;
};

// One crawl of the site into `db`; with fault_at > 0 the fault_at-th write
// or sync of the database fails (a full disk).
RunOutput crawl_once(const std::string& db, int fault_at, const Config& config) {
  RunOutput out;
  SqliteSinkOptions options;
  if (fault_at > 0) options.vfs = FaultVfs::kName;
  SqliteSink sink(db, options);
  if (fault_at > 0) FaultVfs::arm(fault_at, SQLITE_FULL);
  ManualClock clock;
  Crawler crawler(config, &sink, nullptr, nullptr);
  ScriptedFetcher web(crawler.listener(), clock);
  script_site(web);
  out.report = crawler.run({Seed{page_url(0, 0), 0, 0}}, web);
  if (fault_at > 0) {
    out.fault_hit = FaultVfs::hit();
    FaultVfs::disarm();
  }
  out.fetched = web.submitted_urls();
  return out;
}

std::vector<std::vector<std::string>> rows(const std::string& db, const std::string& sql) {
  return testing::query(db, sql);
}

TEST(CrawlState, AFailedStateWriteAtEveryStepThenAResumeEndsWithTheSitesPagesOnce) {
  FaultVfs::install();
  const Config config = crawl_config();
  bool reached_the_end = false;
  for (int n = 1; n < 2000 && !reached_the_end; ++n) {
    SCOPED_TRACE("fault at write/sync " + std::to_string(n));
    TempDir dir(testing::memory_temp_base());
    const std::string db = (dir.path() / "crawl.db").string();
    RunOutput first = crawl_once(db, n, config);
    reached_the_end = !first.fault_hit;
    if (first.fault_hit) {
      EXPECT_EQ(first.report.summary.outcome, RunOutcome::storage_failed);
    }
    RunOutput second = crawl_once(db, 0, config);
    EXPECT_EQ(second.report.summary.outcome, RunOutcome::completed);

    const auto pages = rows(db, "SELECT url, status FROM pages");
    std::set<std::string> stored;
    for (const auto& r : pages) {
      EXPECT_EQ(r[1], "200") << r[0];
      stored.insert(r[0]);
    }
    EXPECT_EQ(stored, site());
    EXPECT_EQ(rows(db, "SELECT count(*) FROM urls WHERE state != 'done'")[0][0], "0");
    EXPECT_EQ(rows(db, "SELECT count(*) FROM urls")[0][0], std::to_string(site().size()));
    // Fetched at most once per run; a resumed run fetches only what the
    // first did not record.
    std::map<std::string, int> times;
    for (const auto& u : first.fetched) ++times[u];
    for (const auto& u : second.fetched) ++times[u];
    for (const auto& [url, count] : times) EXPECT_LE(count, 2) << url;
    if (!first.fault_hit) {
      // Completed: the second run is a new crawl of everything.
      EXPECT_FALSE(second.report.resumed_from);
    } else if (second.report.resumed_from) {
      std::set<std::string> again(second.fetched.begin(), second.fetched.end());
      EXPECT_EQ(again.size(), second.fetched.size()) << "a URL fetched twice in one run";
    }
  }
  EXPECT_TRUE(reached_the_end) << "the fault never missed: raise the bound";
}

TEST(CrawlState, AQueueFarLargerThanTheMemoryBoundIsCrawledCompletelyOnce) {
  TempDir dir(testing::memory_temp_base());
  const std::string db = (dir.path() / "crawl.db").string();
  Config config = crawl_config();
  config.memory_queue = 1;
  RunOutput run = crawl_once(db, 0, config);
  EXPECT_EQ(run.report.summary.outcome, RunOutcome::completed);
  std::set<std::string> fetched(run.fetched.begin(), run.fetched.end());
  EXPECT_EQ(fetched, site());
  EXPECT_EQ(run.fetched.size(), site().size()) << "a URL was fetched twice";
}

TEST(CrawlState, AResumeRequeuesWhatWasInFlightAndRestartDiscardsIt) {
  TempDir dir(testing::memory_temp_base());
  const std::string db = (dir.path() / "crawl.db").string();
  {  // A crawl that stopped with URLs queued and two in flight (as kill -9 leaves it).
    SqliteSink sink(db);
    ASSERT_FALSE(sink.state()->resume(false).resumed_run);
    sink.begin_run(RunInfo{});
    sink.state()->add({StateUrl{page_url(0, 0), 0, 0, {}, RequestKind::page, 0, {}},
                       StateUrl{page_url(0, 1), 1, 1, page_url(0, 0), RequestKind::page, 0, {}},
                       StateUrl{page_url(1, 0), 1, 1, page_url(0, 0), RequestKind::page, 0, {}}});
    sink.state()->started(page_url(0, 0));
    sink.state()->started(page_url(1, 0));
    ASSERT_FALSE(sink.flush());
  }
  {
    SqliteSink sink(db);
    const ResumePoint point = sink.state()->resume(false);
    ASSERT_TRUE(point.resumed_run);
    EXPECT_EQ(*point.resumed_run, 1);
    EXPECT_EQ(point.requeued, 2);
    EXPECT_EQ(point.queued, 3);
    EXPECT_EQ(point.seen.size(), 3u);
    std::map<std::string, std::int64_t> by_host(point.queued_by_host.begin(), point.queued_by_host.end());
    EXPECT_EQ(by_host, (std::map<std::string, std::int64_t>{{kHosts[0], 2}, {kHosts[1], 1}}));
    // Fresh URLs first (best priority first, then in the order they were
    // found), then those tried before.
    std::promise<std::vector<StateUrl>> taken;
    sink.state()->take(kHosts[0], 10, [&](std::string, std::vector<StateUrl> urls) { taken.set_value(std::move(urls)); });
    const auto urls = taken.get_future().get();
    ASSERT_EQ(urls.size(), 2u);
    EXPECT_EQ(urls[0].url, page_url(0, 1));
    EXPECT_EQ(urls[0].referrer, page_url(0, 0));
    EXPECT_EQ(urls[0].attempts, 0);
    EXPECT_EQ(urls[1].url, page_url(0, 0));
    EXPECT_EQ(urls[1].attempts, 1);
  }
  {
    SqliteSink sink(db);
    const ResumePoint point = sink.state()->resume(true);  // --restart
    EXPECT_FALSE(point.resumed_run);
    EXPECT_TRUE(point.seen.empty());
    ASSERT_FALSE(sink.flush());
  }
  EXPECT_EQ(rows(db, "SELECT count(*) FROM urls")[0][0], "0");
}

}  // namespace
}  // namespace crawl

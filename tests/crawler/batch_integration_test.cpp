// End-to-end: scheduled batch crawling. The real crawl binary crawls the
// project's test web server again and again into one SQLite file; the
// server answers conditionally (ETag, Last-Modified), rotates ETags, sends
// bogus 304s, changes and removes pages, or is down; what the crawler asked
// for is read from the server's request log and what it kept with SQL and
// `crawl changes` / `crawl history`.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

using namespace std::chrono_literals;
using testing::query;
using testing::TempDir;
using testserver::Response;
using testserver::SiteOptions;
using testserver::TestServer;
namespace fs = std::filesystem;

struct BatchRun {
  int code;
  std::string out, err;
  std::string log() const { return "\n--- stdout:\n" + out + "--- stderr:\n" + err; }
};

class BatchTest : public ::testing::Test {
 protected:
  fs::path db() const { return dir_ / "crawl.db"; }

  void seeds(const std::vector<std::string>& urls) {
    std::string text;
    for (const auto& u : urls) text += u + "\n";
    testing::write_file(dir_ / "urls.txt", text);
  }

  // One batch into db(), quiet, no delay; `env` e.g. "CRAWL_BATCH_TIME=…".
  BatchRun batch(std::vector<std::string> extra = {}, std::vector<std::string> env = {}) {
    std::vector<std::string> args = {(dir_ / "urls.txt").string(), "--out", db().string(), "--quiet",
                                     "--retries", "0", "--mode", mode_};
    args.insert(args.end(), extra.begin(), extra.end());
    const fs::path logs = dir_ / ("batch" + std::to_string(++batches_));
    fs::create_directories(logs);
    const auto r = testing::run_crawl(args, logs, std::move(env));
    expect_summary_matches_the_file(r.out);
    return {r.code, r.out, r.err};
  }

  // The crawl's summary line "run N: A new, B changed, …" (counted by the
  // sink as it wrote) says what `crawl changes` reads back from the file.
  void expect_summary_matches_the_file(const std::string& out) {
    static const std::regex line(R"(crawl: run (\d+): (.*) \(crawl changes )");
    std::smatch m;
    if (!std::regex_search(out, m, line)) return;  // e.g. a storage failure: no such line
    ++summaries_checked_;
    const auto c = changes(std::stoi(m[1]));
    std::string expected;
    for (const char* kind : {"new", "changed", "unchanged", "recovered", "failing", "gone"})
      expected += (expected.empty() ? "" : ", ") + std::to_string(count(c, kind)) + " " + kind;
    EXPECT_EQ(m[2].str(), expected) << out;
  }

  // `crawl changes --json` of the last run (or `run`).
  boost::json::object changes(int run = 0) {
    std::vector<std::string> args = {"changes", db().string(), "--json"};
    if (run > 0) args.insert(args.end(), {"--run", std::to_string(run)});
    const auto r = testing::run_crawl(args, dir_.path());
    EXPECT_EQ(r.code, 0) << r.err;
    return boost::json::parse(r.out).as_object();
  }
  static std::int64_t count(const boost::json::object& c, const char* kind) {
    return c.at("counts").as_object().at(kind).as_int64();
  }
  // url → change, for every page of the run.
  static std::map<std::string, std::string> change_of(const boost::json::object& c) {
    std::map<std::string, std::string> out;
    for (const auto& p : c.at("pages").as_array())
      out[std::string(p.at("url").as_string())] = std::string(p.at("change").as_string());
    return out;
  }
  // The URLs of the run with `kind`.
  static std::set<std::string> with_change(const boost::json::object& c, const std::string& kind) {
    std::set<std::string> out;
    for (const auto& [url, change] : change_of(c))
      if (change == kind) out.insert(url);
    return out;
  }

  // url → digest of the stored copy (the pages view).
  std::map<std::string, std::string> digests() {
    std::map<std::string, std::string> out;
    for (const auto& row : query(db(), "SELECT url, digest FROM pages WHERE body IS NOT NULL AND status < 400"))
      out[row[0]] = row[1];
    return out;
  }

  TempDir dir_;
  std::string mode_ = "fibers";
  int batches_ = 0;
  int summaries_checked_ = 0;
};

// Requests of generated pages (/ and /page/N.html) in a host's log.
std::vector<testserver::LoggedRequest> page_requests(const TestServer& server, int host) {
  std::vector<testserver::LoggedRequest> out;
  for (const auto& r : server.stats(host).log)
    if (r.target == "/" || r.target.rfind("/page/", 0) == 0) out.push_back(r);
  return out;
}

SiteOptions site(int hosts, int pages) {
  SiteOptions o;
  o.hosts = hosts;
  o.pages_per_host = pages;
  o.validators = true;
  return o;
}

class ModeBatchTest : public BatchTest, public ::testing::WithParamInterface<const char*> {};

// The second batch of an unchanged site asks every page conditionally, gets
// 304s without bodies, follows the links of the stored copies (so every
// page is reached again) and reports every page unchanged and current.
TEST_P(ModeBatchTest, UnchangedSiteCostsNoBodiesAndEveryPageStaysCurrent) {
  mode_ = GetParam();
  TestServer server(site(2, 15));
  seeds(server.root_urls());
  const BatchRun first = batch();
  ASSERT_EQ(first.code, 0) << first.log();
  const auto stored = digests();
  ASSERT_EQ(stored.size(), server.site_urls().size());
  EXPECT_EQ(count(changes(), "new"), static_cast<std::int64_t>(stored.size()));

  server.reset_stats();
  const BatchRun second = batch();
  ASSERT_EQ(second.code, 0) << second.log();
  std::size_t requested = 0;
  std::uint64_t not_modified = 0, body_bytes = 0;
  for (int h = 0; h < server.host_count(); ++h) {
    for (const auto& r : page_requests(server, h)) {
      ++requested;
      EXPECT_FALSE(r.if_none_match.empty()) << r.target << " was not asked conditionally";
      EXPECT_FALSE(r.if_modified_since.empty()) << r.target;
      EXPECT_EQ(r.status, 304) << r.target;
    }
    not_modified += server.stats(h).not_modified;
    body_bytes += server.stats(h).body_bytes;
  }
  EXPECT_EQ(requested, stored.size()) << "every page reached again, once: links followed from stored copies";
  EXPECT_EQ(not_modified, stored.size());
  EXPECT_LT(body_bytes, 2000u) << "only robots.txt's 404 pages carry bodies";
  EXPECT_NE(second.out.find(std::to_string(stored.size()) + " not modified"), std::string::npos) << second.out;

  const auto c = changes();
  EXPECT_EQ(c.at("run").as_int64(), 2);
  EXPECT_EQ(count(c, "unchanged"), static_cast<std::int64_t>(stored.size()));
  for (const char* kind : {"new", "changed", "recovered", "failing", "gone"}) EXPECT_EQ(count(c, kind), 0) << kind;
  EXPECT_EQ(digests(), stored) << "every copy still present and current";
  EXPECT_EQ(query(db(), "SELECT count(*) FROM bodies")[0][0], std::to_string(stored.size()))
      << "no body stored twice";
  EXPECT_EQ(query(db(), "SELECT count(*) FROM fetches WHERE status = 304 AND change = 'unchanged'")[0][0],
            std::to_string(stored.size()));
}

// A server without validators answers every batch with the whole page: an
// unchanged one is reported unchanged and keeps the time it last changed
// (changed_at), whether or not it is requested conditionally.
TEST_P(ModeBatchTest, AnUnchangedPageKeepsTheTimeItLastChanged) {
  mode_ = GetParam();
  SiteOptions o = site(1, 5);
  o.validators = false;
  TestServer server(o);
  seeds(server.root_urls());
  ASSERT_EQ(batch().code, 0);
  const std::string sql = "SELECT url, changed_at FROM latest WHERE status = 200 ORDER BY url";
  const auto first = query(db(), sql);
  ASSERT_EQ(first.size(), server.site_urls().size());
  for (const auto& row : first) EXPECT_EQ(row[1].size(), 24u) << row[0] << ": not an ISO 8601 time: " << row[1];
  ASSERT_EQ(batch().code, 0);
  EXPECT_EQ(count(changes(), "unchanged"), static_cast<std::int64_t>(first.size()));
  EXPECT_EQ(query(db(), sql), first);
}

INSTANTIATE_TEST_SUITE_P(Modes, ModeBatchTest, ::testing::Values("threads", "fibers"));

// Pages that change between batches are exactly the ones reported changed;
// `crawl changes` lists them, `crawl history` shows both versions, and the
// README's SQL reads the old body back.
TEST_F(BatchTest, ChangedPagesAreExactlyTheOnesReportedChanged) {
  TestServer server(site(1, 20));
  seeds(server.root_urls());
  ASSERT_EQ(batch().code, 0);
  const auto before = digests();
  const std::set<std::string> changed = {server.page_url(0, 3), server.page_url(0, 11), server.page_url(0, 17)};
  server.set_page_version(0, 3, 1);
  server.set_page_version(0, 11, 1);
  server.set_page_version(0, 17, 2);
  const BatchRun second = batch();
  ASSERT_EQ(second.code, 0) << second.log();
  const auto c = changes();
  EXPECT_EQ(with_change(c, "changed"), changed);
  EXPECT_EQ(count(c, "unchanged"), static_cast<std::int64_t>(before.size() - changed.size()));
  EXPECT_NE(second.out.find("3 changed"), std::string::npos) << second.out;
  for (const auto& p : c.at("pages").as_array()) {
    if (p.at("change") != "changed") continue;
    EXPECT_NE(p.at("digest"), p.at("previous_digest"));
    EXPECT_EQ(std::string(p.at("previous_digest").as_string()), before.at(std::string(p.at("url").as_string())));
  }

  const auto text = testing::run_crawl({"changes", db().string()}, dir_.path());
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("run 2 ("), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("0 new, 3 changed"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("changed    " + server.page_url(0, 11)), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("unchanged  "), std::string::npos) << "unchanged pages are listed only with --all";

  const auto history = testing::run_crawl({"history", server.page_url(0, 11), db().string(), "--json"}, dir_.path());
  ASSERT_EQ(history.code, 0) << history.err;
  const auto versions = boost::json::parse(history.out).as_array();
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].at("change"), "new");
  EXPECT_EQ(versions[1].at("change"), "changed");
  EXPECT_NE(versions[0].at("digest"), versions[1].at("digest"));

  // The README's query for an old version's body.
  const auto old_body = query(db(),
                              "SELECT b.body FROM fetches f JOIN latest l ON l.id = f.page_id "
                              "JOIN bodies b ON b.id = f.body_id WHERE l.url = '" +
                                  server.page_url(0, 11) + "' AND f.run_id = 1");
  ASSERT_EQ(old_body.size(), 1u);
  EXPECT_EQ(old_body[0][0].find("version 1"), std::string::npos);
  const auto new_body = query(db(), "SELECT body FROM pages WHERE url = '" + server.page_url(0, 11) + "'");
  EXPECT_NE(new_body[0][0].find("version 1"), std::string::npos);
}

// A server that ignores conditional requests and sends a new ETag every
// time: the digest decides, so only the pages that really changed are
// reported changed.
TEST_F(BatchTest, RotatingEtagsDoNotMakeUnchangedPagesChanged) {
  SiteOptions o = site(1, 15);
  o.validators = false;
  o.rotate_etags = true;
  TestServer server(o);
  seeds(server.root_urls());
  ASSERT_EQ(batch().code, 0);
  server.set_page_version(0, 5, 1);
  server.reset_stats();
  ASSERT_EQ(batch().code, 0);
  EXPECT_EQ(server.stats(0).not_modified, 0u);
  const auto c = changes();
  EXPECT_EQ(with_change(c, "changed"), std::set<std::string>{server.page_url(0, 5)});
  EXPECT_EQ(count(c, "unchanged"), static_cast<std::int64_t>(server.site_urls().size() - 1));
}

// A 304 to a request that was not conditional is an error for that URL,
// never "unchanged": without a copy there is nothing stored; with a copy
// (whose server sent no validators) the copy is kept.
TEST_F(BatchTest, BogusNotModifiedIsAnErrorAndKeepsTheCopy) {
  TestServer server(site(1, 3));
  const std::string root = server.root_url(0);
  Response plain;
  plain.body = "<html><body>plain page, no validators</body></html>";
  server.set_response(0, "/plain", plain);
  Response bogus;
  bogus.always_304 = true;
  server.set_response(0, "/bogus", bogus);
  seeds({root, root + "plain", root + "bogus"});
  const BatchRun first = batch();
  EXPECT_NE(first.code, 0) << first.log();
  auto rows = query(db(), "SELECT body IS NULL, error FROM pages WHERE url = '" + root + "bogus'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "1");
  EXPECT_NE(rows[0][1].find("not conditional"), std::string::npos) << rows[0][1];
  EXPECT_EQ(with_change(changes(), "failing"), std::set<std::string>{root + "bogus"});

  server.set_response(0, "/plain", bogus);  // now the plain page answers 304 to anything
  server.reset_stats();
  batch();
  for (const auto& r : server.stats(0).log) {
    if (r.target != "/plain") continue;
    EXPECT_TRUE(r.if_none_match.empty() && r.if_modified_since.empty());
  }
  rows = query(db(), "SELECT body, status, error FROM pages WHERE url = '" + root + "plain'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], plain.body) << "the good copy is kept";
  EXPECT_EQ(rows[0][1], "200");
  EXPECT_NE(rows[0][2].find("not conditional"), std::string::npos) << rows[0][2];
  const auto c = changes();
  EXPECT_EQ(change_of(c).at(root + "plain"), "failing");
  EXPECT_EQ(change_of(c).at(root + "page/1.html"), "unchanged");
}

// The site is down for a batch: every stored body survives and the pages
// are reported failing (not gone); when it is back, recovered.
TEST_F(BatchTest, SiteDownKeepsEveryCopyThenRecovers) {
  auto server = std::make_unique<TestServer>(site(1, 12));
  const std::string root = server->root_url(0);
  const auto port = static_cast<unsigned short>(std::stoi(root.substr(root.rfind(':') + 1)));
  const auto all = server->site_urls();
  seeds({root});
  ASSERT_EQ(batch().code, 0);
  const auto stored = digests();
  ASSERT_EQ(stored.size(), all.size());

  server->stop();
  const BatchRun down = batch();
  EXPECT_NE(down.code, 0) << down.log();
  EXPECT_EQ(digests(), stored) << "a failed fetch never replaces a good copy";
  auto c = changes();
  EXPECT_EQ(count(c, "failing"), static_cast<std::int64_t>(all.size())) << down.log();
  EXPECT_EQ(count(c, "gone"), 0);
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE failing_since = 2")[0][0], std::to_string(all.size()));
  const auto text = testing::run_crawl({"changes", db().string()}, dir_.path());
  EXPECT_NE(text.out.find(std::to_string(all.size()) + " failing, 0 gone"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("failing    " + root + "  robots_unavailable"), std::string::npos) << text.out;

  SiteOptions again = site(1, 12);
  again.port = port;
  server = std::make_unique<TestServer>(again);
  const BatchRun back = batch();
  ASSERT_EQ(back.code, 0) << back.log();
  c = changes();
  EXPECT_EQ(count(c, "recovered"), static_cast<std::int64_t>(all.size()));
  EXPECT_NE(back.out.find(std::to_string(all.size()) + " recovered"), std::string::npos) << back.out;
  const auto history = testing::run_crawl({"history", root, db().string()}, dir_.path());
  ASSERT_EQ(history.code, 0) << history.err;
  for (const char* change : {" new ", " failing ", " recovered "})
    EXPECT_NE(history.out.find(change), std::string::npos) << change << history.out;
  const auto swapped = testing::run_crawl({"history", db().string(), root}, dir_.path());
  EXPECT_EQ(swapped.code, 2);
  EXPECT_NE(swapped.err.find("the URL comes first, then the file: crawl history " + root + " " + db().string()),
            std::string::npos)
      << swapped.err;
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE failing_since IS NULL AND error IS NULL")[0][0],
            std::to_string(all.size()));
}

// A page that answers 410, and a page no longer linked from anything
// crawled, are reported gone; their last copies are kept.
TEST_F(BatchTest, GonePagesKeepTheirLastCopy) {
  TestServer server(site(1, 10));
  const std::string root = server.root_url(0);
  Response extra;
  extra.body = "<html><body>only in the first list</body></html>";
  server.set_response(0, "/extra", extra);
  seeds({root, root + "extra"});
  ASSERT_EQ(batch().code, 0);
  server.remove_page(0, 9, 410);  // a leaf: pages 4's child
  seeds({root});
  const BatchRun second = batch();
  const auto c = changes();
  EXPECT_EQ(with_change(c, "gone"), (std::set<std::string>{root + "extra", server.page_url(0, 9)})) << second.log();
  EXPECT_EQ(summaries_checked_, 2) << "each batch printed its changes, as the file has them";
  const auto text = testing::run_crawl({"changes", db().string(), "--all"}, dir_.path());
  EXPECT_NE(text.out.find("gone       " + root + "extra  no longer linked"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("gone       " + server.page_url(0, 9) + "  HTTP 410"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("unchanged  " + root), std::string::npos) << text.out;
  const auto rows = query(db(), "SELECT url, body IS NOT NULL, gone_since FROM pages WHERE gone_since IS NOT NULL ORDER BY url");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row[1], "1") << row[0] << ": its last copy is kept";
    EXPECT_EQ(row[2], "2");
  }
}

// --revisit adaptive over several batches, with the batches' clock moved
// by CRAWL_BATCH_TIME: a page not due is not requested but its links are
// followed; unchanged pages' intervals grow by 40 %, a changed page's
// shrinks (by 20 %, here to --revisit-min).
TEST_F(BatchTest, AdaptiveRevisitRequestsOnlyDuePagesAndKeepsTheReach) {
  TestServer server(site(1, 12));
  seeds(server.root_urls());
  const std::size_t pages = server.site_urls().size();
  const std::int64_t t0 = 1'800'000'000;
  const auto at = [&](std::int64_t s) { return std::vector<std::string>{"CRAWL_BATCH_TIME=" + std::to_string(t0 + s)}; };
  const std::vector<std::string> adaptive = {"--revisit", "adaptive", "--revisit-min", "1h", "--revisit-max", "1d"};
  ASSERT_EQ(batch(adaptive, at(0)).code, 0);
  EXPECT_EQ(query(db(), "SELECT DISTINCT CAST(revisit_s AS INTEGER) FROM latest")[0][0], "3600");

  server.reset_stats();
  const BatchRun early = batch(adaptive, at(1800));  // half an hour later: nothing due
  ASSERT_EQ(early.code, 0) << early.log();
  EXPECT_TRUE(page_requests(server, 0).empty()) << "nothing is due";
  EXPECT_NE(early.out.find(std::to_string(pages) + " not due"), std::string::npos) << early.log();
  EXPECT_EQ(query(db(), "SELECT count(*) FROM urls WHERE state = 'done'")[0][0], std::to_string(pages))
      << "every page reached through the stored links";

  server.set_page_version(0, 6, 1);
  server.reset_stats();
  ASSERT_EQ(batch(adaptive, at(7200)).code, 0);  // two hours: all due
  EXPECT_EQ(page_requests(server, 0).size(), pages);
  EXPECT_EQ(query(db(), "SELECT CAST(revisit_s AS INTEGER) FROM latest WHERE url = '" + server.page_url(0, 6) + "'")[0][0],
            "3600");
  EXPECT_EQ(query(db(), "SELECT CAST(revisit_s AS INTEGER) FROM latest WHERE url = '" + server.page_url(0, 5) + "'")[0][0],
            "5040");

  server.reset_stats();
  ASSERT_EQ(batch(adaptive, at(7200 + 4000)).code, 0);  // 1.1 h later: only the changed page is due
  const auto requested = page_requests(server, 0);
  ASSERT_EQ(requested.size(), 1u);
  EXPECT_EQ(requested[0].target, "/page/6.html");
}

// `crawl prune --keep-versions 1` drops the older bodies and their history;
// the latest copy of every page stays; --keep-versions does it after a batch.
TEST_F(BatchTest, RetentionPrunesOldVersionsButNeverTheLatestCopy) {
  TestServer server(site(1, 6));
  seeds(server.root_urls());
  const std::string url = server.page_url(0, 2);
  for (int v = 0; v < 3; ++v) {
    server.set_page_version(0, 2, v);
    ASSERT_EQ(batch().code, 0);
  }
  const auto pages = server.site_urls().size();
  EXPECT_EQ(query(db(), "SELECT count(*) FROM bodies")[0][0], std::to_string(pages + 2));
  const auto pruned = testing::run_crawl({"prune", db().string(), "--keep-versions", "1"}, dir_.path());
  ASSERT_EQ(pruned.code, 0) << pruned.err;
  EXPECT_NE(pruned.out.find("2 bodies deleted"), std::string::npos) << pruned.out;
  EXPECT_EQ(query(db(), "SELECT count(*) FROM bodies")[0][0], std::to_string(pages));
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE body IS NOT NULL")[0][0], std::to_string(pages));
  EXPECT_NE(query(db(), "SELECT body FROM pages WHERE url = '" + url + "'")[0][0].find("version 2"), std::string::npos);

  server.set_page_version(0, 2, 3);
  ASSERT_EQ(batch({"--keep-versions", "1"}).code, 0);
  EXPECT_EQ(query(db(), "SELECT count(*) FROM bodies")[0][0], std::to_string(pages));

  const auto bad = testing::run_crawl({"prune", db().string()}, dir_.path());
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--keep-versions"), std::string::npos) << bad.err;
}

// --every: a batch at every interval until SIGTERM; a second crawl on the
// same state is refused meanwhile; SIGTERM during a batch ends it as
// terminated (143) and the next run resumes it.
TEST_F(BatchTest, EveryRunsBatchesUntilSigterm) {
  TestServer server(site(1, 8));
  seeds(server.root_urls());
  const fs::path logs = dir_ / "every";
  fs::create_directories(logs);
  testing::CrawlProcess every({(dir_ / "urls.txt").string(), "--out", db().string(), "--quiet", "--every", "1s"}, logs);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (every.out().find("batch 3 starting") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_NE(every.out().find("batch 3 starting"), std::string::npos) << every.out() << every.err();

  const BatchRun other = batch();
  EXPECT_EQ(other.code, 2) << other.log();
  EXPECT_NE(other.err.find("in use by another crawl"), std::string::npos) << other.err;

  while (every.out().find("batch 3 done") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  every.kill(SIGTERM);  // between batches
  EXPECT_EQ(every.wait(), 0) << every.out() << every.err();
  EXPECT_NE(every.out().find("stopped between batches"), std::string::npos) << every.out();
  const auto runs = query(db(), "SELECT outcome FROM runs ORDER BY id");
  ASSERT_GE(runs.size(), 3u);
  for (const auto& r : runs) EXPECT_EQ(r[0], "completed");
  const auto started = query(db(), "SELECT started_at FROM runs ORDER BY id");
  EXPECT_LT(started[0][0], started[1][0]);

  // SIGTERM during a batch: terminated, 143; the same command resumes it.
  SiteOptions slow = site(1, 30);
  slow.delay = 100ms;
  TestServer slow_server(slow);
  seeds(slow_server.root_urls());
  const fs::path logs2 = dir_ / "every2";
  fs::create_directories(logs2);
  const std::vector<std::string> args = {(dir_ / "urls.txt").string(), "--out", db().string(), "--quiet",
                                         "--every", "1h", "--per-host", "1"};
  testing::CrawlProcess during(args, logs2);
  while (slow_server.stats(0).requests < 5 && std::chrono::steady_clock::now() < deadline + 30s)
    std::this_thread::sleep_for(10ms);
  during.kill(SIGTERM);
  EXPECT_EQ(during.wait(), 143) << during.out() << during.err();
  EXPECT_EQ(query(db(), "SELECT outcome FROM runs ORDER BY id DESC LIMIT 1")[0][0], "terminated");
  const BatchRun resumed = batch({"--per-host", "4"});
  ASSERT_EQ(resumed.code, 0) << resumed.log();
  EXPECT_NE(resumed.out.find("resumed the unfinished crawl"), std::string::npos) << resumed.out;
}

}  // namespace
}  // namespace crawl

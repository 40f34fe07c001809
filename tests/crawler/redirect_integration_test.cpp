// End-to-end: a redirect's target is a request of its own. The real crawl
// binary crawls the project's test web server, whose pages redirect across
// hosts; the server's request log says what reached each host and when,
// and the SQLite file what was recorded.
#include <gtest/gtest.h>

#include <map>
#include <string>
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

class RedirectTest : public ::testing::TestWithParam<const char*> {
 protected:
  testing::RunResult crawl(const std::vector<std::string>& urls, std::vector<std::string> extra) {
    std::string text;
    for (const auto& u : urls) text += u + "\n";
    testing::write_file(dir_ / "urls.txt", text);
    std::vector<std::string> args = {(dir_ / "urls.txt").string(), "--out", db().string(), "--quiet",
                                     "--retries", "0", "--mode", GetParam()};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run_crawl(args, dir_.path());
  }
  fs::path db() const { return dir_ / "crawl.db"; }
  TempDir dir_;
};

// 200 seeds on 50 hosts all redirect to one host whose robots.txt disallows
// half of the targets: the victim gets at most --per-host requests at once,
// its robots.txt first, and none it disallows; the disallowed targets are
// recorded as skipped, the others fetched once each.
TEST_P(RedirectTest, FanInToOneHostKeepsItsPolitenessAndItsRobotsTxt) {
  SiteOptions o;
  o.hosts = 51;
  o.pages_per_host = 100;
  o.delay = 20ms;
  TestServer server(o);
  const std::string victim = server.root_url(50);
  Response robots;
  robots.body = "User-agent: *\nDisallow: /page/1\n";
  robots.content_type = "text/plain";
  server.set_response(50, "/robots.txt", robots);
  std::vector<std::string> seeds;
  for (int i = 0; i < 200; ++i) {
    const std::string target = victim + "page/" + std::to_string(i % 100) + ".html?from=" + std::to_string(i);
    seeds.push_back(server.root_url(i % 50) + "redirect-to?url=" + testing::percent_encode(target));
  }
  const auto r = crawl(seeds, {"--per-host", "2", "--max-depth", "0", "--concurrency", "64"});
  ASSERT_EQ(r.code, 0) << r.err;

  const auto stats = server.stats(50);
  EXPECT_LE(stats.peak_concurrent_requests, 2) << "--per-host 2 holds for redirect targets";
  ASSERT_FALSE(stats.log.empty());
  EXPECT_EQ(stats.log.front().target, "/robots.txt") << "the victim's robots.txt is read before any page";
  int pages = 0;
  for (const auto& req : stats.log) {
    EXPECT_NE(req.target.rfind("/page/1", 0), 0u) << "disallowed, yet requested: " << req.target;
    if (req.target.rfind("/page/", 0) == 0) ++pages;
  }
  // /page/1.html and /page/10.html … /page/19.html (and their twins) are disallowed: 22 of 200.
  EXPECT_EQ(pages, 200 - 22);
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE url LIKE '" + victim +
                            "page/1%' AND error LIKE 'robots_disallowed%'")[0][0],
            "22");
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE url LIKE '" + victim + "page/%' AND status = 200")[0][0],
            std::to_string(200 - 22));
  // Each seed's row: its redirect, and where it led.
  const auto rows = query(db(), "SELECT status, final_url, redirects FROM pages WHERE url = '" + seeds[3] + "'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "302");
  EXPECT_EQ(rows[0][1], victim + "page/3.html?from=3");
  EXPECT_EQ(rows[0][2], "[\"" + victim + "page/3.html?from=3\"]");
}

// A chain is followed hop by hop; every hop has its row, the first row the
// whole chain; a target outside --exclude, or past --max-redirect, is
// recorded as such and never requested.
TEST_P(RedirectTest, ChainsAreRecordedAndBoundedAndScoped) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 5;
  TestServer server(o);
  const std::string root = server.root_url(0);
  Response away;
  away.status = 301;
  away.headers = {{"Location", "/private/x"}};
  server.set_response(0, "/away", away);
  const auto r = crawl({root + "redirect/3", root + "redirect/8", root + "away"},
                       {"--max-redirect", "5", "--exclude", "/private/", "--max-depth", "0"});
  ASSERT_EQ(r.code, 0) << r.err;

  std::map<std::string, std::vector<std::string>> row;
  for (auto& x : query(db(), "SELECT url, status, final_url, redirects, error, referrer, depth FROM pages"))
    row[x[0].substr(root.size())] = x;
  // redirect/3 → 2 → 1 → 0 → page/0.html.
  EXPECT_EQ(row["redirect/3"][1], "302");
  EXPECT_EQ(row["redirect/3"][2], root + "page/0.html");
  EXPECT_EQ(row["redirect/3"][3], "[\"" + root + "redirect/2\",\"" + root + "redirect/1\",\"" + root +
                                      "redirect/0\",\"" + root + "page/0.html\"]");
  EXPECT_EQ(row["page/0.html"][1], "200");
  EXPECT_EQ(row["page/0.html"][5], root + "redirect/0") << "the target's row says where it came from";
  EXPECT_EQ(row["page/0.html"][6], "0") << "a redirect keeps the depth";
  // redirect/8 → 7 → 6 → 5 → 4 → 3 (5 hops fetched): redirect/3 was queued
  // already, so this chain joins the other one, whichever was recorded first.
  EXPECT_EQ(row["redirect/8"][3], "[\"" + root + "redirect/7\",\"" + root + "redirect/6\",\"" + root +
                                      "redirect/5\",\"" + root + "redirect/4\",\"" + root + "redirect/3\",\"" +
                                      root + "redirect/2\",\"" + root + "redirect/1\",\"" + root +
                                      "redirect/0\",\"" + root + "page/0.html\"]");
  EXPECT_EQ(row["redirect/8"][2], root + "page/0.html");
  EXPECT_EQ(server.stats(0).requests_by_target.at("/redirect/3"), 1);
  // /away → /private/x: excluded, a skip, never requested.
  ASSERT_TRUE(row.contains("private/x"));
  EXPECT_EQ(row["private/x"][4].rfind("out_of_scope: redirect from " + root + "away: matched by --exclude", 0), 0u)
      << row["private/x"][4];
  EXPECT_EQ(server.stats(0).requests_by_target.count("/private/x"), 0u);
  EXPECT_NE(r.out.find("skipped"), std::string::npos) << r.out;
}

// --max-redirect: the target past the last hop is recorded as too_many_redirects.
TEST_P(RedirectTest, ATooLongChainEndsInATooManyRedirectsRecord) {
  SiteOptions o;
  o.hosts = 1;
  TestServer server(o);
  const std::string root = server.root_url(0);
  const auto r = crawl({root + "redirect/6"}, {"--max-redirect", "3"});
  ASSERT_EQ(r.code, 4) << r.err;
  const auto rows = query(db(), "SELECT error, referrer FROM pages WHERE url = '" + root + "redirect/2'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].rfind("too_many_redirects: redirected to from " + root + "redirect/3 after 3 redirects", 0),
            0u)
      << rows[0][0];
  EXPECT_EQ(server.stats(0).requests_by_target.count("/redirect/2"), 0u);
  EXPECT_EQ(query(db(), "SELECT final_url FROM pages WHERE url = '" + root + "redirect/6'")[0][0],
            root + "redirect/2");
}

// A page that redirects by <meta http-equiv="refresh"> (what a moved page of a
// static documentation site often is) leads to its target, a page of its
// own that is crawled with its links; a refresh that names no URL (a reload)
// leads nowhere.
TEST_P(RedirectTest, AMetaRefreshIsFollowedLikeALink) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 3;
  o.links_per_page = 0;
  TestServer server(o);
  const std::string root = server.root_url(0);
  Response moved;
  moved.body = "<!doctype html><html><head><meta http-equiv=\"refresh\" content=\"0; url=page/2.html\">"
               "<meta http-equiv=refresh content=60></head><body>Moved.</body></html>";
  server.set_response(0, "/old.html", moved);
  const auto r = crawl({root + "old.html"}, {"--max-depth", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = query(db(), "SELECT url, status, depth FROM pages ORDER BY url");
  // page/2.html links to page/0.html, which links to page/1.html.
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{{root + "old.html", "200", "0"},
                                                          {server.page_url(0, 0), "200", "2"},
                                                          {server.page_url(0, 1), "200", "3"},
                                                          {server.page_url(0, 2), "200", "1"}}));
  EXPECT_EQ(server.stats(0).requests_by_target["/old.html"], 1) << "the reload is not a new request";
}

INSTANTIATE_TEST_SUITE_P(Modes, RedirectTest, ::testing::Values("threads", "fibers"));

}  // namespace
}  // namespace crawl

// End-to-end politeness, checked from the server's side: the real crawl
// binary in both fetch modes against the test web server, whose request log
// shows what was asked for and when. robots.txt (rules, Crawl-delay,
// unavailable), Retry-After and back-off, retries, hosts given up,
// nofollow/noindex, sitemaps, include/exclude, per-host quotas.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

using namespace std::chrono_literals;
using testing::query;
using testing::TempDir;
using testserver::LoggedRequest;
using testserver::Response;
using testserver::SiteOptions;
using testserver::TestServer;

std::string seed_file(const TempDir& dir, const std::vector<std::string>& urls) {
  std::string text;
  for (const auto& u : urls) text += u + "\n";
  auto path = dir / "urls.txt";
  testing::write_file(path, text);
  return path.string();
}

std::vector<std::string> targets(const std::vector<LoggedRequest>& log) {
  std::vector<std::string> out;
  for (const auto& r : log) out.push_back(r.target);
  return out;
}

Response text(std::string body, int status = 200) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = "text/plain";
  return r;
}

Response html(std::string body) {
  Response r;
  r.body = "<!doctype html><html><head>" + std::move(body) + "</html>";
  return r;
}

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

class PolitenessTest : public ::testing::TestWithParam<const char*> {
 protected:
  testing::RunResult crawl(std::vector<std::string> args) const {
    args.insert(args.end(), {"--mode", GetParam()});
    return testing::run_crawl(args, dir_.path());
  }
  static SiteOptions site(int hosts = 1, int pages = 20) {
    SiteOptions o;
    o.hosts = hosts;
    o.pages_per_host = pages;
    o.page_size = 1000;
    o.cross_links = 0;
    o.threads = 2;
    return o;
  }
  std::string db() const { return (dir_ / "c.db").string(); }
  TempDir dir_;
};

TEST_P(PolitenessTest, RobotsTxtIsFetchedFirstAndObeyed) {
  TestServer server(site(2));
  // Host 0 disallows /page/1* for us (an Allow carves out /page/10.html);
  // the group for another bot must not apply. Host 1 has no robots.txt.
  server.set_response(0, "/robots.txt",
                      text("User-agent: otherbot\nDisallow: /\n\n"
                           "User-agent: Crawl\nDisallow: /page/1\nAllow: /page/10.html\n"));
  auto r = crawl({seed_file(dir_, server.root_urls()), "--out", db(), "--max-depth", "100", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;

  for (int h = 0; h < 2; ++h) {
    auto log = server.stats(h).log;
    ASSERT_FALSE(log.empty());
    EXPECT_EQ(log.front().target, "/robots.txt") << "host " << h << ": robots.txt before anything else";
    EXPECT_EQ(server.stats(h).requests_by_target["/robots.txt"], 1) << "fetched once per host";
  }
  std::set<std::string> disallowed;
  for (const auto& t : targets(server.stats(0).log)) {
    const bool blocked = t.starts_with("/page/1") && t != "/page/10.html";
    EXPECT_FALSE(blocked) << "requested a disallowed path: " << t;
  }
  EXPECT_EQ(server.stats(0).requests_by_target["/page/10.html"], 1) << "Allow wins for the longer match";
  // Every disallowed page is recorded as skipped, with the reason; host 1 is crawled whole.
  const std::string root0 = server.root_url(0);
  auto skipped = query(db(), "SELECT url, error FROM pages WHERE error LIKE 'robots_disallowed%' ORDER BY url");
  std::set<std::string> skipped_urls;
  for (const auto& row : skipped) skipped_urls.insert(row[0]);
  std::set<std::string> disallowed_urls;
  for (int i : {1, 11, 12, 13, 14, 15, 16, 17, 18, 19}) disallowed_urls.insert(server.page_url(0, i));
  EXPECT_TRUE(skipped_urls.contains(server.page_url(0, 1)));
  for (const auto& u : skipped_urls) EXPECT_TRUE(disallowed_urls.contains(u)) << u;
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE url LIKE '" + server.root_url(1) + "%' AND status = 200")[0][0],
            "21");
  EXPECT_NE(r.out.find(std::to_string(skipped_urls.size()) + " skipped"), std::string::npos) << r.out;

  // --ignore-robots: everything, and no robots.txt request.
  TestServer again(site(1));
  again.set_response(0, "/robots.txt", text("User-agent: *\nDisallow: /\n"));
  TempDir dir2;
  auto r2 = testing::run_crawl({seed_file(dir2, again.root_urls()), "--store", "none", "--max-depth", "100",
                                "--ignore-robots", "--quiet", "--mode", GetParam()},
                               dir2.path());
  ASSERT_EQ(r2.code, 0) << r2.err;
  EXPECT_EQ(again.stats(0).requests_by_target.count("/robots.txt"), 0u);
  EXPECT_EQ(again.stats(0).requests, 21u);
}

// A robots.txt larger than --max-size is read up to 500 KiB (RFC 9309 2.5)
// and obeyed, not given up as unavailable; a rule missing its colon is
// obeyed as Google's parser does.
TEST_P(PolitenessTest, OversizeRobotsTxtIsReadUpTo500KiBAndAColonlessRuleIsObeyed) {
  TestServer server(site(1));
  std::string big = "User-agent: *\nDisallow: /page/1.html\nDisallow /page/2.html\n";
  while (big.size() < 1200 * 1024) big += "# filler filler filler filler filler filler filler filler filler\n";
  big += "Disallow: /page/3.html\n";  // past 500 KiB: not read
  server.set_response(0, "/robots.txt", text(big));
  auto r = crawl({seed_file(dir_, server.root_urls()), "--out", db(), "--max-depth", "100", "--quiet",
                  "--max-size", "100k"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto stats = server.stats(0);
  EXPECT_EQ(stats.requests_by_target["/robots.txt"], 1) << "read once, not retried as unavailable";
  EXPECT_EQ(stats.requests_by_target.count("/page/1.html"), 0u);
  EXPECT_EQ(stats.requests_by_target.count("/page/2.html"), 0u) << "Disallow without a colon is obeyed";
  EXPECT_EQ(stats.requests_by_target["/page/3.html"], 1) << "a rule past 500 KiB is not read";
  const auto skipped = query(db(), "SELECT url FROM pages WHERE error LIKE 'robots_disallowed%' ORDER BY url");
  ASSERT_EQ(skipped.size(), 2u) << skipped[0][0] << " " << skipped.back()[0];
}

// Oversized headers or a flood of header fields cost their URL a protocol
// error with a clear message, never the host: it is not a connection
// failure towards --max-host-failures. (A single line over curl's 100 KiB
// limit is reported as such too; the test server cannot send one.)
TEST_P(PolitenessTest, HeaderFloodsAreProtocolErrorsOfTheirUrlOnly) {
  TestServer server(site(1, 10));
  const std::string root = server.root_url(0);
  std::vector<std::string> seeds = {root};
  for (int i = 0; i < 4; ++i) {
    testserver::Response giant = text("<html>giant</html>");
    for (int f = 0; f < 5; ++f) giant.headers.emplace_back("X-Giant" + std::to_string(f), std::string(60 * 1024, 'g'));
    server.set_response(0, "/giant" + std::to_string(i), giant);
    testserver::Response flood = text("<html>flood</html>");
    for (int f = 0; f < 1500; ++f) flood.headers.emplace_back("X-F" + std::to_string(f), "v");
    server.set_response(0, "/flood" + std::to_string(i), flood);
    seeds.push_back(root + "giant" + std::to_string(i));
    seeds.push_back(root + "flood" + std::to_string(i));
  }
  auto r = crawl({seed_file(dir_, seeds), "--out", db(), "--max-depth", "100", "--quiet", "--retries", "0",
                  "--max-host-failures", "2", "--per-host", "1"});
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  const auto errors = query(db(), "SELECT url, error FROM pages WHERE error IS NOT NULL ORDER BY url");
  ASSERT_EQ(errors.size(), 8u) << r.err;
  for (const auto& row : errors) EXPECT_EQ(row[1], "protocol: response headers over 256 KiB or 1000 fields") << row[0];
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE status = 200")[0][0], "11") << "the host was not given up";
}

// A UTF-8 page that names its charset only in Content-Type: its non-ASCII
// hrefs are requested as UTF-8, not read as Latin-1.
TEST_P(PolitenessTest, HttpCharsetDecidesHowLinksAreRead) {
  TestServer server(site(1, 2));
  testserver::Response page = text("<html><body><a href=\"/caf\xC3\xA9\">caf\xC3\xA9</a></body></html>");
  page.content_type = "text/html; charset=UTF-8";
  server.set_response(0, "/utf8", page);
  server.set_response(0, "/caf%C3%A9", text("<html>ok</html>"));
  const std::string root = server.root_url(0);
  auto r = crawl({seed_file(dir_, {root + "utf8"}), "--out", db(), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(server.stats(0).requests_by_target["/caf%C3%A9"], 1) << r.err;
}

// URLs longer than --max-url-length (default 2083) are neither followed nor
// crawled; a seed that long is reported with its line.
TEST_P(PolitenessTest, OverlongUrlsAreNotFollowedNorCrawled) {
  TestServer server(site(1, 2));
  const std::string root = server.root_url(0);
  const std::string long_path = "/l" + std::string(2100, 'x');
  testserver::Response links = text("<html><a href=\"" + long_path + "\">long</a><a href=\"/short\">s</a></html>");
  links.content_type = "text/html";
  server.set_response(0, "/links", links);
  server.set_response(0, "/short", text("<html>short</html>"));
  auto r = crawl({seed_file(dir_, {root + "links", root + "seed" + std::string(2100, 'y')}), "--out", db(), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(server.stats(0).requests_by_target["/short"], 1) << r.out << r.err;
  EXPECT_EQ(server.stats(0).requests_by_target.count(long_path), 0u);
  EXPECT_NE(r.err.find(":2: URL longer than --max-url-length 2083"), std::string::npos) << r.err;
  const auto longer = crawl({seed_file(dir_, {root + "links"}), "--out", db(), "--quiet", "--max-url-length", "5000",
                             "--restart"});
  EXPECT_EQ(server.stats(0).requests_by_target[long_path], 1) << longer.err;
}

TEST_P(PolitenessTest, CrawlDelayAndDelaySpaceRequestStarts) {
  TestServer server(site(1, 6));
  server.set_response(0, "/robots.txt", text("User-agent: *\nCrawl-delay: 0.25\n"));
  auto r = crawl({seed_file(dir_, server.root_urls()), "--store", "none", "--max-depth", "100", "--per-host", "4",
                  "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto log = server.stats(0).log;
  ASSERT_EQ(log.size(), 8u);  // robots.txt, /, 6 pages
  // Client-side starts are spaced; the server sees them give or take its
  // own scheduling and the connection's set-up (tens of ms under the
  // sanitizers), so: on average about the delay, and never close.
  EXPECT_GE(ms_between(log.front().received, log.back().received) / 7, 235);
  for (std::size_t i = 1; i < log.size(); ++i)
    EXPECT_GE(ms_between(log[i - 1].received, log[i].received), 100) << log[i].target;

  // --delay alone, with a higher --per-host: starts are still spaced.
  TestServer plain(site(1, 6));
  TempDir dir2;
  auto r2 = testing::run_crawl({seed_file(dir2, plain.root_urls()), "--store", "none", "--max-depth", "100",
                                "--per-host", "4", "--delay", "150", "--quiet", "--mode", GetParam()},
                               dir2.path());
  ASSERT_EQ(r2.code, 0) << r2.err;
  auto log2 = plain.stats(0).log;
  ASSERT_EQ(log2.size(), 8u);
  EXPECT_GE(ms_between(log2.front().received, log2.back().received) / 7, 140);
  for (std::size_t i = 1; i < log2.size(); ++i)
    EXPECT_GE(ms_between(log2[i - 1].received, log2[i].received), 60) << log2[i].target;
}

TEST_P(PolitenessTest, RetryAfterPausesTheHostAndTheUrlIsRetried) {
  TestServer server(site(1, 3));
  Response flaky = html("<title>ok</title>");
  flaky.fail_first = 1;
  flaky.fail_status = 429;
  flaky.fail_retry_after = "2";
  server.set_response(0, "/flaky", flaky);
  const std::string root = server.root_url(0);
  auto r = crawl({seed_file(dir_, {root + "flaky", root + "page/0.html", root + "page/1.html", root + "page/2.html"}),
                  "--out", db(), "--max-depth", "0", "--per-host", "1", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto log = server.stats(0).log;
  auto it = std::find_if(log.begin(), log.end(), [](const LoggedRequest& x) { return x.status == 429; });
  ASSERT_NE(it, log.end());
  for (auto later = it + 1; later != log.end(); ++later)
    EXPECT_GE(ms_between(it->responded, later->received), 1900) << later->target << " came during the pause";
  EXPECT_EQ(server.stats(0).requests_by_target["/flaky"], 2);
  EXPECT_EQ(query(db(), "SELECT status FROM pages WHERE url = '" + root + "flaky'")[0][0], "200");
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages")[0][0], "4");

  // An HTTP-date works too (here 4 s ahead, whole seconds: at least ~3 s of pause).
  Response dated = html("<title>ok</title>");
  dated.fail_first = 1;
  dated.fail_status = 503;
  dated.fail_retry_after = testserver::http_date(std::chrono::system_clock::now() + 4s);
  server.set_response(0, "/dated", dated);
  server.reset_stats();
  TempDir dir2;
  auto r2 = testing::run_crawl({seed_file(dir2, {root + "dated", root + "page/0.html"}), "--store", "none",
                                "--max-depth", "0", "--per-host", "1", "--quiet", "--mode", GetParam()},
                               dir2.path());
  ASSERT_EQ(r2.code, 0) << r2.err;
  auto log2 = server.stats(0).log;
  auto first = std::find_if(log2.begin(), log2.end(), [](const LoggedRequest& x) { return x.status == 503; });
  ASSERT_NE(first, log2.end());
  for (auto later = first + 1; later != log2.end(); ++later)
    EXPECT_GE(ms_between(first->responded, later->received), 2500) << later->target;
}

TEST_P(PolitenessTest, WithoutRetryAfterTheBackOffDoublesAndRetriesEndInAnErrorRecord) {
  TestServer server(site(1, 2));
  Response busy = html("<title>ok</title>");
  busy.fail_first = 1;
  busy.fail_status = 503;
  server.set_response(0, "/busy", busy);
  const std::string root = server.root_url(0);
  auto r = crawl({seed_file(dir_, {root + "busy", root + "status/500", root + "status/404"}), "--out", db(),
                  "--max-depth", "0", "--per-host", "1", "--retries", "1", "--quiet"});
  EXPECT_EQ(r.code, 8) << r.out << r.err;  // the 500 stays an HTTP error
  auto by_target = server.stats(0).requests_by_target;
  EXPECT_EQ(by_target["/busy"], 2) << "a 503, then the page";
  EXPECT_EQ(by_target["/status/500"], 2) << "first try + --retries 1";
  EXPECT_EQ(by_target["/status/404"], 1) << "a 404 is final";
  EXPECT_EQ(query(db(), "SELECT status FROM pages WHERE url = '" + root + "busy'")[0][0], "200");
  EXPECT_EQ(query(db(), "SELECT status FROM pages WHERE url = '" + root + "status/500'")[0][0], "500");
  // The host's back-off: 1 s after the first failure, then 2 s.
  auto log = server.stats(0).log;
  std::vector<double> gaps;
  for (std::size_t i = 1; i < log.size(); ++i)
    if (log[i - 1].status >= 500) gaps.push_back(ms_between(log[i - 1].responded, log[i].received));
  ASSERT_GE(gaps.size(), 2u);
  EXPECT_GE(gaps[0], 950);
  EXPECT_GE(gaps[1], 1900);
}

TEST_P(PolitenessTest, AHostIsGivenUpAfterConnectionFailuresInARow) {
  // Nothing listens on port 1: every connection is refused.
  std::vector<std::string> seeds;
  for (int i = 0; i < 6; ++i) seeds.push_back("http://127.0.0.1:1/p" + std::to_string(i));
  auto r = crawl({seed_file(dir_, seeds), "--out", db(), "--retries", "0", "--max-host-failures", "2", "--per-host",
                  "1", "--ignore-robots"});
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE error LIKE 'connect:%'")[0][0], "2");
  auto given_up = query(db(), "SELECT error FROM pages WHERE error LIKE 'host_given_up%'");
  ASSERT_EQ(given_up.size(), 4u);
  EXPECT_NE(given_up[0][0].find("2 connection failures in a row"), std::string::npos) << given_up[0][0];
}

// Bodies cut short after the server answered are their URLs' errors, not
// connection failures of the host: six in a row neither give the host up
// (--max-host-failures 5) nor back it off; its good page is fetched.
TEST_P(PolitenessTest, BodiesCutShortCostTheirUrlsNotTheHost) {
  TestServer server(site(1, 3));
  std::vector<std::string> seeds;
  for (int i = 0; i < 6; ++i) seeds.push_back(server.root_url(0) + "cut?n=" + std::to_string(i));
  seeds.push_back(server.page_url(0, 1));
  auto r = crawl({seed_file(dir_, seeds), "--out", db(), "--retries", "0", "--max-host-failures", "5", "--per-host",
                  "1", "--max-depth", "0"});
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE error LIKE 'recv: transfer closed with 979 bytes remaining%'")[0][0],
            "6");
  EXPECT_EQ(query(db(), "SELECT status FROM pages WHERE url = '" + server.page_url(0, 1) + "'"),
            (std::vector<std::vector<std::string>>{{"200"}}));
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE error LIKE 'host_given_up%'")[0][0], "0");
  const auto log = server.stats(0).log;
  ASSERT_GE(log.size(), 2u);
  EXPECT_LT(ms_between(log.front().received, log.back().received), 2000) << "no back-off after the cut bodies";
}

TEST_P(PolitenessTest, AnUnavailableRobotsTxtHoldsTheHostThenSkipsIt) {
  TestServer server(site(1, 3));
  server.set_response(0, "/robots.txt", text("down", 503));
  auto r = crawl({seed_file(dir_, server.root_urls()), "--out", db(), "--retries", "1", "--quiet"});
  EXPECT_EQ(r.code, 4) << r.out << r.err;  // the host failed: an error, not a skip
  EXPECT_EQ(targets(server.stats(0).log), (std::vector<std::string>{"/robots.txt", "/robots.txt"}))
      << "no page is fetched while robots.txt is unavailable";
  auto rows = query(db(), "SELECT url, error FROM pages");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1].rfind("robots_unavailable", 0), 0u) << rows[0][1];
  EXPECT_NE(rows[0][1].find("HTTP 503"), std::string::npos) << rows[0][1];
}

// A robots.txt that redirects more than five times, or to a scheme that
// cannot be fetched, is the server's answer, not an outage: the host is
// crawled as having none (RFC 9309 2.3.1.2, as Google does), and robots.txt
// is not asked again (unlike a 503, which holds the host).
TEST_P(PolitenessTest, ARobotsTxtRedirectingEndlesslyOrToAnotherSchemeCountsAsNone) {
  TestServer server(site(2, 3));
  Response loop = text("", 302);
  loop.headers = {{"Location", "/robots.txt"}};
  server.set_response(0, "/robots.txt", loop);
  Response ftp = text("", 301);
  ftp.headers = {{"Location", "ftp://127.0.0.1/robots.txt"}};
  server.set_response(1, "/robots.txt", ftp);
  auto r = crawl({seed_file(dir_, server.root_urls()), "--out", db(), "--retries", "1", "--max-depth", "100"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(server.stats(0).requests_by_target["/robots.txt"], 6) << "the first request and five redirects, once";
  EXPECT_EQ(server.stats(1).requests_by_target["/robots.txt"], 1);
  const auto stored = query(db(), "SELECT url FROM pages WHERE status = 200");
  std::set<std::string> fetched;
  for (const auto& row : stored) fetched.insert(row[0]);
  for (const auto& url : server.site_urls()) EXPECT_TRUE(fetched.contains(url)) << url;
  EXPECT_NE(r.err.find("crawled as having no robots.txt"), std::string::npos) << r.err;
}

TEST_P(PolitenessTest, NofollowAndNoindexAreHonouredUnlessIgnored) {
  SiteOptions o = site(1, 10);
  o.links_per_page = 0;  // page i links only to 2i+1 and 2i+2
  TestServer server(o);
  server.set_response(0, "/", html("</head><body><a rel=\"external NoFollow\" href=\"/page/1.html\">x</a>"
                                   "<a href=\"/page/2.html\">y</a><a href=\"/hidden\">z</a>"));
  server.set_response(0, "/hidden", html("<meta name=\"robots\" content=\"noindex, nofollow\"></head>"
                                         "<body><a href=\"/page/3.html\">x</a>"));
  // X-Robots-Tag headers, each with its own user-agent scope.
  Response tagged = html("<title>5</title>");
  tagged.headers = {{"X-Robots-Tag", "otherbot: none"}, {"X-Robots-Tag", "crawl: noindex"}};
  server.set_response(0, "/page/5.html", tagged);
  Response other = html("<title>6</title>");
  other.headers = {{"X-Robots-Tag", "otherbot: noindex"}};
  server.set_response(0, "/page/6.html", other);
  auto r = crawl({seed_file(dir_, server.root_urls()), "--out", db(), "--max-depth", "2", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto by_target = server.stats(0).requests_by_target;
  EXPECT_EQ(by_target.count("/page/1.html"), 0u) << "rel=nofollow";
  EXPECT_EQ(by_target["/page/2.html"], 1);
  EXPECT_EQ(by_target["/hidden"], 1);
  EXPECT_EQ(by_target.count("/page/3.html"), 0u) << "meta nofollow";
  const std::string root = server.root_url(0);
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE url = '" + root + "hidden'")[0][0], "0") << "noindex";
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages WHERE url = '" + root + "page/5.html'")[0][0], "0")
      << "X-Robots-Tag: crawl: noindex";
  EXPECT_EQ(query(db(), "SELECT count(*) FROM pages")[0][0], "4") << "/, pages 2, 6 and 0 (every page links it)";

  server.reset_stats();
  TempDir dir2;
  auto db2 = (dir2 / "i.db").string();
  auto r2 = testing::run_crawl({seed_file(dir2, server.root_urls()), "--out", db2, "--max-depth", "2",
                                "--ignore-nofollow", "--quiet", "--mode", GetParam()},
                               dir2.path());
  ASSERT_EQ(r2.code, 0) << r2.err;
  by_target = server.stats(0).requests_by_target;
  EXPECT_EQ(by_target["/page/1.html"], 1);
  EXPECT_EQ(by_target["/page/3.html"], 1);
  EXPECT_EQ(query(db2, "SELECT count(*) FROM pages WHERE url = '" + root + "hidden'")[0][0], "1");
}

TEST_P(PolitenessTest, SitemapsNamedByRobotsTxtAreCrawled) {
  TestServer server(site(1, 30));
  const std::string root = server.root_url(0);
  server.set_response(0, "/robots.txt", text("User-agent: *\nAllow: /\nSitemap: " + root + "sitemap_index.xml\n"));
  // Depth 0: only the seed and what the sitemaps list.
  auto r = crawl({seed_file(dir_, {root}), "--out", db(), "--max-depth", "1", "--sitemaps", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto by_target = server.stats(0).requests_by_target;
  EXPECT_EQ(by_target["/sitemap_index.xml"], 1);
  EXPECT_EQ(by_target["/sitemap-a.xml"], 1);
  EXPECT_EQ(by_target["/sitemap-b.xml.gz"], 1);
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(by_target["/page/" + std::to_string(i) + ".html"], 1) << "page " << i << " from the sitemaps";

  // Without --sitemaps they are not read.
  server.reset_stats();
  TempDir dir2;
  auto r2 = testing::run_crawl({seed_file(dir2, {root}), "--store", "none", "--max-depth", "1", "--quiet", "--mode",
                                GetParam()},
                               dir2.path());
  ASSERT_EQ(r2.code, 0) << r2.err;
  EXPECT_EQ(server.stats(0).requests_by_target.count("/sitemap_index.xml"), 0u);
}

TEST_P(PolitenessTest, IncludeExcludeAndPagesPerHost) {
  TestServer server(site(2, 30));
  auto r = crawl({seed_file(dir_, server.root_urls()), "--store", "none", "--max-depth", "100", "--exclude",
                  "/page/[0-9]*[13579]\\.html$", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (int h = 0; h < 2; ++h) {
    int even = 0;
    for (const auto& t : targets(server.stats(h).log)) {
      if (!t.starts_with("/page/")) continue;
      int n = std::stoi(t.substr(6));
      EXPECT_EQ(n % 2, 0) << "excluded: " << t;
      ++even;
    }
    EXPECT_GT(even, 0);
  }

  server.reset_stats();
  TempDir dir2;
  auto r2 = testing::run_crawl({seed_file(dir2, server.root_urls()), "--store", "none", "--max-depth", "100",
                                "--max-pages-per-host", "5", "--quiet", "--mode", GetParam()},
                               dir2.path());
  ASSERT_EQ(r2.code, 0) << r2.err;
  for (int h = 0; h < 2; ++h) {
    auto log = server.stats(h).log;
    auto pages = std::count_if(log.begin(), log.end(), [](const LoggedRequest& x) { return x.target != "/robots.txt"; });
    EXPECT_EQ(pages, 5) << "host " << h;
  }

  server.reset_stats();
  TempDir dir3;
  auto r3 = testing::run_crawl({seed_file(dir3, server.root_urls()), "--store", "none", "--max-depth", "100",
                                "--include", "/page/0\\.html$", "--include", "/page/[12]\\.html$", "--quiet",
                                "--mode", GetParam()},
                               dir3.path());
  ASSERT_EQ(r3.code, 0) << r3.err;
  const std::set<std::string> allowed{"/", "/robots.txt", "/page/0.html", "/page/1.html", "/page/2.html"};
  for (const auto& t : targets(server.stats(0).log)) EXPECT_TRUE(allowed.contains(t)) << t;
  EXPECT_EQ(server.stats(0).requests_by_target["/page/2.html"], 1);
}

TEST_P(PolitenessTest, ScopeDomainFollowsTheSeedsRegistrableDomains) {
  // libcurl resolves every *.localhost name to loopback itself, so names
  // under one registrable domain ("example.localhost": the Public Suffix
  // List's default rule makes "localhost" the suffix) reach one test server.
  SiteOptions o = site(1, 5);
  o.first_address = "127.0.0.1";
  TestServer server(o);
  const std::string port = server.root_url(0).substr(server.root_url(0).rfind(':') + 1);  // "PORT/"
  server.set_response(0, "/", html("</head><body><a href=\"http://b.example.localhost:" + port + "page/1.html\">b</a>"
                                   "<a href=\"http://other.localhost:" + port + "page/2.html\">other</a>"
                                   "<a href=\"/page/3.html\">same host</a>"));
  const std::string seed = "http://a.example.localhost:" + port;
  auto r = crawl({seed_file(dir_, {seed}), "--store", "none", "--max-depth", "1", "--scope", "domain", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto by_target = server.stats(0).requests_by_target;
  EXPECT_EQ(by_target["/page/1.html"], 1) << "b.example.localhost: same registrable domain";
  EXPECT_EQ(by_target["/page/3.html"], 1);
  EXPECT_EQ(by_target.count("/page/2.html"), 0u) << "other.localhost is another site";
  EXPECT_EQ(by_target["/robots.txt"], 2) << "one robots.txt per host";

  server.reset_stats();
  TempDir dir2;
  auto r2 = testing::run_crawl({seed_file(dir2, {seed}), "--store", "none", "--max-depth", "1", "--scope", "host",
                                "--quiet", "--mode", GetParam()},
                               dir2.path());
  ASSERT_EQ(r2.code, 0) << r2.err;
  by_target = server.stats(0).requests_by_target;
  EXPECT_EQ(by_target.count("/page/1.html"), 0u) << "--scope host: another host";
  EXPECT_EQ(by_target["/page/3.html"], 1);
}

std::string mode_name(const ::testing::TestParamInfo<const char*>& param) { return param.param; }
INSTANTIATE_TEST_SUITE_P(Modes, PolitenessTest, ::testing::Values("threads", "fibers"), mode_name);

}  // namespace
}  // namespace crawl

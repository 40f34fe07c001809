// End-to-end: the real crawl binary, real libcurl transfers, real SQLite and
// files, against the project's test web server on 127.0.1.x.
#include <gtest/gtest.h>

#include <set>

#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

using testing::query;
using testing::TempDir;
using testserver::Response;
using testserver::SiteOptions;
using testserver::TestServer;

std::string seed_file(const TempDir& dir, const std::vector<std::string>& urls) {
  std::string text = "# seeds\n";
  for (const auto& u : urls) text += u + "\n";
  auto path = dir / "urls.txt";
  testing::write_file(path, text);
  return path.string();
}



std::set<std::string> column_set(const std::vector<std::vector<std::string>>& rows) {
  std::set<std::string> out;
  for (const auto& r : rows) out.insert(r.at(0));
  return out;
}

// Every test runs in each fetch mode: both must crawl the same way.
class CrawlTest : public ::testing::TestWithParam<const char*> {
 protected:
  // run_crawl with --mode set to the test's mode.
  testing::RunResult crawl(std::vector<std::string> args, const std::filesystem::path& dir) const {
    args.insert(args.end(), {"--mode", GetParam()});
    return testing::run_crawl(args, dir);
  }
  static SiteOptions site() {
    SiteOptions o;
    o.hosts = 4;
    o.pages_per_host = 40;
    o.page_size = 3000;
    o.delay = std::chrono::milliseconds(5);
    o.threads = 2;
    return o;
  }
  TempDir dir_;
};

TEST_P(CrawlTest, StoresEveryPageOfTheSiteExactlyOnceInSqlite) {
  TestServer server(site());
  auto db = dir_ / "crawl.db";
  auto r = crawl({seed_file(dir_, server.root_urls()), "--concurrency", "8",
                      "--per-host", "2", "--max-depth", "100", "--out", db.string(), "--quiet"},
                     dir_.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;

  auto rows = query(db, "SELECT url FROM pages");
  EXPECT_EQ(rows.size(), server.site_urls().size());
  EXPECT_EQ(column_set(rows), server.site_urls());
  EXPECT_EQ(query(db, "SELECT count(*) FROM pages WHERE status = 200 AND error IS NULL")[0][0],
            std::to_string(server.site_urls().size()));
  EXPECT_EQ(query(db, "SELECT count(*) FROM pages WHERE url LIKE '%/page/%' AND length(body) > 2000")[0][0],
            std::to_string(site().hosts * site().pages_per_host));
  EXPECT_EQ(query(db, "SELECT count(*) FROM pages WHERE content_type LIKE 'text/html%' AND fetched_at LIKE '20%Z'")[0][0],
            std::to_string(server.site_urls().size()));

  for (int h = 0; h < server.host_count(); ++h) {
    auto stats = server.stats(h);
    EXPECT_LE(stats.peak_concurrent_requests, 2) << "host " << h;
    EXPECT_GE(stats.peak_concurrent_requests, 1) << "host " << h;
    for (const auto& [target, count] : stats.requests_by_target)
      EXPECT_EQ(count, 1) << "host " << h << " served " << target << " " << count << " times";
  }
  // One runs row with the same figures as the summary.
  auto runs = query(db, "SELECT mode, concurrency, pages, errors, outcome, finished_at IS NOT NULL FROM runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0][0], GetParam());
  EXPECT_EQ(runs[0][1], "8");
  EXPECT_EQ(runs[0][2], std::to_string(server.site_urls().size()));
  EXPECT_EQ(runs[0][3], "0");
  EXPECT_EQ(runs[0][4], "completed");
  EXPECT_EQ(runs[0][5], "1");
  EXPECT_NE(r.out.find("completed: " + std::to_string(server.site_urls().size()) + " pages"), std::string::npos)
      << r.out;
}

// --html-parser gumbo: the reference extractor reads the pages; the crawl reaches the same
// site (every spelling of a link the generated pages use) and says which parser it used.
TEST_P(CrawlTest, GumboHtmlParserReachesTheWholeSite) {
  TestServer server(site());
  auto db = dir_ / "crawl.db";
  auto r = crawl({seed_file(dir_, server.root_urls()), "--concurrency", "8", "--per-host", "2", "--max-depth",
                  "100", "--out", db.string(), "--quiet", "--html-parser", "gumbo"},
                 dir_.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(column_set(query(db, "SELECT url FROM pages")), server.site_urls());
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE settings LIKE '%html-parser=gumbo%'")[0][0], "1");
}

// A response without a Content-Type is read for links when it starts as an
// HTML page (WHATWG MIME sniffing's HTML signatures, as browsers render it),
// not otherwise; a text/plain page is never read as HTML.
TEST_P(CrawlTest, AnUntypedPageThatStartsAsHtmlIsReadForLinks) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 6;
  o.links_per_page = 0;
  TestServer server(o);
  const auto untyped = [](std::string body) {
    Response r;
    r.body = std::move(body);
    r.content_type.clear();
    return r;
  };
  server.set_response(0, "/", untyped("\n\t <!DOCTYPE html><title>x</title><a href=\"/page/1.html\">1</a>"));
  server.set_response(0, "/page/1.html", untyped("<P>text <a href=\"/page/2.html\">2</a>"));
  server.set_response(0, "/page/2.html", untyped("not markup <a href=\"/page/3.html\">3</a>"));
  Response plain;
  plain.body = "<html><a href=\"/page/4.html\">4</a>";
  plain.content_type = "text/plain";
  server.set_response(0, "/plain", plain);
  auto db = dir_ / "crawl.db";
  auto r = crawl({seed_file(dir_, {server.root_url(0), server.root_url(0) + "plain"}), "--max-depth", "10", "--out",
                  db.string(), "--quiet"},
                 dir_.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(column_set(query(db, "SELECT url FROM pages")),
            (std::set<std::string>{server.root_url(0), server.root_url(0) + "plain", server.page_url(0, 1),
                                   server.page_url(0, 2)}));
}

// --html-parser libxml2: libxml2's HTML parser (the default before our
// HTML5 tokenizer) reads the pages, with the same result.
TEST_P(CrawlTest, Libxml2HtmlParserReachesTheWholeSite) {
  TestServer server(site());
  auto db = dir_ / "crawl.db";
  auto r = crawl({seed_file(dir_, server.root_urls()), "--concurrency", "8", "--per-host", "2", "--max-depth",
                  "100", "--out", db.string(), "--quiet", "--html-parser", "libxml2"},
                 dir_.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(column_set(query(db, "SELECT url FROM pages")), server.site_urls());
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE settings LIKE '%html-parser=libxml2%'")[0][0], "1");
}

TEST_P(CrawlTest, PerHostLimitHoldsServerSide) {
  for (int per_host : {1, 3}) {
    SiteOptions o = site();
    o.hosts = 2;
    o.delay = std::chrono::milliseconds(20);
    TestServer server(o);
    TempDir dir;
    auto r = crawl({seed_file(dir, server.root_urls()), "--concurrency", "16", "--per-host",
                        std::to_string(per_host), "--store", "none", "--max-depth", "100", "--quiet"},
                       dir.path());
    ASSERT_EQ(r.code, 0) << r.err;
    for (int h = 0; h < server.host_count(); ++h) {
      EXPECT_LE(server.stats(h).peak_concurrent_requests, per_host) << "host " << h;
      EXPECT_EQ(server.stats(h).peak_concurrent_requests, per_host)
          << "with 16 workers and many pages, a host should be kept at its limit";
    }
  }
}

TEST_P(CrawlTest, WritesTheSiteAsFiles) {
  TestServer server(site());
  auto out = dir_ / "site";
  auto r = crawl({seed_file(dir_, server.root_urls()), "--store", "disk", "--out", out.string(), "--max-depth",
                      "100", "--concurrency", "8", "--quiet"},
                     dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out)) {
    if (!e.is_regular_file() || e.path().parent_path().filename() == ".crawl") continue;
    ++files;
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }
  EXPECT_EQ(files, server.site_urls().size());
  // wget's layout: host_port/path, index.html for "/".
  std::string root = server.root_url(0);  // http://127.0.1.1:PORT/
  std::string hostport = root.substr(7, root.size() - 8);
  std::replace(hostport.begin(), hostport.end(), ':', '_');
  EXPECT_TRUE(std::filesystem::exists(out / hostport / "index.html"));
  auto page = testing::read_file(out / hostport / "page" / "3.html");
  EXPECT_GT(page.size(), 2000u);
  EXPECT_NE(page.find("</html>"), std::string::npos);
}

TEST_P(CrawlTest, MaxDepthAndMaxPagesBoundTheCrawl) {
  TestServer server(site());
  auto db = dir_ / "d.db";
  auto r = crawl({seed_file(dir_, {server.root_url(0)}), "--max-depth", "1", "--out", db.string(), "--quiet"},
                     dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  // depth 0: the root; depth 1: what the root links to.
  EXPECT_EQ(query(db, "SELECT max(depth) FROM pages")[0][0], "1");
  EXPECT_EQ(query(db, "SELECT count(*) FROM pages WHERE depth = 0")[0][0], "1");

  auto db2 = dir_ / "p.db";
  r = crawl({seed_file(dir_, server.root_urls()), "--max-pages", "7", "--max-depth", "100", "--out", db2.string(),
                 "--quiet"},
                dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(query(db2, "SELECT count(*) FROM pages")[0][0], "7");
  EXPECT_EQ(query(db2, "SELECT outcome, pages FROM runs")[0], (std::vector<std::string>{"max-pages", "7"}));
}

TEST_P(CrawlTest, ScopeHostStaysOnTheSeedsHosts) {
  TestServer server(site());  // pages link across hosts
  auto db = dir_ / "s.db";
  auto r = crawl({seed_file(dir_, {server.root_url(1)}), "--max-depth", "100", "--out", db.string(), "--quiet"},
                     dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  auto prefix = server.root_url(1);
  auto urls = column_set(query(db, "SELECT url FROM pages"));
  EXPECT_EQ(urls.size(), static_cast<std::size_t>(site().pages_per_host + 1));
  for (const auto& u : urls) EXPECT_EQ(u.rfind(prefix, 0), 0u) << u;

  auto db2 = dir_ / "a.db";
  r = crawl({seed_file(dir_, {server.root_url(1)}), "--scope", "any", "--max-depth", "100", "--out",
                 db2.string(), "--quiet"},
                dir_.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(std::stoi(query(db2, "SELECT count(*) FROM pages")[0][0]), site().pages_per_host + 1);
}

TEST_P(CrawlTest, UnreachableAddressEndsWithErrorRecords) {
  // Port 1 on loopback: nothing listens, the connection is refused.
  auto db = dir_ / "u.db";
  auto r = crawl({seed_file(dir_, {"http://127.0.0.1:1/", "http://127.0.0.1:1/other"}), "--out", db.string(),
                      "--timeout", "5", "--retries", "0", "--ignore-robots"},
                     dir_.path());
  EXPECT_EQ(r.code, 4) << r.out << r.err;  // wget: 4 = network failure
  auto rows = query(db, "SELECT url, status, error FROM pages ORDER BY url");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1], "<null>");  // no response, no status
  EXPECT_EQ(rows[0][2].rfind("connect:", 0), 0u) << rows[0][2];
  EXPECT_NE(r.err.find("127.0.0.1:1/"), std::string::npos) << "per-URL error in the log: " << r.err;
  EXPECT_NE(r.out.find("2 errors (connect 2)"), std::string::npos) << r.out;
}

TEST_P(CrawlTest, MisbehavingServerCostsOneUrlAnErrorRecordEach) {
  SiteOptions o = site();
  o.hosts = 1;
  TestServer server(o);
  std::string root = server.root_url(0);
  std::vector<std::string> seeds;
  for (const char* path : {"status/500", "status/404", "reset", "big?bytes=300000", "big-chunked?bytes=300000",
                           "bad-gzip", "loop", "redirect/3", "gzip", "slow?ms=3000", "page/1.html"})
    seeds.push_back(root + path);
  auto db = dir_ / "m.db";
  auto r = crawl({seed_file(dir_, seeds), "--out", db.string(), "--max-size", "100k", "--timeout", "1",
                      "--max-depth", "0", "--per-host", "4", "--retries", "0"},
                     dir_.path());
  EXPECT_EQ(r.code, 4) << r.err;
  std::map<std::string, std::vector<std::string>> by_path;
  for (auto& row : query(db, "SELECT url, status, error, redirects, body, final_url, referrer FROM pages"))
    by_path[row[0].substr(root.size())] = row;
  // Each redirect's target is a request of its own, with a row of its own.
  for (const char* hop : {"redirect/2", "redirect/1", "redirect/0", "page/0.html"}) EXPECT_TRUE(by_path.contains(hop)) << hop;
  ASSERT_EQ(by_path.size(), seeds.size() + 4);
  EXPECT_EQ(by_path["status/500"][1], "500");
  EXPECT_EQ(by_path["status/500"][2], "<null>");
  EXPECT_EQ(by_path["status/404"][1], "404");
  EXPECT_EQ(by_path["reset"][2].rfind("recv:", 0), 0u) << by_path["reset"][2];
  EXPECT_EQ(by_path["big?bytes=300000"][2].rfind("too_large:", 0), 0u) << by_path["big?bytes=300000"][2];
  EXPECT_EQ(by_path["big-chunked?bytes=300000"][2].rfind("too_large:", 0), 0u);
  EXPECT_EQ(by_path["bad-gzip"][2].rfind("protocol:", 0), 0u) << by_path["bad-gzip"][2];
  // A redirect to itself is the URL's response; the loop ends there (the target was seen).
  EXPECT_EQ(by_path["loop"][1], "302");
  EXPECT_EQ(by_path["loop"][5], root + "loop");
  EXPECT_EQ(by_path["slow?ms=3000"][2].rfind("timeout:", 0), 0u) << by_path["slow?ms=3000"][2];
  // Redirects followed hop by hop (at the seeds' depth), the whole chain
  // recorded in the first URL's row; compressed bodies stored decoded.
  EXPECT_EQ(by_path["redirect/3"][1], "302");
  EXPECT_EQ(by_path["redirect/1"][3], "[\"" + root + "redirect/0\",\"" + root + "page/0.html\"]");
  EXPECT_EQ(by_path["redirect/1"][6], root + "redirect/2") << "referrer: the hop before";
  EXPECT_EQ(by_path["page/0.html"][1], "200");
  EXPECT_EQ(by_path["redirect/3"][5], root + "page/0.html");
  EXPECT_EQ(by_path["redirect/3"][3],
            "[\"" + root + "redirect/2\",\"" + root + "redirect/1\",\"" + root + "redirect/0\",\"" + root +
                "page/0.html\"]");
  EXPECT_NE(by_path["gzip"][4].find("gzip-ok"), std::string::npos);
  EXPECT_EQ(by_path["page/1.html"][1], "200");
}

TEST_P(CrawlTest, RepeatedRunsUpdateTheSameDatabase) {
  TestServer server(site());
  auto db = dir_ / "r.db";
  auto seeds = seed_file(dir_, {server.root_url(0)});
  for (int i = 0; i < 2; ++i) {
    auto r = crawl({seeds, "--out", db.string(), "--quiet", "--max-depth", "100"}, dir_.path());
    ASSERT_EQ(r.code, 0) << r.err;
  }
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs")[0][0], "2");
  EXPECT_EQ(query(db, "SELECT count(*) FROM pages")[0][0], std::to_string(site().pages_per_host + 1));
  EXPECT_EQ(query(db, "SELECT count(DISTINCT run_id) FROM pages")[0][0], "1");  // the latest run's rows
}

TEST_P(CrawlTest, SigintStopsCleanlyWithExitCode130) {
  for (int sig : {SIGINT, SIGTERM}) {
    SiteOptions o = site();
    o.delay = std::chrono::milliseconds(300);
    TestServer server(o);
    TempDir dir;
    auto db = dir / "i.db";
    testing::CrawlProcess p({seed_file(dir, server.root_urls()), "--out", db.string(), "--max-depth", "100",
                             "--mode", GetParam()},
                            dir.path());
    // Stopped mid-crawl: once the server has answered a few pages (its count,
    // not a guess of how long that takes).
    for (int i = 0; i < 4000 && server.total_requests() < 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_GE(server.total_requests(), 10u) << p.err();
    p.kill(sig);
    int code = p.wait();
    EXPECT_EQ(code, sig == SIGINT ? 130 : 143) << p.err();
    EXPECT_NE(p.out().find(sig == SIGINT ? "interrupted:" : "terminated:"), std::string::npos) << p.out();
    auto runs = query(db, "SELECT outcome, pages FROM runs");
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0][0], sig == SIGINT ? "interrupted" : "terminated");
    EXPECT_EQ(query(db, "SELECT count(*) FROM pages")[0][0], runs[0][1]);
    EXPECT_GT(std::stoi(runs[0][1]), 0);
    EXPECT_LT(std::stoi(runs[0][1]), static_cast<int>(server.site_urls().size()));
  }
}

std::string mode_name(const ::testing::TestParamInfo<const char*>& param) { return param.param; }
INSTANTIATE_TEST_SUITE_P(Modes, CrawlTest, ::testing::Values("threads", "fibers"), mode_name);

}  // namespace
}  // namespace crawl

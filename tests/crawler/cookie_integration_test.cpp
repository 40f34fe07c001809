// End-to-end: cookies. The real crawl binary keeps one cookie jar for all
// its transfers (both modes), passes a cookie wall (a site that sets a
// cookie and redirects to itself), loads and saves Netscape cookie files,
// and --no-cookies turns all of it off.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

using testing::query;
using testing::TempDir;
using testserver::SiteOptions;
using testserver::TestServer;
namespace fs = std::filesystem;

class CookieTest : public ::testing::TestWithParam<const char*> {
 protected:
  testing::RunResult crawl(const std::vector<std::string>& urls, std::vector<std::string> extra,
                           const std::string& db_name = "crawl.db") {
    std::string text;
    for (const auto& u : urls) text += u + "\n";
    testing::write_file(dir_ / "urls.txt", text);
    std::vector<std::string> args = {(dir_ / "urls.txt").string(), "--out", (dir_ / db_name).string(), "--quiet",
                                     "--retries", "0", "--mode", GetParam()};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run_crawl(args, dir_.path());
  }
  static SiteOptions one_host() {
    SiteOptions o;
    o.hosts = 1;
    o.pages_per_host = 2;
    o.links_per_page = 0;
    return o;
  }
  TempDir dir_;
};

// /cookie-gate answers 302 to itself with Set-Cookie until the request
// carries the cookie: with the jar (the default) its second request gets the
// page, whose link is followed; with --no-cookies the 302 is all there is.
TEST_P(CookieTest, ACookieWallIsPassedWithTheCookieItSets) {
  TestServer server(one_host());
  const std::string root = server.root_url(0);
  const auto r = crawl({root + "cookie-gate"}, {"--max-depth", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = query(dir_ / "crawl.db", "SELECT status, instr(body, 'cookie-ok') > 0 FROM pages WHERE url = '" +
                                                 root + "cookie-gate'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"200", "1"}));
  EXPECT_EQ(server.stats(0).requests_by_target["/cookie-gate"], 2);
  EXPECT_EQ(query(dir_ / "crawl.db", "SELECT f.status, f.change FROM fetches f JOIN latest l ON l.id = f.page_id "
                                     "WHERE l.url = '" + root + "cookie-gate' ORDER BY f.id"),
            (std::vector<std::vector<std::string>>{{"302", "new"}, {"200", "new"}}))
      << "both fetches are of a page new to this run";
  EXPECT_NE(r.out.find("run 1: 2 new, 0 changed"), std::string::npos) << r.out;
  EXPECT_EQ(query(dir_ / "crawl.db", "SELECT status FROM pages WHERE url = '" + server.page_url(0, 0) + "'"),
            (std::vector<std::vector<std::string>>{{"200"}}))
      << "the page behind the wall is read for links";

  server.reset_stats();
  const auto off = crawl({root + "cookie-gate"}, {"--max-depth", "1", "--no-cookies"}, "off.db");
  ASSERT_EQ(off.code, 0) << off.err;
  EXPECT_EQ(query(dir_ / "off.db", "SELECT status FROM pages WHERE url = '" + root + "cookie-gate'"),
            (std::vector<std::vector<std::string>>{{"302"}}));
  EXPECT_EQ(server.stats(0).requests_by_target["/cookie-gate"], 1) << "no cookie: a redirect to itself is a loop";
}

// A cookie set on one transfer is sent by the others (one jar for all the
// easy handles: threads' workers, fibers' loops); --save-cookies writes it in
// the Netscape format, --load-cookies of that file sends it from the first
// request of the next crawl.
TEST_P(CookieTest, TheJarIsSharedSavedAndLoaded) {
  TestServer server(one_host());
  const std::string root = server.root_url(0);
  const fs::path jar = dir_ / "jar.txt";
  const auto first = crawl({root + "cookie-gate"}, {"--max-depth", "0", "--save-cookies", jar.string()});
  ASSERT_EQ(first.code, 0) << first.err;
  const std::string saved = testing::read_file(jar);
  EXPECT_EQ(saved.rfind("# Netscape HTTP Cookie File\n", 0), 0u) << saved;
  EXPECT_NE(saved.find("\tgate\topen\n"), std::string::npos) << saved;
  EXPECT_FALSE(fs::exists(dir_ / "jar.txt.tmp"));

  server.reset_stats();
  const auto second = crawl({root + "cookies", root + "cookie-gate"},
                            {"--max-depth", "0", "--load-cookies", jar.string(), "--per-host", "1"}, "second.db");
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(query(dir_ / "second.db", "SELECT CAST(body AS TEXT) FROM pages WHERE url = '" + root + "cookies'"),
            (std::vector<std::vector<std::string>>{{"Cookie: gate=open\n"}}));
  EXPECT_EQ(server.stats(0).requests_by_target["/cookie-gate"], 1) << "the loaded cookie opens the wall at once";

  // A file that does not exist yet (the first of nightly batches that load
  // and save one file): no cookies, no error.
  const auto fresh =
      crawl({root + "cookies"}, {"--max-depth", "0", "--load-cookies", (dir_ / "none.txt").string()}, "fresh.db");
  ASSERT_EQ(fresh.code, 0) << fresh.err;
  EXPECT_EQ(query(dir_ / "fresh.db", "SELECT CAST(body AS TEXT) FROM pages")[0][0], "Cookie: (none)\n");
}

// A host that sets cookie after cookie of new names (curl caps them per
// response, not per jar) is closed past CookieJar's 300 names: said once,
// its later transfers keep and send none, and the jar stops growing; the
// other hosts' cookies are untouched.
TEST_P(CookieTest, AHostFloodingTheJarIsCutOff) {
  SiteOptions o = one_host();
  o.hosts = 2;
  TestServer server(o);
  const std::string flood = server.root_url(0);
  const std::string calm = server.root_url(1);
  std::vector<std::string> urls = {calm + "cookie-gate"};
  for (int n = 0; n < 10; ++n) urls.push_back(flood + "cookie-flood?n=" + std::to_string(n));  // 500 names
  urls.push_back(flood + "cookies");
  const fs::path jar = dir_ / "jar.txt";
  const auto r = crawl(urls, {"--max-depth", "0", "--per-host", "1", "--save-cookies", jar.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string flood_host = flood.substr(7, flood.find(':', 7) - 7);  // http://127.0.1.1:PORT/
  EXPECT_NE(r.err.find(flood_host + ": more than 300 distinct cookies set; its cookies are no longer kept or sent"),
            std::string::npos)
      << r.err;
  const std::string saved = testing::read_file(jar);
  const auto flood_cookies = static_cast<std::size_t>(std::count(saved.begin(), saved.end(), '\n')) - 3;
  EXPECT_GE(flood_cookies, 300u) << saved.substr(0, 500);
  EXPECT_LE(flood_cookies, 351u) << "300 names and the response that went past them, and calm's one";
  EXPECT_NE(saved.find("\tgate\topen\n"), std::string::npos);

  EXPECT_EQ(query(dir_ / "crawl.db", "SELECT CAST(body AS TEXT) FROM pages WHERE url = '" + flood + "cookies'"),
            (std::vector<std::vector<std::string>>{{"Cookie: (none)\n"}}))
      << "requested after the flood (--per-host 1, seed order): no cookie sent";
}

// Bad cookie options are refused before any request: --no-cookies with a
// cookie file (2), a cookie file that cannot be read (2), a jar that could
// not be written at the end (3, checked at the start).
TEST_P(CookieTest, BadCookieOptionsStopTheCrawlBeforeItStarts) {
  TestServer server(one_host());
  const std::string root = server.root_url(0);
  const auto both = crawl({root}, {"--no-cookies", "--load-cookies", (dir_ / "jar.txt").string()});
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("--no-cookies keeps no cookies: it cannot go with --load-cookies"), std::string::npos)
      << both.err;
  const auto dir_as_file = crawl({root}, {"--load-cookies", dir_.path().string()});
  EXPECT_EQ(dir_as_file.code, 2);
  EXPECT_NE(dir_as_file.err.find("is a directory, not a cookie file"), std::string::npos) << dir_as_file.err;
  const auto nowhere = crawl({root}, {"--save-cookies", (dir_ / "missing" / "jar.txt").string()});
  EXPECT_EQ(nowhere.code, 3);
  EXPECT_NE(nowhere.err.find("--save-cookies " + (dir_ / "missing" / "jar.txt").string() +
                             ": its directory does not exist"),
            std::string::npos)
      << nowhere.err;
  EXPECT_EQ(server.stats(0).log.size(), 0u) << "nothing is fetched";
}

INSTANTIATE_TEST_SUITE_P(Modes, CookieTest, ::testing::Values("threads", "fibers"));

}  // namespace
}  // namespace crawl

// End-to-end: the bounds on what a server controls (--max-links-per-page,
// --max-sitemap-urls, --max-urls-per-host, --max-url-length,
// --max-path-depth, --max-path-repeats). The real crawl binary crawls the
// project's test web server, whose pages and sitemaps list more than the
// bounds allow; the server's request log says what was requested, the
// summary and --stats-json what was counted under each bound's name.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

using testing::TempDir;
using testserver::Response;
using testserver::SiteOptions;
using testserver::TestServer;
namespace fs = std::filesystem;
namespace json = boost::json;

class BoundsTest : public ::testing::TestWithParam<const char*> {
 protected:
  testing::RunResult crawl(const std::vector<std::string>& urls, std::vector<std::string> extra) {
    std::string text;
    for (const auto& u : urls) text += u + "\n";
    testing::write_file(dir_ / "urls.txt", text);
    std::vector<std::string> args = {(dir_ / "urls.txt").string(), "--out", (dir_ / "crawl.db").string(),
                                     "--stats-json", stats_path().string(), "--retries", "0", "--mode", GetParam()};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run_crawl(args, dir_.path());
  }
  fs::path stats_path() const { return dir_ / "stats.json"; }
  // --stats-json's "bounds" object.
  json::object bounds() const { return json::parse(testing::read_file(stats_path())).at("bounds").as_object(); }
  static std::int64_t count(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v ? v->to_number<std::int64_t>() : 0;
  }
  TempDir dir_;
};

std::set<std::string> page_targets(const testserver::HostStats& stats) {
  std::set<std::string> out;
  for (const auto& r : stats.log)
    if (r.target != "/robots.txt") out.insert(r.target);
  return out;
}

// A page with 50 links (to 50 distinct pages) and --max-links-per-page 10:
// the first 10 are followed, 40 counted, none of the rest requested.
TEST_P(BoundsTest, LinksPerPageTakesTheFirstInDocumentOrder) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 100;
  o.links_per_page = 0;
  TestServer server(o);
  const std::string root = server.root_url(0);
  const auto r = crawl({root + "links?n=50"}, {"--max-links-per-page", "10", "--max-depth", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto targets = page_targets(server.stats(0));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(targets.contains("/page/" + std::to_string(i) + ".html")) << i;
  for (int i = 10; i < 50; ++i) EXPECT_FALSE(targets.contains("/page/" + std::to_string(i) + ".html")) << i;
  EXPECT_EQ(count(bounds(), "links-per-page"), 40);
  EXPECT_NE(r.out.find("bounds tripped (links-per-page 40)"), std::string::npos) << r.out;
}

// A sitemap listing 200 URLs with --max-sitemap-urls 50: 50 taken (the
// first), 150 counted.
TEST_P(BoundsTest, SitemapUrlsAreCappedPerSitemap) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 300;
  o.links_per_page = 0;
  TestServer server(o);
  const std::string root = server.root_url(0);
  std::string entries;
  for (int i = 0; i < 200; ++i) entries += "<url><loc>" + root + "page/" + std::to_string(i) + ".html</loc></url>\n";
  Response sitemap;
  sitemap.body = "<?xml version=\"1.0\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n" +
                 entries + "</urlset>\n";
  sitemap.content_type = "application/xml";
  server.set_response(0, "/map.xml", sitemap);
  Response robots;
  robots.body = "User-agent: *\nAllow: /\nSitemap: " + root + "map.xml\n";
  robots.content_type = "text/plain";
  server.set_response(0, "/robots.txt", robots);
  const auto r = crawl({root + "links?n=0"}, {"--sitemaps", "--max-sitemap-urls", "50", "--max-depth", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto targets = page_targets(server.stats(0));
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(targets.contains("/page/" + std::to_string(i) + ".html")) << i;
  for (int i = 50; i < 200; ++i) EXPECT_FALSE(targets.contains("/page/" + std::to_string(i) + ".html")) << i;
  EXPECT_EQ(count(bounds(), "sitemap-urls"), 150);
}

// --max-urls-per-host 5: the host's first 5 new URLs are queued, the rest
// of its 50 links counted; another host's URLs are not affected.
TEST_P(BoundsTest, UrlsPerHostCapsOneHostOnly) {
  SiteOptions o;
  o.hosts = 2;
  o.pages_per_host = 100;
  o.links_per_page = 0;
  TestServer server(o);
  const auto r = crawl({server.root_url(0) + "links?n=50", server.root_url(1) + "links?n=3"},
                       {"--max-urls-per-host", "5", "--max-depth", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(page_targets(server.stats(0)).size(), 1u + 5u);  // the seed and 5 pages
  EXPECT_EQ(page_targets(server.stats(1)).size(), 1u + 3u);
  EXPECT_EQ(count(bounds(), "urls-per-host"), 45);
}

// Trap shapes: a URL longer than --max-url-length, a path deeper than
// --max-path-depth, a segment repeated past --max-path-repeats. None is
// requested; each is counted under its bound; an ordinary link is followed.
TEST_P(BoundsTest, TrapShapedLinksAreNotFollowed) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 5;
  o.links_per_page = 0;
  TestServer server(o);
  const std::string root = server.root_url(0);
  std::string deep;
  for (int i = 0; i < 25; ++i) deep += "/d" + std::to_string(i);
  Response page;
  page.body = "<html><body>"
              "<a href=\"/long?" + std::string(3000, 'x') + "\">long</a>"
              "<a href=\"" + deep + "/x.html\">deep</a>"
              "<a href=\"/cal/2026/cal/2026/cal/2026/x.html\">repeats</a>"
              "<a href=\"/a/a/a/x.html\">repeats</a>"
              "<a href=\"/a/a/x.html\">twice is fine</a>"
              "<a href=\"/page/1.html\">ordinary</a>"
              "</body></html>";
  server.set_response(0, "/trap", page);
  const auto r = crawl({root + "trap"}, {"--max-depth", "1"});
  ASSERT_EQ(r.code, 8) << r.err;  // /a/a/x.html is a 404: a server error response, as wget says
  const auto targets = page_targets(server.stats(0));
  EXPECT_EQ(targets, (std::set<std::string>{"/trap", "/a/a/x.html", "/page/1.html"}));
  const auto b = bounds();
  EXPECT_EQ(count(b, "url-length"), 1);
  EXPECT_EQ(count(b, "path-depth"), 1);
  EXPECT_EQ(count(b, "path-repeats"), 2);
  EXPECT_NE(r.out.find("bounds tripped (path-depth 1, path-repeats 2, url-length 1)"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Modes, BoundsTest, ::testing::Values("threads", "fibers"));

}  // namespace
}  // namespace crawl

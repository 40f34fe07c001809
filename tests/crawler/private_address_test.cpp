// The private-address guard end to end (fetch/address_guard.h): the real
// crawl binary in both fetch modes against the test web server. Names are
// pointed at the server's loopback addresses with --resolve, so a link to
// another name that resolves to loopback plays the part of a link to a
// cloud metadata service; nothing here leaves 127.0.0.0/8.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

using testing::query;
using testing::TempDir;
using testserver::Response;
using testserver::SiteOptions;
using testserver::TestServer;

Response html(const std::string& body) {
  Response r;
  r.body = "<!doctype html><html><body>" + body + "</body></html>";
  return r;
}

// "PORT" of "http://127.0.1.1:PORT/".
std::string port_of(const std::string& root) {
  const auto colon = root.rfind(':');
  return root.substr(colon + 1, root.size() - colon - 2);
}

class PrivateAddressTest : public ::testing::TestWithParam<const char*> {
 protected:
  static SiteOptions site(int hosts) {
    SiteOptions o;
    o.hosts = hosts;
    o.pages_per_host = 2;
    o.cross_links = 0;
    o.links_per_page = 0;
    return o;
  }
  testing::RunResult crawl(const std::string& seed, std::vector<std::string> args) const {
    testing::write_file(dir_ / "urls.txt", seed + "\n");
    args.insert(args.begin(), (dir_ / "urls.txt").string());
    args.insert(args.end(), {"--out", db(), "--quiet", "--mode", GetParam(), "--scope", "any", "--max-depth", "1"});
    return testing::run_crawl(args, dir_.path());
  }
  std::string db() const { return (dir_ / "c.db").string(); }
  TempDir dir_;
};

// site.test is the seed (allowed whatever it resolves to); meta.test is only
// linked to, resolves to loopback, and is refused: directly, and as the
// target of a redirect from the seed's host. No request reaches the server
// for it; the refusals are skips, counted by reason in the summary.
TEST_P(PrivateAddressTest, ANameThatIsNotASeedHostResolvingToLoopbackIsRefusedAndRecordedAsASkip) {
  TestServer server(site(1));
  const std::string port = port_of(server.root_url(0));
  const std::string meta = "http://meta.test:" + port;
  server.set_response(0, "/",
                      html("<a href=\"" + meta + "/secret\">s</a> <a href=\"/redirect-to?url=http%3A%2F%2Fmeta.test%3A" +
                           port + "%2Fsecret2\">r</a>"));
  server.set_response(0, "/secret", html("secret"));
  server.set_response(0, "/secret2", html("secret"));
  const std::vector<std::string> resolve{"--resolve", "site.test:" + port + ":127.0.1.1", "--resolve",
                                         "meta.test:" + port + ":127.0.1.1"};

  auto r = crawl("http://site.test:" + port + "/", resolve);
  ASSERT_EQ(r.code, 0) << "a skip is not an error\n" << r.out << r.err;
  auto stats = server.stats(0);
  EXPECT_EQ(stats.requests_by_target.count("/secret"), 0u);
  EXPECT_EQ(stats.requests_by_target.count("/secret2"), 0u);
  EXPECT_EQ(stats.requests_by_target["/"], 1);
  EXPECT_EQ(stats.requests_by_target["/robots.txt"], 1) << "the seed host's only: meta.test's is refused too";
  const std::string redirect = "http://site.test:" + port + "/redirect-to?url=http%3A%2F%2Fmeta.test%3A" + port + "%2Fsecret2";
  EXPECT_EQ(stats.requests_by_target.count(redirect.substr(redirect.find("/redirect-to"))), 1u);
  const std::string why = "private_address: refused to connect to 127.0.1.1 (loopback); --allow-private allows it";
  EXPECT_EQ(query(db(), "SELECT status, error FROM pages WHERE url = '" + meta + "/secret'"),
            (std::vector<std::vector<std::string>>{{"<null>", why}}));
  // The redirect is a response of the seed's host; its target is a request
  // of its own (each hop is), refused like any other.
  EXPECT_EQ(query(db(), "SELECT status FROM pages WHERE url = '" + redirect + "'"),
            (std::vector<std::vector<std::string>>{{"302"}}));
  EXPECT_EQ(query(db(), "SELECT status, error, referrer FROM pages WHERE url = '" + meta + "/secret2'"),
            (std::vector<std::vector<std::string>>{{"<null>", why, redirect}}));
  EXPECT_NE(r.out.find("crawl: 2 skipped (private_address 2;"), std::string::npos) << r.out;

  // --allow-private: the same crawl fetches both.
  TempDir again;
  testing::write_file(again / "urls.txt", "http://site.test:" + port + "/\n");
  std::vector<std::string> args{(again / "urls.txt").string(), "--out", (again / "c.db").string(), "--quiet",
                                "--mode", GetParam(), "--scope", "any", "--max-depth", "1", "--allow-private"};
  args.insert(args.end(), resolve.begin(), resolve.end());
  server.reset_stats();
  auto allowed = testing::run_crawl(args, again.path());
  ASSERT_EQ(allowed.code, 0) << allowed.out << allowed.err;
  stats = server.stats(0);
  EXPECT_EQ(stats.requests_by_target["/secret"], 1);
  EXPECT_EQ(stats.requests_by_target["/secret2"], 1);
  EXPECT_EQ(query(again / "c.db", "SELECT status FROM pages WHERE url = '" + meta + "/secret'"),
            (std::vector<std::vector<std::string>>{{"200"}}));
}

// A seed given as an IP literal allows its whole range: seed 127.0.1.1, a
// link to 127.0.1.2 (loopback too) is fetched.
TEST_P(PrivateAddressTest, ASeedIpLiteralAllowsItsRange) {
  TestServer server(site(2));
  server.set_response(0, "/", html("<a href=\"" + server.root_url(1) + "other\">o</a>"));
  server.set_response(1, "/other", html("other"));
  auto r = crawl(server.root_url(0), {});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(server.stats(1).requests_by_target["/other"], 1);
  EXPECT_EQ(query(db(), "SELECT status FROM pages WHERE url = '" + server.root_url(1) + "other'"),
            (std::vector<std::vector<std::string>>{{"200"}}));
}

std::string mode_name(const ::testing::TestParamInfo<const char*>& info) { return info.param; }
INSTANTIATE_TEST_SUITE_P(Modes, PrivateAddressTest, ::testing::Values("threads", "fibers"), mode_name);

}  // namespace
}  // namespace crawl

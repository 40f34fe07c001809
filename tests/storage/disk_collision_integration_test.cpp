// --store disk through the real binary: a site whose URLs the wget layout
// writes alike (an escaped '?' and a query, "dir/" and "dir/index.html",
// case variants, a page and a directory of one name, encoding variants of a
// query) ends with every page on disk, each in its own file, the index
// naming which.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testserver::Response;
using testserver::SiteOptions;
using testserver::TestServer;

// Request-targets that collide in the wget layout, in pairs and more.
const std::vector<std::string> kTargets = {
    "/q?a=1",  "/q%3Fa=1",                       // an escaped '?' and a query
    "/dir/",   "/dir/index.html",                // a directory and its index.html
    "/Case",   "/case",   "/CASE",               // letter case
    "/a",      "/a/b",    "/a/",                 // a file and a directory of one name
    "/s?p=/x", "/s?p=%2Fx",                      // encodings of one query
};

std::string body_of(const std::string& target) { return "<html><p>page " + target + "</p></html>"; }

class DiskCollisionTest : public ::testing::TestWithParam<const char*> {};

TEST_P(DiskCollisionTest, EveryPageIsOnDiskInAFileOfItsOwn) {
  SiteOptions options;
  options.hosts = 1;
  options.pages_per_host = 1;
  TestServer server(options);
  std::string links;
  for (const auto& target : kTargets) links += "<a href=\"" + target + "\">x</a>";
  Response root;
  root.body = "<!doctype html><html><body>" + links + "</body></html>";
  server.set_response(0, "/", root);
  for (const auto& target : kTargets) {
    Response r;
    r.body = body_of(target);
    server.set_response(0, target, r);
  }

  TempDir dir;
  const fs::path out = dir / "site";
  testing::write_file(dir / "urls.txt", server.root_url(0) + "\n");
  const auto r = testing::run_crawl({(dir / "urls.txt").string(), "--store", "disk", "--out", out.string(),
                                     "--mode", GetParam(), "--quiet"},
                                    dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& target : kTargets) {
    EXPECT_EQ(server.stats(0).requests_by_target[target], 1) << target << "\n" << r.err;
  }

  // Every URL's index line names a file with exactly its body, and no two
  // name the same file.
  const std::string root_url = server.root_url(0);
  const std::string origin = root_url.substr(0, root_url.size() - 1);
  std::map<std::string, std::string> saved;  // target → file
  for (std::ifstream in(out / ".crawl/index.tsv"); ;) {
    std::string line;
    if (!std::getline(in, line)) break;
    const auto f = testing::split_tabs(line);
    ASSERT_EQ(f.size(), 6u) << line;
    if (f[2].rfind(origin, 0) != 0 || f[4] == "-") continue;
    saved[f[2].substr(origin.size())] = f[4];
  }
  std::set<fs::path> files;
  for (const auto& target : kTargets) {
    SCOPED_TRACE(target);
    ASSERT_TRUE(saved.count(target)) << "no file for it in the index";
    fs::path file = out / saved[target];
    while (fs::is_directory(file)) file /= "index.html";  // a page moved below a directory
    EXPECT_EQ(testing::read_file(file), body_of(target)) << saved[target];
    EXPECT_TRUE(files.insert(file).second) << "two pages in " << file;
  }
  // And nothing else but the root page and the .crawl metadata.
  std::size_t pages_on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    const auto rel = e.path().lexically_relative(out);
    if (e.is_regular_file() && *rel.begin() != ".crawl") ++pages_on_disk;
  }
  EXPECT_EQ(pages_on_disk, kTargets.size() + 1);
}

INSTANTIATE_TEST_SUITE_P(Modes, DiskCollisionTest, ::testing::Values("threads", "fibers"));

}  // namespace
}  // namespace crawl

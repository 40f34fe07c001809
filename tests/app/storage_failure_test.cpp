// End-to-end: the real crawl binary writing onto a small filesystem that
// fills up. The crawl must stop early, say which file failed and why, exit 3
// (issue #9, item 4), and leave what it stored intact.
//
// The small filesystem is a 16 MB tmpfs mounted by the test when mount(8)
// works (root, as here and in CI); otherwise the child runs with
// RLIMIT_FSIZE = 16 MB (writes past it fail with EFBIG). The test prints
// which one it used. 16 MB: room for more than one SQLite transaction
// (at most 4 MiB of items each, about twice that in the WAL), so the
// first ones are committed before the disk fills however fast the crawl.
#include <signal.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testserver::SiteOptions;
using testserver::TestServer;

constexpr std::size_t kPageSize = 16 * 1024;
constexpr std::uint64_t kLimitBytes = 16 * 1024 * 1024;

// A directory that holds about 16 MB (room for the first transactions of
// 16 KiB bodies, each on three 8 KiB pages, in the WAL and the database):
// a tmpfs mounted on it, or (fallback) a plain directory with the
// file-size limit applied to the child crawl.
class SmallFilesystem {
 public:
  SmallFilesystem() : dir_(tmp_.path() / "small") {
    fs::create_directories(dir_);
    const std::string cmd = "mount -t tmpfs -o size=" + std::to_string(kLimitBytes) + " tmpfs '" +
                            dir_.string() + "' 2>/dev/null";
    mounted_ = std::system(cmd.c_str()) == 0;
    std::cout << "[ small fs ] " << (mounted_ ? "16 MB tmpfs at " + dir_.string()
                                               : "RLIMIT_FSIZE 16 MB on the child (mount failed)")
              << std::endl;
  }
  ~SmallFilesystem() {
    if (mounted_) std::system(("umount '" + dir_.string() + "'").c_str());
  }
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  const fs::path& dir() const { return dir_; }
  const fs::path& work() const { return tmp_.path(); }
  // The OS error text a write past the limit gets.
  std::string full_text() const { return mounted_ ? "No space left on device" : "File too large"; }

  // Runs crawl with `args`; under the fallback, with the file-size limit.
  testing::RunResult run(const std::vector<std::string>& args) const {
    if (mounted_) return testing::run_crawl(args, work());
    // Inherited across posix_spawn/exec: set around the spawn only. SIGXFSZ
    // ignored, so a write past the limit fails with EFBIG instead of killing.
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    const rlimit small{kLimitBytes, old.rlim_max};
    const auto old_handler = signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &small);
    testing::CrawlProcess child(args, work());
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    const int code = child.wait();
    return {code, child.out(), child.err()};
  }

 private:
  TempDir tmp_;
  fs::path dir_;
  bool mounted_ = false;
};

SiteOptions big_site() {
  SiteOptions o;
  o.hosts = 4;
  o.pages_per_host = 1600;  // 25 MB a host: the 16 MB filesystem fills well before half of it
  o.page_size = kPageSize;
  o.threads = 2;
  return o;
}

std::string seed_file(const fs::path& dir, const std::vector<std::string>& urls) {
  std::string text;
  for (const auto& u : urls) text += u + "\n";
  testing::write_file(dir / "urls.txt", text);
  return (dir / "urls.txt").string();
}


using testing::split_tabs;

// The crawler's side of the contract: "crawl: storage failed: WHERE: MESSAGE"
// on stderr and exit code 3. Until the crawler stops on failed(), this test
// fails on the exit code and the request count.
TEST(StorageFailure, FullDiskStopsASqliteCrawlWithExit3AndKeepsWhatWasStored) {
  TestServer server(big_site());
  SmallFilesystem small;
  const fs::path db = small.dir() / "crawl.db";
  const auto r = small.run({seed_file(small.work(), server.root_urls()), "--store", "sqlite",
                            "--out", db.string(), "--max-depth", "100", "--concurrency", "8",
                            "--quiet"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("crawl: storage failed: " + db.string() + ": "), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.find("database or disk is full") != std::string::npos ||
              r.err.find(small.full_text()) != std::string::npos)
      << r.err;
  const std::uint64_t site = server.site_urls().size();
  EXPECT_LT(server.total_requests(), site / 2) << "the crawl should stop soon after the failure";
  // What was stored is intact.
  const auto stored = testing::query(db, "SELECT count(*) FROM pages WHERE url LIKE '%/page/%'");
  EXPECT_GT(std::stoi(stored.at(0).at(0)), 0);
  const auto bad = testing::query(db, "SELECT url, length(body) FROM pages WHERE url LIKE '%/page/%' "
                                      "AND (status != 200 OR length(body) != " +
                                          std::to_string(kPageSize) + ")");
  EXPECT_TRUE(bad.empty()) << bad.size() << " pages with a wrong body, e.g. " << bad.at(0).at(0);
}

TEST(StorageFailure, FullDiskStopsADiskCrawlWithExit3AndTearsNothing) {
  TestServer server(big_site());
  SmallFilesystem small;
  const fs::path out = small.dir() / "site";
  const auto r = small.run({seed_file(small.work(), server.root_urls()), "--store", "disk",
                            "--out", out.string(), "--max-depth", "100", "--concurrency", "8",
                            "--quiet"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("crawl: storage failed: " + out.string() + "/"), std::string::npos) << r.err;
  // The files or the crawl state (OUT/.crawl/state.db, SQLite's words) fill the disk first.
  EXPECT_TRUE(r.err.find(small.full_text()) != std::string::npos ||
              r.err.find("database or disk is full") != std::string::npos)
      << r.err;
  const std::uint64_t site = server.site_urls().size();
  EXPECT_LT(server.total_requests(), site / 2) << "the crawl should stop soon after the failure";
  // Every index line whole; every file it names complete.
  const std::string index = testing::read_file(out / ".crawl/index.tsv");
  ASSERT_FALSE(index.empty());
  EXPECT_EQ(index.back(), '\n');
  std::size_t lines = 0, files = 0;
  std::size_t start = 0;
  while (start < index.size()) {
    const std::size_t end = index.find('\n', start);
    const auto f = split_tabs(index.substr(start, end - start));
    start = end + 1;
    ++lines;
    ASSERT_EQ(f.size(), 6u) << index.substr(start, 200);
    if (f[4] == "-" || f[2].find("/page/") == std::string::npos) continue;
    ++files;
    EXPECT_EQ(fs::file_size(out / f[4]), kPageSize) << f[4];
  }
  EXPECT_GT(files, 0u);
  std::cout << "[ stored   ] " << files << " page files, " << lines << " index lines" << std::endl;
}

}  // namespace
}  // namespace crawl

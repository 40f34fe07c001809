// The URL list through the real binary, given what is not a URL list:
// /dev/zero, a binary (the crawl binary itself), binary bytes without NULs,
// an endless line through a pipe. Each ends in bounded time and memory (the
// child's peak RSS, from wait4, is printed and bounded) with a clear message
// whose bytes are escaped.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/child_process.h"
#include "crawler/seeds.h"
#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::TempDir;
using testserver::SiteOptions;
using testserver::TestServer;

// Far below what reading the inputs whole would take (they are 1 GiB or
// endless), far above the crawl's own footprint, sanitizers included.
constexpr long kMaxRssKib = 256 * 1024;

struct Ended {
  bool in_time = false;
  int code = -1;
  long max_rss_kib = 0;
  double wall_s = 0;
  std::string err;
};

// Runs crawl with `args`; kills it if it is still running after `limit`.
Ended run_bounded(const std::vector<std::string>& args, const fs::path& dir, std::chrono::seconds limit) {
  ChildOptions o;
  o.argv = {CRAWL_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.out = ChildStream::file(dir / "stdout.txt");
  o.err = ChildStream::file(dir / "stderr.txt");
  ChildProcess child(o);
  ExitWatch watch(child.pid());
  Ended e;
  e.in_time = watch.wait_until(std::chrono::steady_clock::now() + limit);
  if (!e.in_time) child.signal(SIGKILL);
  const ChildExit exit = child.wait();
  e.code = exit.exit_code;
  e.max_rss_kib = exit.max_rss_kib;
  e.wall_s = exit.wall_s;
  e.err = testing::read_file(dir / "stderr.txt");
  std::printf("[ figures  ] %s: exit %d in %.2f s, peak RSS %ld KiB\n", args.front().c_str(), e.code, e.wall_s,
              e.max_rss_kib);
  return e;
}

// No byte a terminal would act on: controls other than the line feed, DEL.
void expect_printable(const std::string& text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7F) {
      ADD_FAILURE() << "raw control byte " << static_cast<int>(u) << " in: " << text.substr(0, 2000);
      return;
    }
  }
}

TEST(SeedListIntegration, DevZeroEndsAtOnceWithAClearError) {
  TempDir dir;
  const auto e = run_bounded({"/dev/zero", "--out", (dir / "c.db").string()}, dir.path(), 60s);
  ASSERT_TRUE(e.in_time) << "still reading /dev/zero after 60 s";
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_NE(e.err.find("crawl: /dev/zero:1: NUL byte: a binary file (or UTF-16 text), not a URL list"),
            std::string::npos)
      << e.err;
  EXPECT_LT(e.max_rss_kib, kMaxRssKib);
}

TEST(SeedListIntegration, ABinaryIsRefusedNamingTheLine) {
  TempDir dir;
  const auto e = run_bounded({CRAWL_BIN, "--out", (dir / "c.db").string()}, dir.path(), 60s);
  ASSERT_TRUE(e.in_time);
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_NE(e.err.find(":1: NUL byte"), std::string::npos) << e.err;  // "\x7FELF\x02\x01\x01\0"
  expect_printable(e.err);
  EXPECT_LT(e.max_rss_kib, kMaxRssKib);
}

// Binary bytes without a NUL are lines of garbage: each is warned with its
// bytes escaped (the first kMaxSeedWarnings, then a count), and the one
// good line is crawled.
TEST(SeedListIntegration, BinaryBytesWithoutNulAreWarnedEscapedAndTheGoodLineCrawled) {
  SiteOptions options;
  options.hosts = 1;
  options.pages_per_host = 1;
  TestServer server(options);
  TempDir dir;
  std::mt19937 random(12);
  std::string text = "\x1b]0;title\x07\x1b[2J\xC2\x9B" "31m\n";  // terminal escapes, first
  for (int i = 0; i < 4 << 20; ++i) text += static_cast<char>(1 + random() % 255);
  text += '\n';
  text += server.root_url(0) + '\n';
  testing::write_file(dir / "urls.bin", text);
  const auto e = run_bounded({(dir / "urls.bin").string(), "--out", (dir / "c.db").string(), "--max-depth", "0"},
                             dir.path(), 120s);
  ASSERT_TRUE(e.in_time);
  EXPECT_EQ(e.code, 0) << e.err.substr(0, 3000);
  EXPECT_EQ(server.stats(0).requests_by_target["/"], 1);
  expect_printable(e.err);
  EXPECT_NE(e.err.find("more lines skipped"), std::string::npos) << e.err.substr(0, 3000);
  EXPECT_NE(e.err.find("\\x1B]0;title\\x07\\x1B[2J"), std::string::npos) << e.err.substr(0, 3000);
  EXPECT_EQ(e.err.find("\xC2\x9B"), std::string::npos) << "a C1 control (CSI) left raw";
  EXPECT_LT(e.max_rss_kib, kMaxRssKib);
}

// A 1 GiB line through a pipe is skipped, not held: the crawl's peak RSS
// stays far below it, and the next line is crawled.
TEST(SeedListIntegration, AGigabyteLineThroughAPipeIsSkippedWithoutBeingHeld) {
  SiteOptions options;
  options.hosts = 1;
  options.pages_per_host = 1;
  TestServer server(options);
  TempDir dir;
  const fs::path fifo = dir / "urls.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::signal(SIGPIPE, SIG_IGN);  // the crawl may be gone before the writer is done
  constexpr std::size_t kLine = std::size_t{1} << 30;
  std::atomic<bool> stop = false;
  std::thread writer([&] {
    int fd = -1;
    while (!stop && (fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)) < 0) std::this_thread::sleep_for(10ms);
    if (fd < 0) return;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const std::string chunk(1 << 20, 'a');
    bool ok = true;
    for (std::size_t done = 0; ok && done < kLine; done += chunk.size()) {
      ok = ::write(fd, chunk.data(), chunk.size()) == static_cast<ssize_t>(chunk.size());
    }
    const std::string rest = '\n' + server.root_url(0) + '\n';
    if (ok) ok = ::write(fd, rest.data(), rest.size()) == static_cast<ssize_t>(rest.size());
    ::close(fd);
  });
  const auto e = run_bounded({fifo.string(), "--out", (dir / "c.db").string(), "--max-depth", "0"}, dir.path(),
                             180s);
  stop = true;
  writer.join();
  ASSERT_TRUE(e.in_time);
  EXPECT_EQ(e.code, 0) << e.err;
  EXPECT_NE(e.err.find(":1: line of 1073741824 bytes, longer than 8332"), std::string::npos) << e.err;
  EXPECT_EQ(server.stats(0).requests_by_target["/"], 1);
  EXPECT_LT(e.max_rss_kib, kMaxRssKib);
}

}  // namespace
}  // namespace crawl

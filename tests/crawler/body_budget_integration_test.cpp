// Bodies that never stop, end to end (issue 12): the real crawl binary in
// both fetch modes against the test web server. A compression bomb of each
// encoding this libcurl accepts is cut at --max-size while it is decoded and
// becomes one too_large record; an endless chunked body is cut there too; and
// 512 transfers each receiving an endless body keep peak RSS under
// --max-body-memory plus a stated overhead. Nothing leaves 127.0.0.0/8.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "app/run_stats.h"
#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

using testing::query;
using testing::TempDir;
using testserver::SiteOptions;
using testserver::TestServer;

class BodyBudgetTest : public ::testing::TestWithParam<const char*> {
 protected:
  static SiteOptions site() {
    SiteOptions o;
    o.hosts = 1;
    o.pages_per_host = 1;
    o.cross_links = 0;
    o.links_per_page = 0;
    o.threads = 2;
    return o;
  }
  testing::RunResult crawl(const std::vector<std::string>& urls, std::vector<std::string> args) const {
    std::string seeds;
    for (const auto& u : urls) seeds += u + "\n";
    testing::write_file(dir_ / "urls.txt", seeds);
    args.insert(args.begin(), (dir_ / "urls.txt").string());
    args.insert(args.end(), {"--out", db(), "--quiet", "--mode", GetParam(), "--allow-private", "--ignore-robots",
                             "--max-depth", "0", "--stats-json", stats_path()});
    return testing::run_crawl(args, dir_.path());
  }
  std::string db() const { return (dir_ / "c.db").string(); }
  std::string stats_path() const { return (dir_ / "stats.json").string(); }
  RunStats stats() const { return run_stats_from_json(testing::read_file(dir_ / "stats.json")); }
  TempDir dir_;
};

// Each bomb decodes to 64 MiB of zeros; --max-size 1M stops it at 1 MiB of
// decoded bytes, as curl hands them over, so neither memory nor time grows
// with the decoded size. The next page is still fetched.
TEST_P(BodyBudgetTest, ACompressionBombOfEachEncodingIsCutAtMaxSizeWhileDecoding) {
  TestServer server(site());
  const std::string root = server.root_url(0);
  const auto encodings = testing::accepted_encodings();
  ASSERT_FALSE(encodings.empty());
  std::vector<std::string> urls;
  for (const auto& e : encodings) urls.push_back(root + e + "-bomb?bytes=67108864");
  urls.push_back(root);
  const auto r = crawl(urls, {"--max-size", "1M"});
  EXPECT_EQ(r.code, 4) << r.out << r.err;  // 4: some fetches failed (README, Exit codes)
  for (const auto& e : encodings) {
    SCOPED_TRACE(e);
    EXPECT_EQ(query(db(), "SELECT status, error FROM pages WHERE url = '" + root + e + "-bomb?bytes=67108864'"),
              (std::vector<std::vector<std::string>>{
                  {"<null>", "too_large: body larger than --max-size 1048576 bytes"}}));
  }
  EXPECT_EQ(query(db(), "SELECT status, error FROM pages WHERE url = '" + root + "'"),
            (std::vector<std::vector<std::string>>{{"200", "<null>"}}));
  const auto s = stats();
  EXPECT_EQ(s.errors_by_kind.at("too_large"), static_cast<std::int64_t>(encodings.size()));
  std::cout << GetParam() << ": " << encodings.size() << " bombs of 64 MiB, peak RSS "
            << s.peak_rss_bytes / (1 << 20) << " MiB\n";
}

// 512 transfers at once, each receiving a chunked body that never ends:
// each is cut at --max-size 4M (2 GiB in all), and with --max-body-memory
// 64M what does not fit goes to temporary files, so peak RSS stays under
// the budget plus the process's own overhead (curl buffers, 512 connections,
// the binary, and in fibers mode callback_threads x --max-size read back).
TEST_P(BodyBudgetTest, FiveHundredTwelveEndlessBodiesStayUnderTheMemoryBudget) {
  TestServer server(site());
  const std::string root = server.root_url(0);
  constexpr int kTransfers = 512;
  // Under the sanitizers each body is cut at 1 MiB instead of 4 (512 MiB in
  // all, still 8 x the budget) and transfers get ten minutes: 2 GiB through
  // an instrumented binary beside other tests ran into --timeout 60 in CI.
  const std::string max_size = testing::kSanitizedBuild ? "1M" : "4M";
  const std::string max_size_bytes = testing::kSanitizedBuild ? "1048576" : "4194304";
  std::vector<std::string> urls;
  // All 512 held until all arrived: the bodies then grow side by side,
  // whatever the pace of connects (a loaded machine connected a few at a
  // time, each streamed to its cut before the next began: nothing spilled).
  for (int i = 0; i < kTransfers; ++i)
    urls.push_back(root + "endless?n=" + std::to_string(i) + "&together=" + std::to_string(kTransfers));
  // The connect timeout too: under TSan in CI, 512 instrumented threads
  // beside another test took over 10 s (the default) to connect some
  // transfers (to be scheduled at all); five in a row gave the host up.
  const char* timeout = testing::kSanitizedBuild ? "600" : "60";
  const auto r = crawl(urls, {"--concurrency", "512", "--per-host", "512", "--max-size", max_size, "--max-body-memory",
                              "64M", "--timeout", timeout, "--connect-timeout", timeout});
  EXPECT_EQ(r.code, 4) << r.out << r.err;  // 4: some fetches failed (README, Exit codes)
  EXPECT_EQ(query(db(), "SELECT error, count(*) FROM pages GROUP BY error"),
            (std::vector<std::vector<std::string>>{
                {"too_large: body larger than --max-size " + max_size_bytes + " bytes", std::to_string(kTransfers)}}))
      << r.err.substr(r.err.size() - std::min<std::size_t>(r.err.size(), 2000));
  const auto s = stats();
  EXPECT_EQ(s.errors_by_kind.at("too_large"), kTransfers);
  // Most bodies outgrew what was left of the budget: they were spilled, and
  // said so. Under the sanitizers how many bodies are large at once depends
  // on the instrumented threads' pace (TSan, threads mode: 0 to 55 of 512
  // spilled across runs), so only the Release build counts them.
  if (!testing::kSanitizedBuild) {
    EXPECT_GT(s.spilled_bodies, kTransfers / 2);
  }
  if (s.spilled_bodies > 0) {
    EXPECT_NE(r.out.find(std::to_string(s.spilled_bodies) + (s.spilled_bodies == 1 ? " body spilled" : " bodies spilled") +
                           " to temporary files"), std::string::npos)
        << r.out;
  }
  constexpr std::int64_t kBudget = 64ll << 20;
  constexpr std::int64_t kOverhead = 96ll << 20;
  std::cout << GetParam() << ": " << kTransfers << " endless bodies cut at " << max_size
            << " (--max-body-memory 64M), peak RSS " << s.peak_rss_bytes / (1 << 20) << " MiB, spilled bodies "
            << s.spilled_bodies << "\n";
  if (!testing::kSanitizedBuild) {
    EXPECT_LT(s.peak_rss_bytes, kBudget + kOverhead) << "budget 64 MiB + overhead 96 MiB";
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, BodyBudgetTest, ::testing::Values("threads", "fibers"));

}  // namespace
}  // namespace crawl

// The crawl binary's user-facing behaviour for bad input: exit codes and
// messages.
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace crawl {
namespace {

using testing::run_crawl;
using testing::TempDir;
using testing::write_file;

TEST(Cli, UsageErrorsExitWith2AndNameTheFlag) {
  TempDir dir;
  write_file(dir / "u.txt", "http://127.0.0.1:1/\n");
  auto r = run_crawl({(dir / "u.txt").string(), "--per-host", "-3"}, dir.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--per-host"), std::string::npos) << r.err;
}

TEST(Cli, MissingUrlFileExitsWith2) {
  TempDir dir;
  auto r = run_crawl({(dir / "nope.txt").string()}, dir.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("nope.txt"), std::string::npos) << r.err;
}

TEST(Cli, ListWithoutValidUrlExitsWith2AndWarnsPerLine) {
  TempDir dir;
  write_file(dir / "u.txt", "# nothing good\nftp://x/\nnot a url\n");
  auto r = run_crawl({(dir / "u.txt").string(), "--out", (dir / "x.db").string()}, dir.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("u.txt:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("u.txt:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no valid URL"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.db"));
}

TEST(Cli, BadConfigFileExitsWith2NamingTheKey) {
  TempDir dir;
  write_file(dir / "u.txt", "http://127.0.0.1:1/\n");
  write_file(dir / "c.toml", "concurency = 3\n");
  auto r = run_crawl({(dir / "u.txt").string(), "--config", (dir / "c.toml").string()}, dir.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("concurency"), std::string::npos) << r.err;
}

TEST(Cli, UnwritableOutputExitsWith3) {
  TempDir dir;
  write_file(dir / "u.txt", "http://127.0.0.1:1/\n");
  auto r = run_crawl({(dir / "u.txt").string(), "--out", (dir / "no" / "such" / "dir" / "x.db").string()},
                     dir.path());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("x.db"), std::string::npos) << r.err;
}

TEST(Cli, HelpShowsDefaults) {
  TempDir dir;
  auto r = run_crawl({"--help"}, dir.path());
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--per-host"), std::string::npos);
  EXPECT_NE(r.out.find("crawl.db"), std::string::npos);
}

TEST(Cli, BadLinesAreSkippedWithFileAndLine) {
  TempDir dir;
  write_file(dir / "u.txt", "http://127.0.0.1:1/a\nhttp://127.0.0.1:1/b notanumber\n");
  auto r = run_crawl({(dir / "u.txt").string(), "--out", (dir / "x.db").string()}, dir.path());
  EXPECT_EQ(r.code, 4);  // the one valid URL was tried and failed to connect
  EXPECT_NE(r.err.find("u.txt:2"), std::string::npos) << r.err;
  EXPECT_EQ(testing::query(dir / "x.db", "SELECT count(*) FROM pages")[0][0], "1");
}

TEST(Cli, HelpNamesTheSubcommands) {
  TempDir dir;
  auto r = run_crawl({"--help"}, dir.path());
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("crawl bench"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("crawl runs"), std::string::npos) << r.out;
}

TEST(Cli, SubcommandsAreRecognisedOnlyAsTheFirstArgument) {
  TempDir dir;
  // A URL list that happens to be named "bench" is still a URL list when
  // written as a path, and "bench" later on the line is just a value.
  write_file(dir / "bench", "http://127.0.0.1:1/\n");
  auto r = run_crawl({(dir / "bench").string(), "--store", "none", "--user-agent", "bench"}, dir.path());
  EXPECT_EQ(r.code, 4) << r.err;  // crawled (and failed to connect), not benchmarked
  EXPECT_EQ(r.out.find("strategy"), std::string::npos) << r.out;
}

TEST(Cli, StatsJsonIsWrittenEvenWhenEveryFetchFails) {
  TempDir dir;
  write_file(dir / "u.txt", "http://127.0.0.1:1/\n");
  auto r = run_crawl({(dir / "u.txt").string(), "--store", "none", "--ignore-robots", "--stats-json",
                      (dir / "s.json").string()},
                     dir.path());
  EXPECT_EQ(r.code, 4) << r.err;
  const std::string json = testing::read_file(dir / "s.json");
  EXPECT_NE(json.find("\"errors\": 1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"p50\": null"), std::string::npos) << json;  // no successful fetch: no latency
  EXPECT_NE(json.find("\"connect\": 1"), std::string::npos) << json;
}

}  // namespace
}  // namespace crawl

// The seed list format (crawler/seeds.h), one test per rule.
#include "crawler/seeds.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace crawl {
namespace {

std::vector<std::string> urls(const SeedList& list) {
  std::vector<std::string> out;
  for (const Seed& seed : list.seeds) out.push_back(seed.url);
  return out;
}

TEST(ParseSeedList, OneUrlPerLineNormalizedWithLineNumbers) {
  const SeedList list = parse_seed_list("HTTP://127.0.0.1:80/a\nhttps://Example.com\n", "s.txt");
  ASSERT_EQ(list.seeds.size(), 2u);
  EXPECT_EQ(list.seeds[0].url, "http://127.0.0.1/a");
  EXPECT_EQ(list.seeds[0].line, 1);
  EXPECT_EQ(list.seeds[0].priority, 0);
  EXPECT_EQ(list.seeds[1].url, "https://example.com/");
  EXPECT_EQ(list.seeds[1].line, 2);
  EXPECT_TRUE(list.warnings.empty());
}

TEST(ParseSeedList, CommentsAndBlankLinesAreIgnored) {
  const SeedList list = parse_seed_list(
      "# seeds\n\n   \n\t# indented comment\nhttp://h/a\n#http://h/commented\n  http://h/b  \n",
      "s.txt");
  EXPECT_EQ(urls(list), (std::vector<std::string>{"http://h/a", "http://h/b"}));
  EXPECT_EQ(list.seeds[1].line, 7);
  EXPECT_TRUE(list.warnings.empty());
}

TEST(ParseSeedList, PriorityIsAnIntegerOrDecimalNumber) {
  const SeedList list = parse_seed_list(
      "http://h/int 3\nhttp://h/dec\t0.25\nhttp://h/neg -2\nhttp://h/negdec -1.5\n"
      "http://h/plus +4\nhttp://h/lead .5\nhttp://h/none\n",
      "s.txt");
  ASSERT_EQ(list.seeds.size(), 7u);
  const double expected[] = {3, 0.25, -2, -1.5, 4, 0.5, 0};
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(list.seeds[i].priority, expected[i]) << i;
  EXPECT_TRUE(list.warnings.empty());
}

TEST(ParseSeedList, BadUrlIsWarnedWithFileAndLineAndSkipped) {
  const SeedList list =
      parse_seed_list("http://h/ok\nexample.com\nhttp://\n/relative\nhttp://a b/\n", "s.txt");
  EXPECT_EQ(urls(list), std::vector<std::string>{"http://h/ok"});
  ASSERT_EQ(list.warnings.size(), 4u);
  EXPECT_EQ(list.warnings[0], "s.txt:2: invalid URL: 'example.com'");
  EXPECT_EQ(list.warnings[1], "s.txt:3: invalid URL: 'http://'");
  EXPECT_EQ(list.warnings[2], "s.txt:4: invalid URL: '/relative'");
  EXPECT_EQ(list.warnings[3], "s.txt:5: priority is not a number (a space inside a URL must be written %20): 'http://a b/'");
}

TEST(ParseSeedList, NonHttpSchemeIsWarnedAndSkipped) {
  const SeedList list = parse_seed_list("ftp://h/f\nmailto:a@b\nhttp://h/\n", "list");
  EXPECT_EQ(urls(list), std::vector<std::string>{"http://h/"});
  ASSERT_EQ(list.warnings.size(), 2u);
  EXPECT_EQ(list.warnings[0], "list:1: not an http(s) URL: 'ftp://h/f'");
  EXPECT_EQ(list.warnings[1], "list:2: not an http(s) URL: 'mailto:a@b'");
}

TEST(ParseSeedList, BadPriorityIsWarnedAndSkipped) {
  const SeedList list = parse_seed_list(
      "http://h/1 high\nhttp://h/2 1e3\nhttp://h/3 nan\nhttp://h/4 1.2.3\nhttp://h/5 +-1\n"
      "http://h/6 5\n",
      "s.txt");
  EXPECT_EQ(urls(list), std::vector<std::string>{"http://h/6"});
  ASSERT_EQ(list.warnings.size(), 5u);
  EXPECT_EQ(list.warnings[0], "s.txt:1: priority is not a number: 'http://h/1 high'");
  EXPECT_EQ(list.warnings[4], "s.txt:5: priority is not a number: 'http://h/5 +-1'");
}

TEST(ParseSeedList, ExtraFieldIsWarnedAndSkipped) {
  const SeedList list = parse_seed_list("http://h/a 1 extra\nhttp://h/b 1 # note\n", "s.txt");
  EXPECT_TRUE(list.seeds.empty());
  ASSERT_EQ(list.warnings.size(), 2u);
  EXPECT_EQ(list.warnings[0], "s.txt:1: extra field after URL and priority: 'http://h/a 1 extra'");
  EXPECT_EQ(list.warnings[1], "s.txt:2: extra field after URL and priority: 'http://h/b 1 # note'");
}

TEST(ParseSeedList, CrlfLineEndingsAreAccepted) {
  const SeedList list =
      parse_seed_list("# c\r\nhttp://h/a 2\r\n\r\nhttp://h/b\r\nbad\r\n", "s.txt");
  EXPECT_EQ(urls(list), (std::vector<std::string>{"http://h/a", "http://h/b"}));
  EXPECT_EQ(list.seeds[0].priority, 2);
  ASSERT_EQ(list.warnings.size(), 1u);
  EXPECT_EQ(list.warnings[0], "s.txt:5: invalid URL: 'bad'");  // no '\r' in the message
}

TEST(ParseSeedList, Utf8ByteOrderMarkIsSkipped) {
  const SeedList list = parse_seed_list("\xEF\xBB\xBFhttp://h/a\n", "s.txt");
  EXPECT_EQ(urls(list), std::vector<std::string>{"http://h/a"});
  EXPECT_EQ(list.seeds[0].line, 1);
  EXPECT_TRUE(list.warnings.empty());
}

TEST(ParseSeedList, DuplicatesAfterNormalizationKeepTheFirst) {
  const SeedList list =
      parse_seed_list("http://h/a 1\nHTTP://H:80/a#x 2\nhttp://h/b\nhttp://h/./a 3\n", "s.txt");
  EXPECT_EQ(urls(list), (std::vector<std::string>{"http://h/a", "http://h/b"}));
  EXPECT_EQ(list.seeds[0].priority, 1);
  ASSERT_EQ(list.warnings.size(), 2u);
  EXPECT_EQ(list.warnings[0], "s.txt:2: duplicate of line 1: 'HTTP://H:80/a#x 2'");
  EXPECT_EQ(list.warnings[1], "s.txt:4: duplicate of line 1: 'http://h/./a 3'");
}

TEST(ParseSeedList, LastLineWithoutNewlineAndEmptyText) {
  EXPECT_EQ(urls(parse_seed_list("http://h/a\nhttp://h/b", "s.txt")),
            (std::vector<std::string>{"http://h/a", "http://h/b"}));
  const SeedList empty = parse_seed_list("", "s.txt");
  EXPECT_TRUE(empty.seeds.empty());
  EXPECT_TRUE(empty.warnings.empty());
}

TEST(ReadSeedFile, ReadsAndParsesTheFile) {
  const std::string path =
      ::testing::TempDir() + "seeds_test_" + std::to_string(::getpid()) + ".txt";
  std::ofstream(path, std::ios::binary) << "http://127.0.0.1:8080/ 1\nftp://x/\n";
  const SeedList list = read_seed_file(path);
  std::remove(path.c_str());
  EXPECT_EQ(urls(list), std::vector<std::string>{"http://127.0.0.1:8080/"});
  ASSERT_EQ(list.warnings.size(), 1u);
  EXPECT_EQ(list.warnings[0], path + ":2: not an http(s) URL: 'ftp://x/'");
}

TEST(ReadSeedFile, MissingFileThrowsWithThePath) {
  const std::string path = "/nonexistent/dir/seeds.txt";
  try {
    read_seed_file(path);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot read /nonexistent/dir/seeds.txt: No such file or directory");
  }
}

TEST(ReadSeedFile, DirectoryThrowsWithThePath) {
  const std::string dir = ::testing::TempDir();
  try {
    read_seed_file(dir);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read " + dir + ": Is a directory");
  }
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

// A binary URL list must not write raw bytes (escape sequences) to the
// user's terminal: control bytes and bytes that are not UTF-8 are shown as
// \xNN, UTF-8 text as it is, and a long line is cut.
TEST(ParseSeedList, WarningsShowBinaryLinesEscaped) {
  const std::string text = std::string("\x1b[2Jhttp://x\x07\xff\n") + "caf\xC3\xA9 x y\n" + std::string(5000, 'a') + "\n";
  const SeedList list = parse_seed_list(text, "u.txt");
  ASSERT_EQ(list.warnings.size(), 3u);
  EXPECT_NE(list.warnings[0].find("'\\x1B[2Jhttp://x\\x07\\xFF'"), std::string::npos) << list.warnings[0];
  for (const auto& w : list.warnings)
    for (const char c : w) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7F) << w;
  EXPECT_NE(list.warnings[1].find("caf\xC3\xA9 x y"), std::string::npos) << list.warnings[1];
  EXPECT_LT(list.warnings[2].size(), 400u);
  EXPECT_NE(list.warnings[2].find("…"), std::string::npos);
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

// Bounds (seeds.h): whatever the file holds, memory stays bounded and the
// user hears which lines were skipped.

TEST(SeedListBounds, LineLongerThanTheBoundIsWarnedWithItsNumberAndSkipped) {
  // max_url_length 10: lines up to 40 bytes are read.
  const std::string text = "http://h/a\n" + std::string(41, 'x') + "\nhttp://h/b\n" +
                           std::string(32, 'y') + " 1.5 # z\n";
  const SeedList list = parse_seed_list(text, "s.txt", 10);
  EXPECT_EQ(urls(list), (std::vector<std::string>{"http://h/a", "http://h/b"}));
  EXPECT_EQ(list.seeds[1].line, 3);
  ASSERT_EQ(list.warnings.size(), 2u);
  EXPECT_EQ(list.warnings[0], "s.txt:2: line of 41 bytes, longer than 40 (4 x the URL length cap): '" +
                                  std::string(40, 'x') + "…'");
  // 40 bytes exactly: read, and judged on its content.
  EXPECT_EQ(list.warnings[1].rfind("s.txt:4: extra field", 0), 0u) << list.warnings[1];
}

TEST(SeedListBounds, DefaultBoundIsFourTimesTheUrlCap) {
  const std::string ok = "http://h/" + std::string(kSeedLineFactor * kDefaultSeedMaxUrlLength - 9, 'a');
  const SeedList list = parse_seed_list(ok + "\n" + ok + "b\n", "s.txt");
  ASSERT_EQ(list.seeds.size(), 1u);  // the URL cap itself is the caller's (--max-url-length)
  EXPECT_EQ(list.seeds[0].line, 1);
  ASSERT_EQ(list.warnings.size(), 1u);
  EXPECT_EQ(list.warnings[0].rfind("s.txt:2: line of 8333 bytes, longer than 8332", 0), 0u)
      << list.warnings[0].substr(0, 100);
  EXPECT_LT(list.warnings[0].size(), 500u) << "the line is shown cut";
}

TEST(SeedListBounds, LastLineTooLongWithoutNewlineIsWarnedToo) {
  const SeedList list = parse_seed_list("http://h/a\n" + std::string(100, 'q'), "s.txt", 10);
  EXPECT_EQ(urls(list), std::vector<std::string>{"http://h/a"});
  ASSERT_EQ(list.warnings.size(), 1u);
  EXPECT_EQ(list.warnings[0].rfind("s.txt:2: line of 100 bytes", 0), 0u) << list.warnings[0];
}

TEST(SeedListBounds, NulByteIsNotAUrlListAndNamesItsLine) {
  try {
    parse_seed_list(std::string("http://h/a\n\nab\0c\nhttp://h/b\n", 22), "s.txt");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "s.txt:3: NUL byte: a binary file (or UTF-16 text), not a URL list");
  }
  // UTF-16 text, as Windows' Notepad saves "Unicode".
  const std::string utf16("\xFF\xFEh\0t\0t\0p\0", 10);
  EXPECT_THROW(parse_seed_list(utf16, "u16.txt"), std::runtime_error);
}

TEST(SeedListBounds, WarningsStopAtTheBoundThenOneCountsTheRest) {
  std::string text;
  for (int i = 0; i < 250; ++i) text += "bad" + std::to_string(i) + "\n";
  text += "http://h/ok\n";
  const SeedList list = parse_seed_list(text, "s.txt");
  EXPECT_EQ(urls(list), std::vector<std::string>{"http://h/ok"});
  ASSERT_EQ(list.warnings.size(), kMaxSeedWarnings + 1);
  EXPECT_EQ(list.warnings[kMaxSeedWarnings - 1], "s.txt:100: invalid URL: 'bad99'");
  EXPECT_EQ(list.warnings.back(), "s.txt: 150 more lines skipped");
}

class ReadSeedFileBounds : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(path_.c_str()); }
  std::string write(const std::string& text) {
    std::ofstream(path_, std::ios::binary) << text;
    return path_;
  }
  std::string path_ = ::testing::TempDir() + "seeds_bounds_" + std::to_string(::getpid()) + ".txt";
};

// The file is read in 64 KiB chunks: lines cut by a chunk's end are whole
// lines all the same, with their right numbers.
TEST_F(ReadSeedFileBounds, LinesAcrossChunkBoundariesAreWhole) {
  std::string text;
  std::vector<std::string> expected;
  for (int i = 0; i < 20000; ++i) {
    expected.push_back("http://h/" + std::to_string(i));
    text += expected.back() + (i % 3 == 0 ? "\r\n" : "\n");
    if (i == 7000) text += std::string(300000, 'z') + "\n";  // spans several chunks
  }
  const SeedList list = read_seed_file(write(text));
  EXPECT_EQ(urls(list), expected);
  EXPECT_EQ(list.seeds[7001].line, 7003);
  ASSERT_EQ(list.warnings.size(), 1u);
  EXPECT_EQ(list.warnings[0].rfind(path_ + ":7002: line of 300000 bytes, longer than 8332", 0), 0u)
      << list.warnings[0].substr(0, 200);
}

TEST_F(ReadSeedFileBounds, DevZeroEndsAtTheFirstByteWithAnError) {
  try {
    read_seed_file("/dev/zero");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "/dev/zero:1: NUL byte: a binary file (or UTF-16 text), not a URL list");
  }
}

}  // namespace
}  // namespace crawl

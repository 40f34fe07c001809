// CrawlScope's bounds against crawler traps: path depth and repeated path
// segments (Heritrix's TooManyPathSegments and PathologicalPath rules), URL
// length; each rejection names its bound.
#include "crawler/scope.h"

#include <gtest/gtest.h>

#include <string>

namespace crawl {
namespace {

TEST(PathSegments, CountsTheSegmentsOfThePathOnly) {
  EXPECT_EQ(path_segments("http://h/"), 0u);
  EXPECT_EQ(path_segments("http://h"), 0u);
  EXPECT_EQ(path_segments("http://h/a"), 1u);
  EXPECT_EQ(path_segments("http://h/a/"), 1u);
  EXPECT_EQ(path_segments("http://h/a/b/c.html"), 3u);
  EXPECT_EQ(path_segments("http://h/a//b"), 3u);
  EXPECT_EQ(path_segments("http://h/a?x=/1/2/3/4#/5/6"), 1u) << "the query and fragment are not the path";
}

TEST(RepeatsPathSegments, FindsASegmentOrARunRepeatedInARow) {
  EXPECT_FALSE(repeats_path_segments("http://h/a/a/x", 2));
  EXPECT_TRUE(repeats_path_segments("http://h/a/a/a/x", 2));
  EXPECT_TRUE(repeats_path_segments("http://h/x/a/a/a", 2)) << "at the end too";
  EXPECT_FALSE(repeats_path_segments("http://h/a/b/a/b/x", 2));
  EXPECT_TRUE(repeats_path_segments("http://h/a/b/a/b/a/b/x", 2));
  EXPECT_TRUE(repeats_path_segments("http://h/cal/2026/cal/2026/cal/2026/", 2));
  EXPECT_FALSE(repeats_path_segments("http://h/a/b/a/c/a/d", 2)) << "not in a row";
  EXPECT_FALSE(repeats_path_segments("http://h/a/a/a/b", 3)) << "three times is not more than 3";
  EXPECT_TRUE(repeats_path_segments("http://h/a/a/a/a", 3));
  EXPECT_FALSE(repeats_path_segments("http://h/a?q=/a/a/a/a", 2)) << "the query is not the path";
  EXPECT_FALSE(repeats_path_segments("http://h/", 1));
}

TEST(RepeatsPathSegments, StaysFastOnTheLongestPaths) {
  std::string url = "http://h";
  for (int i = 0; i < 1000; ++i) {  // 1000 segments
    url += '/';
    url += std::to_string(i % 7 == 0 ? i : 1);
  }
  EXPECT_FALSE(repeats_path_segments(url, 1000));
  EXPECT_TRUE(repeats_path_segments(url, 2));  // "1/1/1"
}

TEST(CrawlScope, EachBoundIsNamedInItsRejection) {
  Config c;
  c.max_url_length = 40;
  const std::vector<Seed> seeds = {Seed{"http://h/", 0, 1}};
  CrawlScope scope(c, seeds);
  EXPECT_TRUE(scope.contains("http://h/a/b"));
  const auto long_one = scope.rejection("http://h/" + std::string(40, 'x'));
  EXPECT_EQ(long_one.bound, bound::url_length);
  EXPECT_EQ(long_one.reason, "longer than --max-url-length 40");
  std::string deep = "http://h";
  for (int i = 0; i < 21; ++i) {
    deep += '/';
    deep += std::to_string(i % 10);
  }
  c.max_url_length = 2083;
  CrawlScope wide(c, seeds);
  EXPECT_EQ(wide.rejection(deep).bound, bound::path_depth);
  EXPECT_EQ(wide.rejection("http://h/a/a/a/").bound, bound::path_repeats);
  const auto other = wide.rejection("http://elsewhere/");
  EXPECT_TRUE(other.bound.empty()) << "the scope is not a bound";
  EXPECT_EQ(other.reason, "outside --scope host");
  c.max_path_depth = 0;
  c.max_path_repeats = 0;
  CrawlScope unbounded(c, seeds);
  EXPECT_TRUE(unbounded.contains(deep));
  EXPECT_TRUE(unbounded.contains("http://h/a/a/a/"));
}

}  // namespace
}  // namespace crawl

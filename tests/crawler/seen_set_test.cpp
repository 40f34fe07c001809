// SeenSet: set semantics, growth, and the memory budget (≤ 16 heap bytes per element).
#include "crawler/seen_set.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

namespace crawl {
namespace {

std::string url(std::size_t i) { return "http://127.0.0.1/page/" + std::to_string(i); }

TEST(SeenSet, EmptySetContainsNothing) {
  const SeenSet set;
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(set.memory_bytes(), 0u);
  EXPECT_FALSE(set.contains("http://a/"));
  EXPECT_FALSE(set.contains(""));
}

TEST(SeenSet, InsertThenContains) {
  SeenSet set;
  EXPECT_TRUE(set.insert("http://a/"));
  EXPECT_TRUE(set.contains("http://a/"));
  EXPECT_FALSE(set.contains("http://b/"));
  EXPECT_TRUE(set.insert("http://b/"));
  EXPECT_TRUE(set.contains("http://b/"));
  EXPECT_TRUE(set.insert(""));  // any string, the empty one too
  EXPECT_TRUE(set.contains(""));
  EXPECT_EQ(set.size(), 3u);
}

TEST(SeenSet, DuplicatesAreNotNew) {
  SeenSet set;
  EXPECT_TRUE(set.insert("http://a/x"));
  EXPECT_FALSE(set.insert("http://a/x"));
  EXPECT_FALSE(set.insert(std::string("http://a/x")));
  EXPECT_EQ(set.size(), 1u);
}

TEST(SeenSet, GrowthKeepsEveryElement) {
  SeenSet set;
  constexpr std::size_t kCount = 200'000;
  std::size_t growths = 0;
  std::size_t bytes = set.memory_bytes();
  for (std::size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(set.insert(url(i))) << i;
    if (set.memory_bytes() != bytes) {
      ++growths;
      bytes = set.memory_bytes();
      // Everything inserted so far survived the rehash (checked at a few growths; all at the end).
      if (growths % 8 == 0) {
        for (std::size_t j = 0; j <= i; ++j) ASSERT_TRUE(set.contains(url(j))) << j << " after " << i;
      }
    }
  }
  EXPECT_GT(growths, 20u);
  EXPECT_EQ(set.size(), kCount);
  for (std::size_t i = 0; i < kCount; ++i) ASSERT_TRUE(set.contains(url(i))) << i;
  for (std::size_t i = kCount; i < 2 * kCount; ++i) ASSERT_FALSE(set.contains(url(i))) << i;
  for (std::size_t i = 0; i < kCount; i += 7) ASSERT_FALSE(set.insert(url(i))) << i;
  EXPECT_EQ(set.size(), kCount);
}

// The budget holds at every size from 1000 on, so in particular just after each growth step,
// where the load is lowest.
TEST(SeenSet, AtMost16BytesPerElementAtEverySizeFrom1000) {
  SeenSet set;
  double worst = 0;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < 1'000'000; ++i) {
    set.insert(url(i));
    if (set.size() < 1000) continue;
    const double per_element = static_cast<double>(set.memory_bytes()) / static_cast<double>(set.size());
    if (per_element > worst) {
      worst = per_element;
      worst_at = set.size();
    }
    if (set.size() == 1'000 || set.size() == 10'000 || set.size() == 100'000 ||
        set.size() == 1'000'000) {
      EXPECT_LE(per_element, 16.0) << "at " << set.size();
    }
  }
  EXPECT_EQ(set.size(), 1'000'000u);
  EXPECT_LE(worst, 16.0) << "at " << worst_at;
  EXPECT_LE(worst, 13.34) << "at " << worst_at;  // 8 bytes / (0.9 / 1.5)
  RecordProperty("worst_bytes_per_element", std::to_string(worst));
  std::printf("worst case %.2f bytes/element at size %zu\n", worst, worst_at);
}

TEST(SeenSet, ZeroFingerprintIsStoredAsOne) {
  SeenSet set;
  EXPECT_FALSE(set.contains_fingerprint(0));
  EXPECT_TRUE(set.insert_fingerprint(0));
  EXPECT_TRUE(set.contains_fingerprint(0));
  EXPECT_TRUE(set.contains_fingerprint(1));  // 0 and 1 share a slot value
  EXPECT_FALSE(set.insert_fingerprint(1));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_TRUE(set.insert_fingerprint(2));
  EXPECT_EQ(set.size(), 2u);
}

TEST(SeenSet, FingerprintsMatchTheUrlInterface) {
  SeenSet set;
  EXPECT_TRUE(set.insert_fingerprint(SeenSet::fingerprint("http://a/")));
  EXPECT_TRUE(set.contains("http://a/"));
  EXPECT_FALSE(set.insert("http://a/"));
  EXPECT_NE(SeenSet::fingerprint("http://a/"), SeenSet::fingerprint("http://b/"));
}

// Fingerprints that all share one home slot (the smallest map to slot 0, the largest to the
// last slot, so probing wraps around the end) still work through growth.
TEST(SeenSet, ClusteredAndWrappingFingerprints) {
  SeenSet set;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    ASSERT_TRUE(set.insert_fingerprint(~std::uint64_t{0} - i)) << i;
    ASSERT_TRUE(set.insert_fingerprint(i + 2)) << i;
  }
  EXPECT_EQ(set.size(), 6000u);
  for (std::uint64_t i = 0; i < 3000; ++i) {
    ASSERT_TRUE(set.contains_fingerprint(~std::uint64_t{0} - i)) << i;
    ASSERT_TRUE(set.contains_fingerprint(i + 2)) << i;
  }
  EXPECT_FALSE(set.contains_fingerprint(~std::uint64_t{0} - 3000));
  EXPECT_FALSE(set.contains_fingerprint(3002));
  EXPECT_FALSE(set.contains_fingerprint(std::uint64_t{1} << 63));
}

TEST(SeenSet, MovedFromSetIsEmptyAndUsable) {
  SeenSet a;
  a.insert("http://a/");
  SeenSet b = std::move(a);
  EXPECT_TRUE(b.contains("http://a/"));
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_FALSE(a.contains("http://a/"));
  EXPECT_TRUE(a.insert("http://c/"));
  SeenSet c;
  c = std::move(b);
  EXPECT_TRUE(c.contains("http://a/"));
  EXPECT_FALSE(c.contains("http://c/"));
}

}  // namespace
}  // namespace crawl

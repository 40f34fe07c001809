// disk_path_for(): wget-like layout, and above all: never a path that leaves
// the output directory.
#include "storage/disk_path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crawl {
namespace {

std::string mapped(std::string_view url) {
  const auto p = disk_path_for(url);
  return p ? p->generic_string() : std::string("<nullopt>");
}

// The invariant every result must satisfy.
void expect_safe(std::string_view url) {
  SCOPED_TRACE(std::string(url));
  const auto p = disk_path_for(url);
  if (!p) return;  // refusing is always safe
  EXPECT_TRUE(p->is_relative());
  EXPECT_FALSE(p->has_root_path());
  EXPECT_FALSE(p->empty());
  int parts = 0;
  for (const auto& part : *p) {
    ++parts;
    const std::string s = part.string();
    EXPECT_FALSE(s.empty()) << p->generic_string();
    EXPECT_NE(s, ".") << p->generic_string();
    EXPECT_NE(s, "..") << p->generic_string();
    EXPECT_LE(s.size(), kMaxDiskNameBytes) << p->generic_string();
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_FALSE(u < 0x20 || u == 0x7F || c == '\\') << p->generic_string();
    }
  }
  EXPECT_GE(parts, 2) << "host directory plus a file name: " << p->generic_string();
  // Lexically normalizing must not change it (no dot segments, no "//").
  EXPECT_EQ(p->lexically_normal().generic_string(), p->generic_string());
}

TEST(DiskPathWgetLayout, RootGetsIndexHtml) {
  EXPECT_EQ(mapped("http://example.com/"), "example.com/index.html");
  EXPECT_EQ(mapped("http://example.com"), "example.com/index.html");
}

TEST(DiskPathWgetLayout, NonDefaultPortJoinsHostWithUnderscore) {
  EXPECT_EQ(mapped("http://example.com:8080/a/b.html?x=1"), "example.com_8080/a/b.html?x=1");
  EXPECT_EQ(mapped("https://example.com:80/"), "example.com_80/index.html");
  EXPECT_EQ(mapped("http://example.com:443/"), "example.com_443/index.html");
}

TEST(DiskPathWgetLayout, DefaultPortIsDropped) {
  EXPECT_EQ(mapped("https://Example.COM:443/dir/"), "example.com/dir/index.html");
  EXPECT_EQ(mapped("http://example.com:80/x"), "example.com/x");
  EXPECT_EQ(mapped("http://example.com:0080/x"), "example.com/x");
  EXPECT_EQ(mapped("http://example.com:/x"), "example.com/x");  // empty port
}

TEST(DiskPathWgetLayout, HostIsLowercasedPathIsNot) {
  EXPECT_EQ(mapped("HTTP://WWW.Example.Org/Some/Page.HTML"), "www.example.org/Some/Page.HTML");
}

TEST(DiskPathWgetLayout, DirectoryPathGetsIndexHtml) {
  EXPECT_EQ(mapped("http://h/a/b/"), "h/a/b/index.html");
  EXPECT_EQ(mapped("http://h/a/b"), "h/a/b");
}

TEST(DiskPathWgetLayout, QueryIsAppendedToLastName) {
  EXPECT_EQ(mapped("http://h/search?q=a+b&p=2"), "h/search?q=a+b&p=2");
  EXPECT_EQ(mapped("http://h/dir/?x=1"), "h/dir/index.html?x=1");
  EXPECT_EQ(mapped("http://h/?x=1"), "h/index.html?x=1");
  EXPECT_EQ(mapped("http://h/a?"), "h/a");  // empty query: nothing to add
}

TEST(DiskPathWgetLayout, QueryKeepsItsEncodingButSlashesAreEncoded) {
  EXPECT_EQ(mapped("http://h/a?p=/etc/passwd"), "h/a?p=%2Fetc%2Fpasswd");
  EXPECT_EQ(mapped("http://h/a?p=..%2F..%2Fx"), "h/a?p=..%2F..%2Fx");
  EXPECT_EQ(mapped("http://h/a?q=%20x"), "h/a?q=%20x");
}

TEST(DiskPathWgetLayout, FragmentAndUserinfoAreIgnored) {
  EXPECT_EQ(mapped("http://user:pw@h/a#frag"), "h/a");
  EXPECT_EQ(mapped("http://h/a?x=1#frag/../.."), "h/a?x=1");
}

TEST(DiskPathPercentEncoding, UnreservedAndUtf8AreDecodedForReadability) {
  EXPECT_EQ(mapped("http://h/%7Euser/caf%C3%A9.html"), "h/~user/caf\xC3\xA9.html");
  EXPECT_EQ(mapped("http://h/a%20b"), "h/a b");
}

TEST(DiskPathPercentEncoding, EncodedSlashStaysInsideItsSegment) {
  EXPECT_EQ(mapped("http://h/a%2Fb"), "h/a%2Fb");
  EXPECT_EQ(mapped("http://h/a%2fb"), "h/a%2Fb");
}

TEST(DiskPathPercentEncoding, PercentItselfIsReencodedSoDecodingIsUnambiguous) {
  // "%252F" decodes to the three characters "%2F", which is not a slash and
  // must not collide with "a%2Fb".
  EXPECT_EQ(mapped("http://h/a%252Fb"), "h/a%252Fb");
  EXPECT_NE(mapped("http://h/a%252Fb"), mapped("http://h/a%2Fb"));
}

TEST(DiskPathPercentEncoding, ControlBytesBackslashAndNulAreEncoded) {
  EXPECT_EQ(mapped("http://h/a%00b"), "h/a%00b");
  EXPECT_EQ(mapped("http://h/a%0Ab%0D"), "h/a%0Ab%0D");
  EXPECT_EQ(mapped("http://h/a%7Fb"), "h/a%7Fb");
  EXPECT_EQ(mapped("http://h/a%5Cb"), "h/a%5Cb");
  EXPECT_EQ(mapped("http://h/a%09b"), "h/a%09b");
}

TEST(DiskPathDotSegments, DotAndDotDotAreDroppedNeverClimb) {
  EXPECT_EQ(mapped("http://h/../../etc/passwd"), "h/etc/passwd");
  EXPECT_EQ(mapped("http://h/%2e%2e/%2e%2e/x"), "h/x");
  EXPECT_EQ(mapped("http://h/%2E%2E/%2E/x"), "h/x");
  EXPECT_EQ(mapped("http://h/./a/./b"), "h/a/b");
  EXPECT_EQ(mapped("http://h/a/.."), "h/a/index.html");
  EXPECT_EQ(mapped("http://h/.."), "h/index.html");
  EXPECT_EQ(mapped("http://h/a/."), "h/a/index.html");
}

TEST(DiskPathDotSegments, EncodedSlashBetweenDotsIsOneHarmlessName) {
  EXPECT_EQ(mapped("http://h/..%2F..%2Fx"), "h/..%2F..%2Fx");
  EXPECT_EQ(mapped("http://h/a/%2F/b"), "h/a/%2F/b");
  EXPECT_EQ(mapped("http://h/%2F"), "h/%2F");
}

TEST(DiskPathDotSegments, DotsInQueryOrWithParamsAreJustText) {
  EXPECT_EQ(mapped("http://h/?../../x"), "h/index.html?..%2F..%2Fx");
  EXPECT_EQ(mapped("http://h/a?/../../x"), "h/a?%2F..%2F..%2Fx");
  EXPECT_EQ(mapped("http://h/..;/..;/x"), "h/..;/..;/x");
}

TEST(DiskPathDotSegments, DotfilesAreKept) {
  EXPECT_EQ(mapped("http://h/.well-known/x"), "h/.well-known/x");
  EXPECT_EQ(mapped("http://h/..."), "h/...");
}

TEST(DiskPathEmptySegments, DoubleSlashesAreDropped) {
  EXPECT_EQ(mapped("http://h//abs"), "h/abs");
  EXPECT_EQ(mapped("http://h///a//b//"), "h/a/b/index.html");
}

TEST(DiskPathHosts, Ipv4LiteralIsKept) {
  EXPECT_EQ(mapped("http://127.0.0.1:8080/x"), "127.0.0.1_8080/x");
}

TEST(DiskPathHosts, Ipv6LosesBracketsAndColons) {
  EXPECT_EQ(mapped("http://[::1]:8080/x"), "__1_8080/x");
  EXPECT_EQ(mapped("http://[2001:DB8::1]/"), "2001_db8__1/index.html");
}

TEST(DiskPathHosts, EncodedSlashOrDotsInHostCannotEscape) {
  EXPECT_EQ(mapped("http://a%2Fb/x"), "a%2Fb/x");
  EXPECT_EQ(mapped("http://../x"), "%2E./x");
  EXPECT_EQ(mapped("http://./x"), "%2E/x");
  EXPECT_EQ(mapped("http://.crawl/index.tsv"), "%2Ecrawl/index.tsv");
  EXPECT_EQ(mapped("http://%2e%2e/x"), "%2E./x");
}

TEST(DiskPathRefusals, NotAbsoluteHttpIsNullopt) {
  for (const char* url : {"", "/relative/path", "example.com/a", "ftp://h/a", "file:///etc/passwd",
                          "mailto:x@y", "http:no-authority", "http:///no-host", "http://h/a b",
                          "http://h/a\\b", "javascript:alert(1)", "http://[::1/x"}) {
    EXPECT_FALSE(disk_path_for(url).has_value()) << url;
  }
}

TEST(DiskPathLength, LongSegmentIsCutAndHashedToStayUnique) {
  const std::string a(300, 'a');
  const std::string b = std::string(299, 'a') + "b";
  const std::string pa = mapped("http://h/" + a);
  const std::string pb = mapped("http://h/" + b);
  EXPECT_NE(pa, pb);
  EXPECT_EQ(pa.size(), std::string("h/").size() + kMaxDiskNameBytes);
  EXPECT_EQ(pa.substr(0, 10), "h/aaaaaaaa");
  EXPECT_NE(pa.find('~'), std::string::npos);
  // Deterministic across calls (a crawl resumed later finds the same file).
  EXPECT_EQ(pa, mapped("http://h/" + a));
  // Exactly at the limit: untouched.
  const std::string c(kMaxDiskNameBytes, 'c');
  EXPECT_EQ(mapped("http://h/" + c), "h/" + c);
}

TEST(DiskPathLength, LongQueryIsCutTooAndCutNeverSplitsAnEscape) {
  std::string q;
  for (int i = 0; i < 200; ++i) q += "/x";
  const auto p = disk_path_for("http://h/a?" + q);
  ASSERT_TRUE(p);
  const std::string name = p->filename().string();
  EXPECT_LE(name.size(), kMaxDiskNameBytes);
  const std::size_t tilde = name.rfind('~');
  ASSERT_NE(tilde, std::string::npos);
  // Before the hash: whole "%2Fx" groups only.
  const std::string kept = name.substr(0, tilde);
  const std::size_t last_pct = kept.rfind('%');
  ASSERT_NE(last_pct, std::string::npos);
  EXPECT_LE(last_pct + 3, kept.size());
}

TEST(DiskPathLength, CutNeverSplitsUtf8) {
  std::string seg;
  for (int i = 0; i < 120; ++i) seg += "%C3%A9";  // 240 bytes of "é"
  const auto p = disk_path_for("http://h/" + seg);
  ASSERT_TRUE(p);
  const std::string name = p->filename().string();
  const std::string kept = name.substr(0, name.rfind('~'));
  EXPECT_EQ(kept.size() % 2, 0u);
  for (std::size_t i = 0; i < kept.size(); i += 2) {
    EXPECT_EQ(kept.substr(i, 2), "\xC3\xA9");
  }
}

TEST(DiskPathSafety, HostileUrlsNeverLeaveTheOutputDirectory) {
  std::vector<std::string> urls = {
      "http://h/../../etc/passwd",
      "http://h/%2e%2e/%2e%2e/x",
      "http://h/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
      "http://h/a%2Fb",
      "http://h/a/%2F/b",
      "http://h/..%2F..%2Fx",
      "http://h/..%5C..%5Cx",
      "http://h//abs",
      "http://h///etc/passwd",
      "http://h/%2F%2Fetc",
      "http://h/%00",
      "http://h/a%00/b%00",
      "http://h/%2e",
      "http://h/%2e%2e",
      "http://h/%2e%2e/",
      "http://h/.%2e/.%2e/x",
      "http://h/%2e./%2e./x",
      "http://h/a/b/../../../../x",
      "http://h/?../../x",
      "http://h/a?/../../x",
      "http://h/a?%2F..%2F..",
      "http://h/..?..",
      "http://h/..;/..;/x",
      "http://h/%0a%0d",
      "http://h/%7f",
      "http://h/%",  // invalid: refused by the parser
      "http://h/%zz",
      "http://../../x",
      "http://%2e%2e/x",
      "http://%2F/x",
      "http://%2Fetc/x",
      "http://%00/x",
      "http://h:99999/x",
      "http://[::ffff:127.0.0.1]/x",
      "http://[v7.a:b]/x",
      "https://h:443/../",
      "http://h/" + std::string(5000, 'x'),
      "http://h/" + std::string(300, '.'),
      "http://h/" + std::string(4000, '/') + "x",
      "http://h/a?" + std::string(3000, '/'),
      "http://" + std::string(250, 'a') + "/x",
  };
  std::string all_dots_pct;
  for (int i = 0; i < 100; ++i) all_dots_pct += "%2e%2e/";
  urls.push_back("http://h/" + all_dots_pct + "x");
  int refused = 0;
  for (const auto& url : urls) {
    expect_safe(url);
    if (!disk_path_for(url)) ++refused;
  }
  EXPECT_EQ(refused, 2) << "only the malformed \"%\" and \"%zz\" are refused";
  // Every byte value as a decoded path segment and as a query.
  for (int c = 0; c < 256; ++c) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    expect_safe(std::string("http://h/") + buf);
    expect_safe(std::string("http://h/") + buf + buf);
    expect_safe(std::string("http://h/x?") + buf);
    expect_safe(std::string("http://") + buf + "/x");
  }
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

// The first '?' of a name starts the query: a '?' inside a path segment
// ("%3F") is escaped, so "/q%3Fa=1" and "/q?a=1" get different names.
TEST(DiskPathPercentEncoding, EncodedQuestionMarkInAPathIsNotAQuery) {
  EXPECT_EQ(disk_path_for("http://h/q%3Fa=1")->generic_string(), "h/q%3Fa=1");
  EXPECT_EQ(disk_path_for("http://h/q%3fa=1")->generic_string(), "h/q%3Fa=1");
  EXPECT_EQ(disk_path_for("http://h/q?a=1")->generic_string(), "h/q?a=1");
  EXPECT_EQ(disk_path_for("http://h/d%3F/x?y")->generic_string(), "h/d%3F/x?y");
  EXPECT_EQ(disk_path_for("http://h/q%3Fa?b%3Fc")->generic_string(), "h/q%3Fa?b%3Fc");
}

}  // namespace
}  // namespace crawl

// Registrable domains, one test per rule of the Public Suffix List's algorithm
// (https://publicsuffix.org/list/ "Formal algorithm").
#include "web/domain.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace crawl {
namespace {

TEST(RegistrableDomain, IcannSuffixPlusOneLabel) {
  EXPECT_EQ(registrable_domain("www.example.co.uk"), "example.co.uk");
  EXPECT_EQ(registrable_domain("a.b.example.com"), "example.com");
  EXPECT_EQ(registrable_domain("example.com"), "example.com");
  EXPECT_EQ(registrable_domain("x.example.com.au"), "example.com.au");
}

TEST(RegistrableDomain, PrivateSectionSuffixesCount) {
  EXPECT_EQ(registrable_domain("foo.github.io"), "foo.github.io");
  EXPECT_EQ(registrable_domain("www.foo.github.io"), "foo.github.io");
  EXPECT_EQ(registrable_domain("a.b.blogspot.com"), "b.blogspot.com");
}

// The list's "*" default rule: an unlisted TLD is a suffix of one label.
TEST(RegistrableDomain, UnlistedTldUsesTheDefaultRule) {
  EXPECT_EQ(registrable_domain("a.b.example.invalidtld"), "example.invalidtld");
  EXPECT_EQ(registrable_domain("invalidtld"), "invalidtld");
}

// Wildcard ("*.ck") and exception ("!www.ck") rules.
TEST(RegistrableDomain, WildcardAndExceptionRules) {
  EXPECT_EQ(registrable_domain("a.b.c.ck"), "b.c.ck");
  EXPECT_EQ(registrable_domain("www.ck"), "www.ck");
  EXPECT_EQ(registrable_domain("a.www.ck"), "www.ck");
}

TEST(RegistrableDomain, HostsWithoutOneAreReturnedThemselves) {
  EXPECT_EQ(registrable_domain("localhost"), "localhost");
  EXPECT_EQ(registrable_domain("co.uk"), "co.uk");
  EXPECT_EQ(registrable_domain("com"), "com");
  EXPECT_EQ(registrable_domain("github.io"), "github.io");
  EXPECT_EQ(registrable_domain(""), "");
}

TEST(RegistrableDomain, IpAddressesAreReturnedThemselves) {
  EXPECT_EQ(registrable_domain("127.0.1.5"), "127.0.1.5");
  EXPECT_EQ(registrable_domain("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(registrable_domain("[::1]"), "[::1]");
  EXPECT_EQ(registrable_domain("[2001:db8::1]"), "[2001:db8::1]");
  EXPECT_EQ(registrable_domain("0x7f.1"), "0x7f.1");  // WHATWG reads it as IPv4
}

TEST(RegistrableDomain, InputIsLowercased) {
  EXPECT_EQ(registrable_domain("WWW.Example.CO.UK"), "example.co.uk");
  EXPECT_EQ(registrable_domain("LOCALHOST"), "localhost");
  EXPECT_EQ(registrable_domain("Foo.GitHub.IO"), "foo.github.io");
}

TEST(RegistrableDomain, TrailingDotIsDropped) {
  EXPECT_EQ(registrable_domain("www.example.com."), "example.com");
}

// IDN suffixes are in the list in UTF-8; hosts arrive in punycode (url.h).
TEST(RegistrableDomain, PunycodeLabels) {
  EXPECT_EQ(registrable_domain("www.xn--bcher-kva.example"), "xn--bcher-kva.example");
  // 公司.cn is a suffix: one more label is needed.
  EXPECT_EQ(registrable_domain("www.xn--85x722f.xn--55qx5d.cn"), "xn--85x722f.xn--55qx5d.cn");
  EXPECT_EQ(registrable_domain("xn--55qx5d.cn"), "xn--55qx5d.cn");
  // 个人.hk likewise.
  EXPECT_EQ(registrable_domain("a.b.xn--ciqpn.hk"), "b.xn--ciqpn.hk");
}

TEST(RegistrableDomain, ConcurrentUseIsSafe) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 2000; ++i) EXPECT_EQ(registrable_domain("a.b.example.co.uk"), "example.co.uk");
    });
  }
  for (auto& thread : threads) thread.join();
}

}  // namespace
}  // namespace crawl

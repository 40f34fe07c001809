#include "core/url_parts.h"

#include <gtest/gtest.h>

namespace crawl {
namespace {

TEST(UrlOrigin, IsEverythingBeforeThePath) {
  EXPECT_EQ(url_origin("http://a.example:8080/x/y?q"), "http://a.example:8080");
  EXPECT_EQ(url_origin("https://a/"), "https://a");
  EXPECT_EQ(url_origin("http://a?q"), "http://a");
  EXPECT_EQ(url_origin("http://a"), "http://a");
  EXPECT_EQ(url_origin("nonsense"), "");
}

TEST(UrlHost, IsTheHostWithoutUserinfoAndPort) {
  EXPECT_EQ(url_host("http://127.0.1.1:8080/x"), "127.0.1.1");
  EXPECT_EQ(url_host("https://example.com/"), "example.com");
  EXPECT_EQ(url_host("http://u:p@example.com/"), "example.com");
  EXPECT_EQ(url_host("http://[::1]:81/"), "[::1]");
  EXPECT_EQ(url_host("http://example.com?q"), "example.com");
  EXPECT_EQ(url_host("not a url"), "");
  EXPECT_EQ(url_host(""), "");
}

}  // namespace
}  // namespace crawl

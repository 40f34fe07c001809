// URL normalization and resolution, one test per rule of RFC 3986 / the WHATWG URL standard.
#include "web/url.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace crawl {
namespace {

struct Case {
  std::string input;
  std::optional<std::string> expected;
};

void expect_normalized(const std::vector<Case>& cases) {
  for (const auto& [input, expected] : cases) {
    SCOPED_TRACE("normalize_url(\"" + input + "\")");
    EXPECT_EQ(normalize_url(input), expected);
  }
}

void expect_resolved(const std::string& base, const std::vector<Case>& cases) {
  for (const auto& [href, expected] : cases) {
    SCOPED_TRACE("resolve_url(\"" + base + "\", \"" + href + "\")");
    EXPECT_EQ(resolve_url(base, href), expected);
  }
}

TEST(NormalizeUrl, Rfc3986Sec6221CaseNormalizationLowersSchemeAndHostOnly) {
  expect_normalized({
      {"HTTP://EXAMPLE.COM/", "http://example.com/"},
      {"hTTpS://ExAmple.Com/Path/FILE?Q=A", "https://example.com/Path/FILE?Q=A"},
      {"http://User:PassWord@Example.com/", "http://User:PassWord@example.com/"},
  });
}

TEST(NormalizeUrl, Rfc3986Sec6221PercentEncodingHexIsUppercased) {
  expect_normalized({
      {"http://example.com/a%2fb", "http://example.com/a%2Fb"},
      {"http://example.com/?q=%c3%a4", "http://example.com/?q=%C3%A4"},
  });
}

TEST(NormalizeUrl, Rfc3986Sec6222UnreservedCharactersAreDecoded) {
  expect_normalized({
      {"http://example.com/%7Euser/%41%2D%5F%2E", "http://example.com/~user/A-_."},
      {"http://ex%61mple.com/", "http://example.com/"},
      // Reserved characters stay encoded: %2F is not '/'.
      {"http://example.com/a%2Fb%3F", "http://example.com/a%2Fb%3F"},
  });
}

TEST(NormalizeUrl, Rfc3986Sec6223DotSegmentsAreRemoved) {
  expect_normalized({
      {"http://example.com/a/./b/../c", "http://example.com/a/c"},
      {"http://example.com/../../a", "http://example.com/a"},
      {"http://example.com/a/b/..", "http://example.com/a/"},
      {"http://example.com/a/.", "http://example.com/a/"},
  });
}

TEST(NormalizeUrl, Rfc3986Sec632DefaultPortIsRemoved) {
  expect_normalized({
      {"http://example.com:80/", "http://example.com/"},
      {"https://example.com:443/", "https://example.com/"},
      {"http://example.com:/", "http://example.com/"},  // empty port means the default
      {"http://example.com:0080/", "http://example.com/"},
      {"https://example.com:80/", "https://example.com:80/"},
      {"http://example.com:443/", "http://example.com:443/"},
      {"http://example.com:8080", "http://example.com:8080/"},
      {"http://example.com:65536/", std::nullopt},
  });
}

TEST(NormalizeUrl, Rfc3986Sec632EmptyPathBecomesSlash) {
  expect_normalized({
      {"http://example.com", "http://example.com/"},
      {"http://example.com?q", "http://example.com/?q"},
  });
}

TEST(NormalizeUrl, EmptyQueryIsDroppedNonEmptyKept) {
  expect_normalized({
      {"http://example.com/a?", "http://example.com/a"},
      {"http://example.com/a?x", "http://example.com/a?x"},
      {"http://example.com/a?&", "http://example.com/a?&"},
  });
}

TEST(NormalizeUrl, FragmentIsDropped) {
  expect_normalized({
      {"http://example.com/a#top", "http://example.com/a"},
      {"http://example.com/#", "http://example.com/"},
  });
}

TEST(NormalizeUrl, WhatwgUserinfoIsKeptUnlessEmpty) {
  expect_normalized({
      {"http://u:p@example.com:80", "http://u:p@example.com/"},
      {"http://@example.com/", "http://example.com/"},
      {"http://:@example.com/", "http://example.com/"},
      {"http://u:@example.com/", "http://u@example.com/"},
      {"http://:p@example.com/", "http://:p@example.com/"},
      // The last '@' ends the userinfo; the userinfo percent-encode set applies.
      {"http://a@b@example.com/", "http://a%40b@example.com/"},
      {"http://u:p:q[]@example.com/", "http://u:p%3Aq%5B%5D@example.com/"},
  });
}

// WHATWG URL "IPv4 parser": a host that ends in a number is an IPv4 address in any of its
// number forms, written in dotted decimal; one that is not a valid address fails.
TEST(NormalizeUrl, WhatwgIpv4NumberFormsBecomeDottedDecimal) {
  expect_normalized({
      {"http://0x7f.1/", "http://127.0.0.1/"},
      {"http://2130706433/", "http://127.0.0.1/"},
      {"http://0177.0.0.1/", "http://127.0.0.1/"},
      {"http://192.168.257/", "http://192.168.1.1/"},
      {"http://1.2.3.4./", "http://1.2.3.4/"},
      {"http://%30%78%37%66.1/", "http://127.0.0.1/"},
      {"http://1.2.3.4.5/", std::nullopt},
      {"http://256.0.0.1/", std::nullopt},
      {"http://4294967296/", std::nullopt},
      {"http://1.2.3.08/", std::nullopt},
      {"http://foo.0x4/", std::nullopt},
      {"http://0..1/", std::nullopt},
      // Not ending in a number: a domain name.
      {"http://1.2.3.com/", "http://1.2.3.com/"},
      {"http://0xg/", "http://0xg/"},
  });
}

// WHATWG URL "IPv6 serializer": lowercase, no leading zeros, the first longest zero run as "::".
TEST(NormalizeUrl, WhatwgIpv6LiteralsAreCompressed) {
  expect_normalized({
      {"http://[0:0:0:0:0:0:0:1]/", "http://[::1]/"},
      {"http://[1:0::]/", "http://[1::]/"},
      {"http://[2001:DB8:0:0:1:0:0:1]/", "http://[2001:db8::1:0:0:1]/"},
      {"http://[::127.0.0.1]/", "http://[::7f00:1]/"},
      {"http://[1:0:1:0:1:0:1:0]/", "http://[1:0:1:0:1:0:1:0]/"},
      {"http://[::1]x/", std::nullopt},
      {"http://[::1%25eth0]/", std::nullopt},
      {"http://[1::2::3]/", std::nullopt},
  });
}

// WHATWG URL "special-query percent-encode set" includes the apostrophe; the path set does not.
TEST(NormalizeUrl, WhatwgSpecialQueryEncodesApostrophe) {
  expect_normalized({
      {"http://h/a'b?c'd", "http://h/a'b?c%27d"},
      {"http://h/?%27", "http://h/?%27"},
  });
}

TEST(NormalizeUrl, HostLiteralsAreKept) {
  expect_normalized({
      {"http://127.0.1.1:8080/x", "http://127.0.1.1:8080/x"},
      {"http://[::1]:80/", "http://[::1]/"},
  });
}

TEST(NormalizeUrl, RejectsNonHttpSchemesRelativeReferencesAndMissingHosts) {
  expect_normalized({
      {"ftp://example.com/", std::nullopt},
      {"mailto:x@example.com", std::nullopt},
      {"file:///etc/passwd", std::nullopt},
      {"/relative/path", std::nullopt},
      {"example.com", std::nullopt},
      {"http://", std::nullopt},
      {"", std::nullopt},
      {"http://exa mple.com/", std::nullopt},
      {"http://example.com:x/", std::nullopt},  // ports are digits
      {"http://example.com:1:2/", std::nullopt},
  });
}

TEST(NormalizeUrl, WhatwgSpecialSchemeSlashesAreForgiven) {
  expect_normalized({
      {"http:example.com/a", "http://example.com/a"},
      {"http:/example.com/a", "http://example.com/a"},
      {"http:///example.com/a", "http://example.com/a"},
      {"http:\\\\example.com\\a", "http://example.com/a"},
  });
}

// WHATWG URL "host parsing" → "domain to ASCII": UTS #46 ToASCII, non-transitional.
TEST(NormalizeUrl, WhatwgHostParsingIdnHostsBecomePunycode) {
  expect_normalized({
      {"http://B\xC3\xBC" "cher.example/", "http://xn--bcher-kva.example/"},
      {"http://b\xC3\xBC" "cher.de:8080/x?y", "http://xn--bcher-kva.de:8080/x?y"},
      // 例え.テスト/パス: host punycoded, path percent-encoded UTF-8.
      {"http://\xE4\xBE\x8B\xE3\x81\x88.\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88/"
       "\xE3\x83\x91\xE3\x82\xB9",
       "http://xn--r8jz45g.xn--zckzah/%E3%83%91%E3%82%B9"},
      {"http://u:p@b\xC3\xBC" "cher.example/", "http://u:p@xn--bcher-kva.example/"},
  });
}

TEST(NormalizeUrl, WhatwgHostParsingIdnMappingLowercases) {
  expect_normalized({
      {"http://\xC3\x89XAMPLE.com", "http://xn--xample-9ua.com/"},  // ÉXAMPLE
      {"http://\xC3\xA9xample.com", "http://xn--xample-9ua.com/"},  // éxample
      {"http://B\xC3\x9C" "CHER.example/", "http://xn--bcher-kva.example/"},  // BÜCHER
      // Fullwidth letters and the ideographic full stop map to ASCII.
      {"http://\xEF\xBD\x85\xEF\xBD\x98.com\xE3\x80\x82" "de/", "http://ex.com.de/"},
  });
}

TEST(NormalizeUrl, WhatwgHostParsingIsNonTransitional) {
  expect_normalized({{"http://fa\xC3\x9F.de/", "http://xn--fa-hia.de/"}});  // faß, not fass
}

TEST(NormalizeUrl, WhatwgHostParsingPercentEncodedUtf8HostIsDecodedFirst) {
  expect_normalized({
      {"http://%C3%A9.com/", "http://xn--9ca.com/"},
      {"http://B%C3%BCcher.example/", "http://xn--bcher-kva.example/"},
      {"http://%65x%2Ecom/", "http://ex.com/"},  // %2E is a dot in a host
  });
}

TEST(NormalizeUrl, WhatwgHostParsingAsciiAndPunycodeHostsPassThrough) {
  expect_normalized({
      {"http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/"},
      {"http://XN--BCHER-KVA.Example/", "http://xn--bcher-kva.example/"},
      {"http://www.xn--r8jz45g.xn--zckzah/", "http://www.xn--r8jz45g.xn--zckzah/"},
      // ASCII labels are only lowercased: IDNA2008 hyphen rules do not apply (CheckHyphens off).
      {"http://-a.b--c.example/", "http://-a.b--c.example/"},
      {"http://a_b.example/", "http://a_b.example/"},
      {"http://-x.b\xC3\xBC" "cher.example/", "http://-x.xn--bcher-kva.example/"},
  });
}

TEST(NormalizeUrl, WhatwgHostParsingInvalidHostsAreRejected) {
  expect_normalized({
      {"http://xn--a.example/", std::nullopt},               // not valid punycode
      {"http://xn--.example/", std::nullopt},
      {"http://xn--bcher-kva-.example/", std::nullopt},
      {"http://\xFF\xFE.example/", std::nullopt},            // not UTF-8
      {"http://%FF.example/", std::nullopt},
      {"http://-\xC3\xBC.example/", std::nullopt},           // IDNA2008 hyphen rule on an IDN label
      {"http://a\xE2\x80\x8D" "b.example/", std::nullopt},  // ZWJ outside its context
      {"http://\xC3\xBC%00x.example/", std::nullopt},        // NUL inside an IDN label
      {"http://a%00b.example/", std::nullopt},
      {"http://a%2Fb.example/", std::nullopt},               // forbidden code points once decoded
      {"http://a%20b.example/", std::nullopt},
      {"http://a%25b.example/", std::nullopt},
      {"http://\xEF\xBC\x8F" "x.example/", std::nullopt},   // fullwidth '/' maps to '/'
  });
}

TEST(ResolveUrl, IdnHostsInHrefsArePunycoded) {
  expect_resolved("http://example.com/dir/",
                  {
                      {"//B\xC3\xBC" "cher.example/x", "http://xn--bcher-kva.example/x"},
                      {"https://%C3%A9.com", "https://xn--9ca.com/"},
                      {"http://xn--a/", std::nullopt},
                  });
  EXPECT_EQ(resolve_url("http://xn--bcher-kva.example/a/", "b"),
            "http://xn--bcher-kva.example/a/b");
}

TEST(NormalizeUrl, IsIdempotent) {
  for (const char* url :
       {"HTTP://EXAMPLE.com:80/%7euser/", "http://h/a b/\xC3\xA4?x=|", "https://h:443",
        "http://B\xC3\xBC" "cher.example/", "http://%C3%A9.com/"}) {
    const auto once = normalize_url(url);
    ASSERT_TRUE(once) << url;
    EXPECT_EQ(normalize_url(*once), once);
  }
}

// RFC 3986 §5.4.1 "Normal Examples". "g:h" is a valid URI of another scheme, which the crawler
// rejects; "" is the base itself, as in browsers.
TEST(ResolveUrl, Rfc3986Sec541NormalExamples) {
  expect_resolved("http://a/b/c/d;p?q",
                  {
                      {"g:h", std::nullopt},
                      {"g", "http://a/b/c/g"},
                      {"./g", "http://a/b/c/g"},
                      {"g/", "http://a/b/c/g/"},
                      {"/g", "http://a/g"},
                      {"//g", "http://g/"},
                      {"?y", "http://a/b/c/d;p?y"},
                      {"g?y", "http://a/b/c/g?y"},
                      {"#s", "http://a/b/c/d;p?q"},
                      {"g#s", "http://a/b/c/g"},
                      {"g?y#s", "http://a/b/c/g?y"},
                      {";x", "http://a/b/c/;x"},
                      {"g;x", "http://a/b/c/g;x"},
                      {"g;x?y#s", "http://a/b/c/g;x?y"},
                      {"", "http://a/b/c/d;p?q"},
                      {".", "http://a/b/c/"},
                      {"./", "http://a/b/c/"},
                      {"..", "http://a/b/"},
                      {"../", "http://a/b/"},
                      {"../g", "http://a/b/g"},
                      {"../..", "http://a/"},
                      {"../../", "http://a/"},
                      {"../../g", "http://a/g"},
                  });
}

// RFC 3986 §5.4.2 "Abnormal Examples". For "http:g" the RFC allows the strict "http:g" or,
// "for backward compatibility", "http://a/b/c/g"; browsers and we take the latter.
TEST(ResolveUrl, Rfc3986Sec542AbnormalExamples) {
  expect_resolved("http://a/b/c/d;p?q",
                  {
                      {"../../../g", "http://a/g"},
                      {"../../../../g", "http://a/g"},
                      {"/./g", "http://a/g"},
                      {"/../g", "http://a/g"},
                      {"g.", "http://a/b/c/g."},
                      {".g", "http://a/b/c/.g"},
                      {"g..", "http://a/b/c/g.."},
                      {"..g", "http://a/b/c/..g"},
                      {"./../g", "http://a/b/g"},
                      {"./g/.", "http://a/b/c/g/"},
                      {"g/./h", "http://a/b/c/g/h"},
                      {"g/../h", "http://a/b/c/h"},
                      {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
                      {"g;x=1/../y", "http://a/b/c/y"},
                      {"g?y/./x", "http://a/b/c/g?y/./x"},
                      {"g?y/../x", "http://a/b/c/g?y/../x"},
                      {"g#s/./x", "http://a/b/c/g"},
                      {"g#s/../x", "http://a/b/c/g"},
                      {"http:g", "http://a/b/c/g"},
                  });
}

// Hrefs as found on real pages, read as a browser reads them (WHATWG URL standard).
TEST(ResolveUrl, WhatwgRealWorldHrefs) {
  expect_resolved(
      "http://example.com/dir/page.html",
      {
          {" /a b ", "http://example.com/a%20b"},          // trim C0/space, encode inner space
          {"\t/a\n/b", "http://example.com/a/b"},          // tab and newline removed
          {"\\a\\b", "http://example.com/a/b"},            // backslash is a slash
          {"/\xC3\xA4/\xC3\xB6", "http://example.com/%C3%A4/%C3%B6"},  // UTF-8 bytes encoded
          {"//other.host/x", "http://other.host/x"},       // scheme-relative
          {"?q=1", "http://example.com/dir/page.html?q=1"},
          {"#frag", "http://example.com/dir/page.html"},
          {"", "http://example.com/dir/page.html"},  // the document itself, as "#x"
          {"   ", "http://example.com/dir/page.html"},
          {"mailto:x@y", std::nullopt},
          {"javascript:void(0)", std::nullopt},
          {"JavaScript:alert(1)", std::nullopt},
          {"data:text/html,x", std::nullopt},
          {"tel:+123", std::nullopt},
          {"ftp://example.com/f", std::nullopt},
          {"HTTP://EXAMPLE.com:80/%7euser/", "http://example.com/~user/"},
          {"https://h:443/", "https://h/"},
          {"http://h:8080", "http://h:8080/"},
          {"/a?b=|^`{}<>\"", "http://example.com/a?b=%7C%5E%60%7B%7D%3C%3E%22"},
          {"/100%/x%zz", "http://example.com/100%25/x%25zz"},  // stray '%' encoded
          {"/a[1]", "http://example.com/a%5B1%5D"},
          {"http://[::1]:8080/x", "http://[::1]:8080/x"},
          {"x?a\\b", "http://example.com/dir/x?a%5Cb"},  // in the query '\' is data
          {"https:/secure/x", "https://secure/x"},          // other special scheme: authority
          {"http:/y", "http://example.com/y"},              // same scheme: path-absolute
          {"///other.host/z", "http://other.host/z"},
          {"a_b:c", "http://example.com/dir/a_b:c"},       // not a scheme: a path
          {"1x:y/z", "http://example.com/dir/1x:y/z"},
          {"  \x01http://h/\x1f ", "http://h/"},
      });
}

TEST(ResolveUrl, SchemeRelativeTakesTheBaseScheme) {
  EXPECT_EQ(resolve_url("https://a.example/x", "//b.example/y"), "https://b.example/y");
}

TEST(ResolveUrl, InvalidBaseGivesNothing) {
  EXPECT_EQ(resolve_url("not a url", "/x"), std::nullopt);
  EXPECT_EQ(resolve_url("/relative", "/x"), std::nullopt);
}

}  // namespace
}  // namespace crawl

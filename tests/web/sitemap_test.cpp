// Sitemap parsing, one test per rule of the sitemaps.org protocol (0.9) plus the hostile inputs
// a crawler meets: gzip, truncation, malformed XML, entity expansion.
#include "web/sitemap.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace crawl {
namespace {

using Urls = std::vector<std::string>;

constexpr const char* kNs = R"(xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")";

std::string urlset(const std::string& body) {
  return std::string(R"(<?xml version="1.0" encoding="UTF-8"?><urlset )") + kNs + ">" + body +
         "</urlset>";
}

std::string gzip(std::string_view data, int level = Z_DEFAULT_COMPRESSION) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(ParseSitemap, UrlsetLocsInDocumentOrder) {
  const Sitemap map = parse_sitemap(urlset(R"(
    <url><loc>http://127.0.0.1/a</loc><lastmod>2024-01-01</lastmod><changefreq>daily</changefreq>
      <priority>0.8</priority></url>
    <url><loc>http://127.0.0.1/b</loc></url>
    <url><loc>http://127.0.0.1/a</loc></url>)"));
  EXPECT_EQ(map.urls, (Urls{"http://127.0.0.1/a", "http://127.0.0.1/b", "http://127.0.0.1/a"}));
  EXPECT_EQ(map.sitemaps, Urls{});
}

TEST(ParseSitemap, SitemapIndexLocsAreSitemaps) {
  const Sitemap map = parse_sitemap(std::string(R"(<?xml version="1.0"?><sitemapindex )") + kNs +
                                    R"(><sitemap><loc>http://127.0.0.1/s1.xml.gz</loc>
      <lastmod>2024-01-01</lastmod></sitemap><sitemap><loc>http://127.0.0.1/s2.xml</loc></sitemap>
    </sitemapindex>)");
  EXPECT_EQ(map.sitemaps, (Urls{"http://127.0.0.1/s1.xml.gz", "http://127.0.0.1/s2.xml"}));
  EXPECT_EQ(map.urls, Urls{});
}

TEST(ParseSitemap, WithoutNamespaceOrWithAPrefix) {
  EXPECT_EQ(parse_sitemap("<urlset><url><loc>http://h/plain</loc></url></urlset>").urls,
            Urls{"http://h/plain"});
  EXPECT_EQ(parse_sitemap(R"(<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sm:url><sm:loc>http://h/prefixed</sm:loc></sm:url></sm:urlset>)").urls,
            Urls{"http://h/prefixed"});
  // Google's pre-standard namespace.
  EXPECT_EQ(parse_sitemap(R"(<urlset xmlns="http://www.google.com/schemas/sitemap/0.84">
      <url><loc>http://h/old</loc></url></urlset>)").urls, Urls{"http://h/old"});
}

TEST(ParseSitemap, WhitespaceIsTrimmedAndEmptyLocsSkipped) {
  EXPECT_EQ(parse_sitemap(urlset("<url><loc>\n\t  http://h/a \r\n</loc></url>"
                                 "<url><loc>   </loc></url><url><loc/></url><url></url>"))
                .urls,
            Urls{"http://h/a"});
}

TEST(ParseSitemap, EntitiesAreDecoded) {
  EXPECT_EQ(parse_sitemap(urlset("<url><loc>http://h/?a=1&amp;b=2&#38;c=&#x33;&lt;&gt;&apos;&quot;"
                                 "</loc></url>"))
                .urls,
            Urls{"http://h/?a=1&b=2&c=3<>'\""});
}

TEST(ParseSitemap, CdataIsText) {
  EXPECT_EQ(parse_sitemap(urlset("<url><loc><![CDATA[http://h/?a=1&b=2]]></loc></url>"
                                 "<url><loc> http://h/<![CDATA[x&y]]>/z </loc></url>"))
                .urls,
            (Urls{"http://h/?a=1&b=2", "http://h/x&y/z"}));
}

TEST(ParseSitemap, DeclaredEncodingIsConvertedToUtf8) {
  const std::string latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                             "<urlset><url><loc>http://h/caf\xE9</loc></url></urlset>";
  EXPECT_EQ(parse_sitemap(latin1).urls, Urls{"http://h/caf\xC3\xA9"});
}

TEST(ParseSitemap, ExtensionsAndMisplacedLocsAreIgnored) {
  const Sitemap map = parse_sitemap(std::string(R"(<urlset )") + kNs + R"(
      xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
      xmlns:xhtml="http://www.w3.org/1999/xhtml" xmlns:other="urn:other">
    <loc>http://h/loc-in-root</loc>
    <url><loc>http://h/page</loc><loc>http://h/second-loc</loc>
      <image:image><image:loc>http://h/image.jpg</image:loc></image:image>
      <xhtml:link rel="alternate" hreflang="de" href="http://h/de"/></url>
    <url><other:loc>http://h/other-namespace</other:loc></url>
    <sitemap><loc>http://h/sitemap-in-urlset</loc></sitemap>
    <other:url><loc>http://h/other-url</loc></other:url>
    <url><wrapper><loc>http://h/nested</loc></wrapper></url>
  </urlset>)");
  EXPECT_EQ(map.urls, Urls{"http://h/page"});
  EXPECT_EQ(map.sitemaps, Urls{});
}

TEST(ParseSitemap, OtherRootElementsGiveNothing) {
  EXPECT_EQ(parse_sitemap("<rss><channel><url><loc>http://h/x</loc></url></channel></rss>").urls,
            Urls{});
  EXPECT_EQ(parse_sitemap("<html><url><loc>http://h/x</loc></url></html>").urls, Urls{});
}

TEST(ParseSitemap, GzipIsInflated) {
  const std::string xml = urlset("<url><loc>http://h/1</loc></url><url><loc>http://h/2</loc></url>");
  EXPECT_EQ(parse_sitemap(gzip(xml)).urls, (Urls{"http://h/1", "http://h/2"}));
}

TEST(ParseSitemap, ConcatenatedGzipMembersAreOneStream) {
  const std::string xml = urlset("<url><loc>http://h/1</loc></url><url><loc>http://h/2</loc></url>");
  const std::size_t cut = xml.find("<url>", xml.find("</url>"));
  EXPECT_EQ(parse_sitemap(gzip(xml.substr(0, cut)) + gzip(xml.substr(cut))).urls,
            (Urls{"http://h/1", "http://h/2"}));
}

TEST(ParseSitemap, TruncatedInputKeepsEveryClosedLoc) {
  std::string xml = urlset("");
  xml.resize(xml.size() - std::string("</urlset>").size());
  for (int i = 0; i < 1000; ++i) xml += "<url><loc>http://h/" + std::to_string(i) + "</loc></url>";
  // Cut inside the 501st <loc>: the first 500 are complete.
  const std::size_t cut = xml.find("http://h/500<") + 10;
  const Urls plain = parse_sitemap(xml.substr(0, cut)).urls;
  ASSERT_EQ(plain.size(), 500u);
  EXPECT_EQ(plain.back(), "http://h/499");
  // Truncated gzip: whatever inflated before the end of the data.
  const std::string packed = gzip(xml, 1);
  const Urls unpacked = parse_sitemap(packed.substr(0, packed.size() / 2)).urls;
  EXPECT_GT(unpacked.size(), 0u);
  EXPECT_LT(unpacked.size(), 1000u);
  for (std::size_t i = 0; i < unpacked.size(); ++i) EXPECT_EQ(unpacked[i], "http://h/" + std::to_string(i));
  // Every cut point of a small document: never a partial URL.
  const std::string small = urlset("<url><loc>http://h/a</loc></url><url><loc>http://h/b</loc></url>");
  for (std::size_t n = 0; n <= small.size(); ++n) {
    for (const std::string& u : parse_sitemap(small.substr(0, n)).urls)
      EXPECT_TRUE(u == "http://h/a" || u == "http://h/b") << n << ": " << u;
  }
}

// Deflate data carries no checksum before the gzip trailer, so bytes inflated from the damaged
// part may reach the parser before zlib reports the damage; the part before it is intact.
TEST(ParseSitemap, CorruptGzipGivesWhatInflatedBeforeTheDamage) {
  std::string xml = urlset("");
  for (int i = 0; i < 20000; ++i) xml.insert(xml.size() - 9, "<url><loc>http://h/" + std::to_string(i) + "</loc></url>");
  std::string packed = gzip(xml);
  for (std::size_t i = packed.size() / 2; i < packed.size() / 2 + 64; ++i) packed[i] = static_cast<char>(~packed[i]);
  const Urls urls = parse_sitemap(packed).urls;
  EXPECT_LT(urls.size(), 20000u);
  ASSERT_GT(urls.size(), 1000u);
  for (std::size_t i = 0; i < 1000; ++i) ASSERT_EQ(urls[i], "http://h/" + std::to_string(i));
  EXPECT_EQ(parse_sitemap(std::string("\x1f\x8b", 2)).urls, Urls{});
  EXPECT_EQ(parse_sitemap(std::string("\x1f\x8bgarbage garbage", 17)).urls, Urls{});
}

// The protocol caps a sitemap at 50 MiB uncompressed; a gzip bomb is read up to there.
// A document of `size` bytes whose last <loc> ends 50 bytes before its end; padded with empty
// elements (libxml2 limits single text and comment nodes to 10 MB, elements are not limited).
std::string sitemap_of_size(std::size_t size) {
  std::string xml = "<urlset><url><loc>http://h/first</loc></url><url>";
  const std::string tail = "<loc>http://h/last</loc></url></urlset>";
  const std::size_t padding = size - xml.size() - tail.size() - 50;
  std::string block;
  for (int i = 0; i < 1024; ++i) block += "<x/>";
  xml.reserve(size);
  for (std::size_t i = 0; i < padding / block.size(); ++i) xml += block;
  xml.append(padding % block.size(), ' ');
  xml += tail;
  xml.append(50, ' ');
  return xml;
}

TEST(ParseSitemap, ReadingStopsAt50MiB) {
  const std::string under = sitemap_of_size(kMaxSitemapBytes);
  EXPECT_EQ(under.size(), kMaxSitemapBytes);
  EXPECT_EQ(parse_sitemap(under).urls, (Urls{"http://h/first", "http://h/last"}));

  // The last <loc> closes 35 bytes past the limit.
  const std::string over = sitemap_of_size(kMaxSitemapBytes + 100);
  EXPECT_EQ(parse_sitemap(over).urls, Urls{"http://h/first"});
  EXPECT_EQ(parse_sitemap(gzip(over, 1)).urls, Urls{"http://h/first"});
}

// gzip of head + block × count + tail, compressed as a stream (the input is never whole).
std::string gzip_repeated(const std::string& head, const std::string& block, std::size_t count,
                          const std::string& tail) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out;
  char buffer[1 << 16];
  const auto push = [&](const std::string& data, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer);
      z.avail_out = sizeof buffer;
      deflate(&z, flush);
      out.append(buffer, sizeof buffer - z.avail_out);
    } while (z.avail_out == 0);
  };
  push(head, Z_NO_FLUSH);
  for (std::size_t i = 0; i < count; ++i) push(block, Z_NO_FLUSH);
  push(tail, Z_FINISH);
  deflateEnd(&z);
  return out;
}

TEST(ParseSitemap, GzipBombCostsAtMost50MiBOfInflating) {
  std::string block;
  for (int i = 0; i < 16384; ++i) block += "<x/>";
  // 256 MiB of XML, the last <loc> at its end.
  const std::string bomb = gzip_repeated("<urlset><url><loc>http://h/first</loc></url><url>", block,
                                         (std::size_t{1} << 28) / block.size(),
                                         "<loc>http://h/last</loc></url></urlset>");
  EXPECT_LT(bomb.size(), 4u << 20);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(parse_sitemap(bomb).urls, Urls{"http://h/first"});
  std::printf("gzip bomb: %zu bytes → 256 MiB, parsed in %.2f s\n", bomb.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

TEST(ParseSitemap, MalformedXmlGivesWhatCameBeforeTheError) {
  EXPECT_EQ(parse_sitemap(urlset("<url><loc>http://h/ok</loc></url><url><loc>http://h/bad</lox></url>"
                                 "<url><loc>http://h/after</loc></url>"))
                .urls,
            Urls{"http://h/ok"});
  // A raw '&' (a common publishing bug) is an error too: better no URL than a mangled one.
  EXPECT_EQ(parse_sitemap(urlset("<url><loc>http://h/ok</loc></url><url><loc>http://h/?a=1&b=2</loc>"
                                 "</url><url><loc>http://h/after</loc></url>"))
                .urls,
            Urls{"http://h/ok"});
}

TEST(ParseSitemap, BillionLaughsIsNotExpanded) {
  const std::string xml = R"(<?xml version="1.0"?>
<!DOCTYPE urlset [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<urlset><url><loc>http://h/before</loc></url><url><loc>http://h/&lol9;</loc></url>
<url><loc>http://h/after</loc></url></urlset>)";
  const auto start = std::chrono::steady_clock::now();
  const Sitemap map = parse_sitemap(xml);
  EXPECT_EQ(map.urls, Urls{"http://h/before"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ParseSitemap, ExternalEntitiesAreNotLoaded) {
  for (const char* system_id : {"file:///etc/hostname", "/etc/hostname", "http://127.0.0.1:1/x"}) {
    const std::string xml = std::string(R"(<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM ")") +
                            system_id + R"(">]><urlset><url><loc>http://h/&xxe;</loc></url></urlset>)";
    EXPECT_EQ(parse_sitemap(xml).urls, Urls{}) << system_id;
  }
  // An external DTD is not fetched either; the document parses without it.
  EXPECT_EQ(parse_sitemap(R"(<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "file:///etc/hostname">
      <urlset><url><loc>http://h/x</loc></url></urlset>)").urls,
            Urls{"http://h/x"});
}

TEST(ParseSitemap, NotXmlGivesNothing) {
  EXPECT_EQ(parse_sitemap("").urls, Urls{});
  EXPECT_EQ(parse_sitemap("http://h/a\nhttp://h/b\n").urls, Urls{});  // text sitemaps: not read
  EXPECT_EQ(parse_sitemap("{\"urlset\": 1}").urls, Urls{});
  EXPECT_EQ(parse_sitemap("<!doctype html><html><body><a href=/x>x</a>").urls, Urls{});
  EXPECT_EQ(parse_sitemap(std::string(1, '\0')).urls, Urls{});
  std::string bytes;
  std::uint32_t state = 7;
  for (int i = 0; i < 100000; ++i) {
    state = state * 1664525u + 1013904223u;
    bytes += static_cast<char>(state >> 24);
  }
  EXPECT_NO_THROW(parse_sitemap(bytes));
  EXPECT_NO_THROW(parse_sitemap("<urlset>" + bytes));
  EXPECT_NO_THROW(parse_sitemap(gzip(bytes)));
}

TEST(ParseSitemap, DeepNestingIsSafe) {
  std::string deep = "<urlset><url>";
  for (int i = 0; i < 100000; ++i) deep += "<x>";
  EXPECT_EQ(parse_sitemap(deep).urls, Urls{});
}

// A gzipped sitemap of 200,000 URLs with a cap of 1,000: the first 1,000
// kept, the rest counted, and the memory held is the 1,000's.
TEST(ParseSitemap, AtMostMaxEntriesAreKeptTheRestCounted) {
  std::string entries;
  for (int i = 0; i < 200'000; ++i) entries += "<url><loc>http://h/" + std::to_string(i) + "</loc></url>";
  const auto map = parse_sitemap(gzip(urlset(entries)), 1000);
  ASSERT_EQ(map.urls.size(), 1000u);
  EXPECT_EQ(map.urls.front(), "http://h/0");
  EXPECT_EQ(map.urls.back(), "http://h/999");
  EXPECT_EQ(map.dropped, 199'000u);
  const auto index = parse_sitemap(
      "<sitemapindex><sitemap><loc>http://h/a.xml</loc></sitemap><sitemap><loc>http://h/b.xml</loc></sitemap>"
      "</sitemapindex>",
      1);
  EXPECT_EQ(index.sitemaps, Urls{"http://h/a.xml"});
  EXPECT_EQ(index.dropped, 1u);
}

TEST(ParseSitemap, ConcurrentUseIsSafe) {
  const std::string xml = gzip(urlset("<url><loc>http://h/1</loc></url>"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&xml] {
      for (int i = 0; i < 300; ++i) EXPECT_EQ(parse_sitemap(xml).urls, Urls{"http://h/1"});
    });
  }
  for (auto& thread : threads) thread.join();
}

}  // namespace
}  // namespace crawl

// Link extraction, one test per rule of the WHATWG HTML standard it relies on.
#include "web/links.h"
#include "web/link_collector.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <optional>
#include <vector>

namespace crawl {
namespace {

using Links = std::vector<std::string>;
constexpr const char* kPage = "http://127.0.0.1:8080/dir/page.html";

TEST(ExtractLinks, HyperlinkElementsAreFollowed) {
  const std::string html = R"(<!doctype html><title>t</title>
    <a href="/a">a</a>
    <map name=m><area href="/area" alt=x></map>
    <iframe src="/iframe"></iframe>
    <p><a href='/b'>b</a> <A HREF=/c>c</A></p>)";
  EXPECT_EQ(extract_links(html, kPage),
            (Links{"http://127.0.0.1:8080/a", "http://127.0.0.1:8080/area",
                   "http://127.0.0.1:8080/iframe", "http://127.0.0.1:8080/b",
                   "http://127.0.0.1:8080/c"}));
}

TEST(ExtractLinks, FramesetFramesAreFollowed) {
  const std::string html = R"(<html><frameset cols="50%,50%">
    <frame src="left.html"><frame src="right.html"></frameset></html>)";
  EXPECT_EQ(extract_links(html, kPage), (Links{"http://127.0.0.1:8080/dir/left.html",
                                               "http://127.0.0.1:8080/dir/right.html"}));
}

TEST(ExtractLinks, ElementsWithoutTheAttributeAreSkipped) {
  EXPECT_EQ(extract_links("<a name=top>x</a><iframe></iframe><area alt=x>", kPage), Links{});
}

TEST(ExtractLinks, RelativeReferencesResolveAgainstThePage) {
  const std::string html = R"(<a href="x">1</a><a href="../up">2</a><a href="//127.0.0.2/o">3</a>
    <a href="?q=1">4</a><a href="sub/./y/../z">5</a><a href="  /sp ace ">6</a>)";
  EXPECT_EQ(extract_links(html, kPage),
            (Links{"http://127.0.0.1:8080/dir/x", "http://127.0.0.1:8080/up",
                   "http://127.0.0.2/o", "http://127.0.0.1:8080/dir/page.html?q=1",
                   "http://127.0.0.1:8080/dir/sub/z", "http://127.0.0.1:8080/sp%20ace"}));
}

TEST(ExtractLinks, CharacterReferencesInAttributesAreDecoded) {
  EXPECT_EQ(extract_links(R"(<a href="/s?a=1&amp;b=2&lt;">x</a>)", kPage),
            Links{"http://127.0.0.1:8080/s?a=1&b=2%3C"});
}

TEST(ExtractLinks, BaseHrefAbsoluteIsTheDocumentBaseUrl) {
  const std::string html =
      R"(<head><base href="http://127.0.0.9/root/"></head><a href="x">x</a><a href="/y">y</a>)";
  EXPECT_EQ(extract_links(html, kPage),
            (Links{"http://127.0.0.9/root/x", "http://127.0.0.9/y"}));
}

TEST(ExtractLinks, BaseHrefRelativeResolvesAgainstThePage) {
  EXPECT_EQ(extract_links(R"(<base href="../other/"><a href="x">x</a>)", kPage),
            Links{"http://127.0.0.1:8080/other/x"});
}

TEST(ExtractLinks, FirstBaseWithHrefWinsEvenAfterTheLinks) {
  const std::string html =
      R"(<a href="x">x</a><base target=_blank><base href="/b1/"><base href="/b2/">)";
  EXPECT_EQ(extract_links(html, kPage), Links{"http://127.0.0.1:8080/b1/x"});
}

TEST(ExtractLinks, BaseHrefThatDoesNotResolveFallsBackToThePage) {
  EXPECT_EQ(extract_links(R"(<base href="javascript:0"><a href="x">x</a>)", kPage),
            Links{"http://127.0.0.1:8080/dir/x"});
}

TEST(ExtractLinks, FragmentsAreDroppedAndSamePageLinksAreThePage) {
  const std::string html = R"(<a href="#top">1</a><a href="other#s">2</a><a href="#">3</a>)";
  EXPECT_EQ(extract_links(html, kPage),
            (Links{"http://127.0.0.1:8080/dir/page.html", "http://127.0.0.1:8080/dir/other"}));
}

TEST(ExtractLinks, NonHttpSchemesAndEmptyHrefsAreSkipped) {
  const std::string html = R"html(<a href="mailto:x@y">m</a><a href="javascript:void(0)">j</a>
    <a href="data:text/html,x">d</a><a href="tel:1">t</a><a href="ftp://h/f">f</a><a href="">e</a>
    <iframe src="about:blank"></iframe><a href="https://h/ok">ok</a>)html";
  EXPECT_EQ(extract_links(html, kPage), Links{"https://h/ok"});
}

TEST(ExtractLinks, DuplicatesAreRemovedKeepingDocumentOrder) {
  const std::string html = R"(<a href="/b">1</a><a href="/a">2</a><a href="/b#x">3</a>
    <a href="HTTP://127.0.0.1:8080/a">4</a><a href="/c">5</a>)";
  EXPECT_EQ(extract_links(html, kPage),
            (Links{"http://127.0.0.1:8080/b", "http://127.0.0.1:8080/a",
                   "http://127.0.0.1:8080/c"}));
}

TEST(ExtractLinks, ResourcesAreNotLinks) {
  const std::string html = R"(<head><link rel=stylesheet href="/s.css"><link rel=next href="/n">
    <script src="/s.js"></script></head><body><img src="/i.png"><video src="/v.mp4"></video>
    <form action="/f"></form><embed src="/e"><object data="/o"></object></body>)";
  EXPECT_EQ(extract_links(html, kPage), Links{});
}

TEST(ExtractLinks, MarkupInsideRawTextAndCommentsIsNotParsed) {
  const std::string html = R"(<script>document.write('<a href="/s">')</script>
    <!-- <a href="/c"> --><textarea><a href="/t"></textarea><a href="/real">r</a>)";
  EXPECT_EQ(extract_links(html, kPage), Links{"http://127.0.0.1:8080/real"});
}

// SVG 2 <a href> in inline SVG is a link a browser follows on click.
TEST(ExtractLinks, InlineSvgLinksAreFollowedLikeBrowsersDo) {
  EXPECT_EQ(extract_links(R"(<svg><a href="/svg"><text>x</text></a></svg>)", kPage),
            Links{"http://127.0.0.1:8080/svg"});
}

TEST(ExtractLinks, MalformedHtmlIsRepairedLikeBrowsersDo) {
  const std::string html = R"(<table><a href="/fostered">x</a><tr><td><a href=/cell>y</table>
    <a href="/unclosed"><div><a href="/nested-a">z)";
  EXPECT_EQ(extract_links(html, kPage),
            (Links{"http://127.0.0.1:8080/fostered", "http://127.0.0.1:8080/cell",
                   "http://127.0.0.1:8080/unclosed", "http://127.0.0.1:8080/nested-a"}));
}

TEST(ExtractLinks, EmptyAndNonHtmlInputGiveNoLinks) {
  EXPECT_EQ(extract_links("", kPage), Links{});
  EXPECT_EQ(extract_links("just text, no markup", kPage), Links{});
  EXPECT_EQ(extract_links("{\"json\": [1, 2, \"<a\"]}", kPage), Links{});
}

TEST(ExtractLinks, ArbitraryBytesDoNotCrash) {
  std::string bytes;
  std::uint32_t state = 12345;  // deterministic LCG
  for (int i = 0; i < 200000; ++i) {
    state = state * 1664525u + 1013904223u;
    bytes += static_cast<char>(state >> 24);
  }
  EXPECT_NO_THROW(extract_links(bytes, kPage));
  // Every byte value, NULs included, inside and around markup.
  std::string all;
  for (int c = 0; c < 256; ++c) all += "<a href=\"/" + std::string(1, static_cast<char>(c)) + "\">";
  EXPECT_FALSE(extract_links(all, kPage).empty());
  EXPECT_NO_THROW(extract_links(std::string("<a href=\"\0/x\">\0</a", 18), kPage));
  EXPECT_NO_THROW(extract_links("<", kPage));
  EXPECT_NO_THROW(extract_links("</", kPage));
  EXPECT_NO_THROW(extract_links("<!--", kPage));
  EXPECT_NO_THROW(extract_links("<a href=", kPage));
}

TEST(ExtractLinks, HugeAttributeValueIsHandled) {
  const std::string value(2'000'000, 'x');
  const Links links = extract_links("<a href=\"/" + value + "\">x</a><a href=/after>y</a>", kPage);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].size(), std::string("http://127.0.0.1:8080/").size() + value.size());
  EXPECT_EQ(links[1], "http://127.0.0.1:8080/after");
}

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Deep nesting must cost neither time nor stack, nor lose a link. (Written against gumbo, whose
// cost grew with depth × elements and whose teardown recursed; kept for any parser.)
TEST(ExtractLinks, DeeplyNestedDocumentWorks) {
  const std::string html = repeat("<div>", 100'000) + "<a href=/deep>d</a>" +
                           repeat("</div>", 100'000) + "<a href=/after>a</a>";
  EXPECT_EQ(extract_links(html, kPage),
            (Links{"http://127.0.0.1:8080/deep", "http://127.0.0.1:8080/after"}));
}

TEST(ExtractLinks, DeeplyNestedLinksAreAllFound) {
  std::string html;
  for (int i = 0; i < 2000; ++i) html += "<span><a href=/" + std::to_string(i) + ">x</a>";
  const Links links = extract_links(html, kPage);
  ASSERT_EQ(links.size(), 2000u);
  EXPECT_EQ(links.back(), "http://127.0.0.1:8080/1999");
}

TEST(ExtractLinks, VeryDeepInlineNestingDoesNotOverflowTheStack) {
  EXPECT_EQ(extract_links(repeat("<b>", 400'000) + "<a href=/x>x</a>", kPage),
            Links{"http://127.0.0.1:8080/x"});
  // Inside <svg>, <title> is an element, not text: 400k open elements after it.
  EXPECT_EQ(extract_links("<svg><title>" + repeat("<g>", 400'000), kPage), Links{});
}

// --- Robots directives: rel=nofollow (WHATWG HTML "link type nofollow"), <meta name=robots>
// (robots meta tag as specified by Google and Bing), X-Robots-Tag values. ---

TEST(ExtractPageLinks, LinksAreWhatExtractLinksReturns) {
  const std::string html = R"(<a href="/a">a</a><iframe src="/f"></iframe><a href="/a">again</a>)";
  const PageLinks page = extract_page_links(html, kPage);
  EXPECT_EQ(page.links, extract_links(html, kPage));
  EXPECT_EQ(page.links, (Links{"http://127.0.0.1:8080/a", "http://127.0.0.1:8080/f"}));
  EXPECT_EQ(page.nofollow_links, Links{});
  EXPECT_FALSE(page.meta_nofollow);
  EXPECT_FALSE(page.meta_noindex);
}

TEST(ExtractPageLinks, RelNofollowOnAAndAreaGoesToNofollowLinks) {
  const std::string html = R"(<a href="/a" rel="nofollow">a</a><a href="/b">b</a>
    <map><area href="/area" rel=nofollow></map>)";
  const PageLinks page = extract_page_links(html, kPage);
  EXPECT_EQ(page.links, Links{"http://127.0.0.1:8080/b"});
  EXPECT_EQ(page.nofollow_links,
            (Links{"http://127.0.0.1:8080/a", "http://127.0.0.1:8080/area"}));
  EXPECT_EQ(extract_links(html, kPage), Links{"http://127.0.0.1:8080/b"});
}

TEST(ExtractPageLinks, RelIsASpaceSeparatedCaseInsensitiveTokenSet) {
  const std::string html = R"(<a href="/1" rel="noopener NoFollow">1</a>
    <a href="/2" rel="  external&#9;nofollow  ">2</a><a href="/3" rel="nofollowed">3</a>
    <a href="/4" rel="no-follow">4</a><a href="/5" rel="">5</a><a href="/6" rel="ugc sponsored">6</a>
    <a href="/7" rel="nofollow,noopener">7</a>)";
  const PageLinks page = extract_page_links(html, kPage);
  EXPECT_EQ(page.nofollow_links, (Links{"http://127.0.0.1:8080/1", "http://127.0.0.1:8080/2"}));
  EXPECT_EQ(page.links, (Links{"http://127.0.0.1:8080/3", "http://127.0.0.1:8080/4",
                               "http://127.0.0.1:8080/5", "http://127.0.0.1:8080/6",
                               "http://127.0.0.1:8080/7"}));
}

TEST(ExtractPageLinks, RelDoesNotApplyToFrames) {
  const PageLinks page = extract_page_links(R"(<iframe src="/f" rel="nofollow"></iframe>)", kPage);
  EXPECT_EQ(page.links, Links{"http://127.0.0.1:8080/f"});
  EXPECT_EQ(page.nofollow_links, Links{});
}

TEST(ExtractPageLinks, AUrlLinkedBothWaysIsFollowable) {
  const std::string html = R"(<a href="/x" rel="nofollow">1</a><a href="/y" rel=nofollow>2</a>
    <a href="/x#frag">3</a><a href="/y" rel=nofollow>4</a>)";
  const PageLinks page = extract_page_links(html, kPage);
  EXPECT_EQ(page.links, Links{"http://127.0.0.1:8080/x"});
  EXPECT_EQ(page.nofollow_links, Links{"http://127.0.0.1:8080/y"});  // deduplicated too
}

TEST(ExtractPageLinks, NofollowLinksAreResolvedLikeOthers) {
  const std::string html = R"(<base href="/base/"><a href="x" rel=nofollow>1</a>
    <a href="mailto:a@b" rel=nofollow>2</a><a href="" rel=nofollow>3</a>)";
  EXPECT_EQ(extract_page_links(html, kPage).nofollow_links, Links{"http://127.0.0.1:8080/base/x"});
}

TEST(ExtractPageLinks, MetaRobotsSetsTheFlags) {
  const auto flags = [](const std::string& html, std::string_view token = "") {
    const PageLinks page = extract_page_links(html, kPage, token);
    return std::pair{page.meta_nofollow, page.meta_noindex};
  };
  using Flags = std::pair<bool, bool>;  // {nofollow, noindex}
  EXPECT_EQ(flags(R"(<meta name="robots" content="nofollow">)"), Flags(true, false));
  EXPECT_EQ(flags(R"(<meta name="robots" content="noindex">)"), Flags(false, true));
  EXPECT_EQ(flags(R"(<meta name="robots" content="noindex, nofollow">)"), Flags(true, true));
  EXPECT_EQ(flags(R"(<meta name="robots" content="none">)"), Flags(true, true));
  EXPECT_EQ(flags(R"(<meta name="robots" content="all">)"), Flags(false, false));
  EXPECT_EQ(flags(R"(<meta name="robots" content="index,follow">)"), Flags(false, false));
  EXPECT_EQ(flags(R"(<META NAME="ROBOTS" CONTENT="NOINDEX,NOFOLLOW">)"), Flags(true, true));
  EXPECT_EQ(flags(R"(<meta name=" Robots " content="  noindex  ,noarchive ">)"), Flags(false, true));
  EXPECT_EQ(flags(R"(<meta name="description" content="nofollow noindex">)"), Flags(false, false));
  EXPECT_EQ(flags(R"(<meta name="robots">)"), Flags(false, false));
  EXPECT_EQ(flags(R"(<meta content="none">)"), Flags(false, false));
  // Several tags add up, wherever they are.
  EXPECT_EQ(flags(R"(<meta name=robots content=noindex><body><meta name=robots content=nofollow>)"),
            Flags(true, true));
}

TEST(ExtractPageLinks, MetaNamedAfterOurRobotsTokenCounts) {
  const std::string html = R"(<meta name="CrawlBot" content="noindex">
    <meta name="otherbot" content="nofollow">)";
  EXPECT_FALSE(extract_page_links(html, kPage).meta_noindex);  // no token: only "robots"
  const PageLinks ours = extract_page_links(html, kPage, "crawlbot");
  EXPECT_TRUE(ours.meta_noindex);
  EXPECT_FALSE(ours.meta_nofollow);
  EXPECT_TRUE(extract_page_links(html, kPage, "otherbot").meta_nofollow);
}

TEST(ExtractPageLinks, MetaNofollowKeepsReportingLinks) {
  const PageLinks page = extract_page_links(
      R"(<meta name=robots content=nofollow><a href="/a">a</a><a href="/b" rel=nofollow>b</a>)", kPage);
  EXPECT_TRUE(page.meta_nofollow);
  EXPECT_EQ(page.links, Links{"http://127.0.0.1:8080/a"});
  EXPECT_EQ(page.nofollow_links, Links{"http://127.0.0.1:8080/b"});
}

TEST(ExtractPageLinks, MetaInsideRawTextIsNotParsed) {
  const PageLinks page = extract_page_links(
      R"(<script>x = '<meta name="robots" content="none">'</script><!-- <meta name=robots content=none> -->
      <textarea><meta name=robots content=none></textarea>)", kPage);
  EXPECT_FALSE(page.meta_nofollow);
  EXPECT_FALSE(page.meta_noindex);
}

struct Directives {
  bool nofollow = false;
  bool noindex = false;
  bool operator==(const Directives&) const = default;
};

Directives directives(std::string_view value, std::string_view token = "crawlbot") {
  Directives d;
  apply_robots_directives(value, token, d.nofollow, d.noindex);
  return d;
}

TEST(ApplyRobotsDirectives, PlainLists) {
  EXPECT_EQ(directives("noindex"), (Directives{false, true}));
  EXPECT_EQ(directives("nofollow"), (Directives{true, false}));
  EXPECT_EQ(directives("noindex, nofollow"), (Directives{true, true}));
  EXPECT_EQ(directives("none"), (Directives{true, true}));
  EXPECT_EQ(directives("NoIndex,NOFOLLOW"), (Directives{true, true}));
  EXPECT_EQ(directives(" noindex , noarchive "), (Directives{false, true}));
  EXPECT_EQ(directives("all"), (Directives{}));
  EXPECT_EQ(directives(""), (Directives{}));
  EXPECT_EQ(directives(",,"), (Directives{}));
  EXPECT_EQ(directives("noindexnofollow"), (Directives{}));
  EXPECT_EQ(directives("noindex nofollow"), (Directives{}));  // comma-separated only
}

TEST(ApplyRobotsDirectives, UserAgentPrefixScopesTheDirectivesAfterIt) {
  EXPECT_EQ(directives("crawlbot: noindex"), (Directives{false, true}));
  EXPECT_EQ(directives("CrawlBot:nofollow"), (Directives{true, false}));
  EXPECT_EQ(directives("crawlbot: noindex, nofollow"), (Directives{true, true}));
  EXPECT_EQ(directives("googlebot: noindex"), (Directives{}));
  EXPECT_EQ(directives("googlebot: noindex, nofollow"), (Directives{}));
  EXPECT_EQ(directives("googlebot: none, crawlbot: nofollow"), (Directives{true, false}));
  EXPECT_EQ(directives("crawlbot: nofollow, googlebot: noindex"), (Directives{true, false}));
  EXPECT_EQ(directives("googlebot: noindex", "googlebot"), (Directives{false, true}));
  // Without a token of our own, scoped directives are for someone else.
  EXPECT_EQ(directives("crawlbot: noindex", ""), (Directives{}));
  EXPECT_EQ(directives("noindex", ""), (Directives{false, true}));
}

TEST(ApplyRobotsDirectives, ValuedDirectivesAreNotUserAgents) {
  EXPECT_EQ(directives("max-snippet: 20, noindex"), (Directives{false, true}));
  EXPECT_EQ(directives("unavailable_after: Sunday, 01-Sep-24 15:00:00 PST, nofollow"),
            (Directives{true, false}));
  EXPECT_EQ(directives("unavailable_after: 2024-09-01, noindex"), (Directives{false, true}));
  EXPECT_EQ(directives("googlebot: max-image-preview: large, noindex"), (Directives{}));
}

TEST(ApplyRobotsDirectives, NeverClearsFlags) {
  Directives d{true, true};
  apply_robots_directives("all, index, follow", "crawlbot", d.nofollow, d.noindex);
  EXPECT_EQ(d, (Directives{true, true}));
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

TEST(SerializedPageLinks, RoundTripAndRejectsOtherText) {
  PageLinks links;
  links.links = {"http://a.test/", "http://a.test/x?y=1&z=%0A"};
  links.nofollow_links = {"http://b.test/n"};
  links.meta_noindex = true;
  const std::string text = serialize_page_links(links);
  const auto back = parse_page_links(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->links, links.links);
  EXPECT_EQ(back->nofollow_links, links.nofollow_links);
  EXPECT_FALSE(back->meta_nofollow);
  EXPECT_TRUE(back->meta_noindex);
  const auto empty = parse_page_links(serialize_page_links(PageLinks{}));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->links.empty());
  for (const char* bad : {"", "<html>", "crawl-links 2 -", "crawl-links 1 -\nhttp://x/"})
    EXPECT_FALSE(parse_page_links(bad).has_value()) << bad;
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

TEST(ContentTypeCharset, ReadsTheParameter) {
  EXPECT_EQ(content_type_charset("text/html; charset=UTF-8"), "utf-8");
  EXPECT_EQ(content_type_charset("text/html;charset=\"ISO-8859-1\""), "iso-8859-1");
  EXPECT_EQ(content_type_charset("text/html; q=1; charset=windows-1252 ; x=y"), "windows-1252");
  EXPECT_EQ(content_type_charset("text/html"), "");
  EXPECT_EQ(content_type_charset(""), "");
}

// The HTTP charset decides how hrefs are read: a UTF-8 page that says so
// only in its Content-Type has its non-ASCII links read as UTF-8 (they were
// read as Latin-1: /café became /caf%C3%83%C2%A9); the header wins over a
// <meta charset> that contradicts it; without either, the document decides.
TEST(ExtractLinksCharset, HttpCharsetWinsAndUtf8IsReadAsUtf8) {
  const std::string utf8 = "<html><body><a href=\"/caf\xC3\xA9\">x</a></body></html>";
  EXPECT_EQ(extract_page_links(utf8, "http://h.test/", "", "utf-8").links, Links{"http://h.test/caf%C3%A9"});
  const std::string latin1 = "<html><body><a href=\"/caf\xE9\">x</a></body></html>";
  EXPECT_EQ(extract_page_links(latin1, "http://h.test/", "", "iso-8859-1").links, Links{"http://h.test/caf%C3%A9"});
  const std::string meta_lies = "<html><head><meta charset=\"iso-8859-1\"></head><body><a href=\"/caf\xC3\xA9\">x</a>";
  EXPECT_EQ(extract_page_links(meta_lies, "http://h.test/", "", "utf-8").links, Links{"http://h.test/caf%C3%A9"});
  const std::string meta_utf8 = "<html><head><meta charset=\"utf-8\"></head><body><a href=\"/caf\xC3\xA9\">x</a>";
  EXPECT_EQ(extract_page_links(meta_utf8, "http://h.test/").links, Links{"http://h.test/caf%C3%A9"});
  EXPECT_EQ(extract_page_links(utf8, "http://h.test/", "", "no-such-charset").links.size(), 1u);
}

TEST(ExtractLinksCharset, MetaThenSniffingThenBomWins) {
  const Links cafe{"http://h.test/caf%C3%A9"};
  // <meta charset="iso-8859-1"> is windows-1252 (WHATWG labels): 0x80 is the euro sign.
  const std::string meta_latin1 =
      "<html><head><meta charset=\"iso-8859-1\"></head><body><a href=\"/caf\xE9\x80\">x</a>";
  EXPECT_EQ(extract_page_links(meta_latin1, "http://h.test/").links, Links{"http://h.test/caf%C3%A9%E2%82%AC"});
  // No declaration: valid UTF-8 is read as UTF-8, anything else as windows-1252.
  EXPECT_EQ(extract_page_links("<a href=\"/caf\xC3\xA9\">x</a>", "http://h.test/").links, cafe);
  EXPECT_EQ(extract_page_links("<a href=\"/caf\xE9\">x</a>", "http://h.test/").links, cafe);
  // A BOM wins over the header and the <meta>.
  const std::string bom = "\xEF\xBB\xBF<meta charset=\"iso-8859-1\"><a href=\"/caf\xC3\xA9\">x</a>";
  EXPECT_EQ(extract_page_links(bom, "http://h.test/", "", "windows-1252").links, cafe);
  // A NUL in an href reads as U+FFFD, not as the end of the value.
  EXPECT_EQ(extract_page_links(std::string("<a href=\"/a\0b\">x</a>", 20), "http://h.test/").links,
            Links{"http://h.test/a%EF%BF%BDb"});
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

// --- The reference extractor (gumbo's HTML5 tree): the same contract, the tree rules to the
// letter. tests/web/links_differential_test.cpp compares it with the default. ---

constexpr const char* kGumboPage = "http://127.0.0.1:8080/dir/page.html";

TEST(ExtractPageLinksGumbo, SameContractAsTheDefault) {
  const std::string html = R"(<base href="/b/"><meta name=robots content=noindex>
    <a href="x" rel="nofollow">1</a><a href="y">2</a><area href="x"><iframe src="f"></iframe>
    <a href="mailto:a@b">m</a><a href="">e</a><a href="y#frag">3</a>)";
  const PageLinks gumbo = extract_page_links_gumbo(html, kGumboPage);
  const PageLinks fast = extract_page_links(html, kGumboPage);
  EXPECT_EQ(gumbo.links, (Links{"http://127.0.0.1:8080/b/y", "http://127.0.0.1:8080/b/x",
                                "http://127.0.0.1:8080/b/f"}));
  EXPECT_EQ(gumbo.links, fast.links);
  EXPECT_EQ(gumbo.nofollow_links, fast.nofollow_links);
  EXPECT_TRUE(gumbo.meta_noindex);
  EXPECT_FALSE(gumbo.meta_nofollow);
}

// HTML "in body" insertion mode: a <frame> start tag outside a frameset is ignored; in a
// <frameset> it is an element.
TEST(ExtractPageLinksGumbo, FramesCountOnlyInAFrameset) {
  EXPECT_EQ(extract_page_links_gumbo("<body><frame src=/f>", kGumboPage).links, Links{});
  EXPECT_EQ(extract_page_links_gumbo("<frameset><frame src=/f></frameset>", kGumboPage).links,
            Links{"http://127.0.0.1:8080/f"});
}

// Foreign content: SVG's <a href> is a hyperlink, MathML's <a> is not an element of HTML's;
// xlink:href is a namespaced attribute, not href.
TEST(ExtractPageLinksGumbo, ForeignContentLinks) {
  EXPECT_EQ(extract_page_links_gumbo("<svg><a href=/s>x</a><a xlink:href=/x>y</a></svg>", kGumboPage).links,
            Links{"http://127.0.0.1:8080/s"});
  EXPECT_EQ(extract_page_links_gumbo("<math><a href=/m>x</a></math>", kGumboPage).links, Links{});
}

// Raw text and RCDATA: the content of <script>, <style>, <textarea>, <title>, <xmp>, <iframe>,
// <noembed>, <noframes> and <plaintext> is text.
TEST(ExtractPageLinksGumbo, MarkupInRawTextIsText) {
  for (const char* tag : {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}) {
    const std::string html = std::string("<") + tag + "><a href=/in></" + tag + "><a href=/out>";
    EXPECT_EQ(extract_page_links_gumbo(html, kGumboPage).links, Links{"http://127.0.0.1:8080/out"}) << tag;
  }
  EXPECT_EQ(extract_page_links_gumbo("<plaintext></plaintext><a href=/in>", kGumboPage).links, Links{});
}

// gumbo frees its tree recursively: the extractor unlinks the tree as it walks it, so a page
// nested as deep as a browser builds loses no link (and one of 400,000 nested elements
// neither overflows the stack nor loses a link: it is read without a tree, below).
TEST(ExtractPageLinksGumbo, DeepNestingDoesNotOverflowTheStack) {
  const PageLinks at_limit = extract_page_links_gumbo(repeat("<span>", kMaxTreeDepth - 3) + "<a href=/deep>d</a>", kGumboPage);
  EXPECT_FALSE(at_limit.read_without_tree);
  EXPECT_EQ(at_limit.links, Links{"http://127.0.0.1:8080/deep"});
  const PageLinks deeper = extract_page_links_gumbo(repeat("<span>", 400'000) + "<a href=/deep>d</a>", kGumboPage);
  EXPECT_TRUE(deeper.read_without_tree);
  EXPECT_EQ(deeper.links, Links{"http://127.0.0.1:8080/deep"});
}

// gumbo's time grows with depth x tags: 20,000 nested <div> took it 1 s, 1,000,000 (5 MB)
// more than 20 minutes, as did 200,000 unclosed <a href><b><i><font>; 6,000 "<p><b id=N>x</p>"
// (112 KB: each </p> leaves its <b> among the active formatting elements, reopened in full
// before each text) 36 s and 6.7 GB. A page nesting deeper than a browser builds
// (kMaxTreeDepth) or leaving hundreds of formatting elements open is read by the html5
// extractor instead, in linear time, with the same links.
TEST(ExtractPageLinksGumbo, APageNestedPastWhatABrowserBuildsIsReadWithoutATree) {
  const std::string divs = "<body>" + repeat("<div>", 1'000'000) + "<a href=/div>d</a>";
  std::string formatting = "<body>";
  for (int i = 0; i < 200'000; ++i) formatting += "<a href=\"/f" + std::to_string(i % 3) + "\"><b><i><font>";
  std::string reopened = "<body>";
  for (int i = 0; i < 6'000; ++i) reopened += "<p><b id=" + std::to_string(i) + ">x</p>";
  reopened += "<a href=/r>r</a>";
  for (const std::string* html : std::vector<const std::string*>{&divs, &formatting, &reopened}) {
    const PageLinks gumbo = extract_page_links_gumbo(*html, kGumboPage);
    EXPECT_TRUE(gumbo.read_without_tree);
    const PageLinks html5 = extract_page_links_html5(*html, kGumboPage);
    EXPECT_EQ(gumbo.links, html5.links);
    EXPECT_FALSE(gumbo.links.empty());
  }
}

// What real markup leaves open does not trip the guard: siblings that close each other (p,
// li, dt/dd, option, table rows and cells), void elements, self-closing void syntax, tags in
// comments, scripts and styles, and end tags that close what they can.
TEST(ExtractPageLinksGumbo, RealMarkupKeepsItsTree) {
  std::string html = "<!DOCTYPE html><html><head><title>t</title><style>a<b{}</style></head><body>";
  html += "<table>" + repeat("<tr><td>a<td>b<th>c", 5000) + "</table>";
  html += "<ul>" + repeat("<li>x<br><img src=i.png><input/>", 5000) + "</ul>";
  html += "<dl>" + repeat("<dt>t<dd>d", 5000) + "</dl><select>" + repeat("<option>o", 5000) + "</select>";
  html += repeat("<p>para <b>bold</b> <!-- <div><div> --><script>if (a<b && c<d) x();</script>", 5000);
  html += repeat("<div><span><i>x</i></span></div>", 5000);
  html += repeat("<b>unclosed, alike: 3 kept", 300) + "</p>";  // the Noah's Ark clause (300 deep)
  html += "<table><tr>";
  for (int i = 0; i < 1000; ++i) html += "<td><font size=" + std::to_string(i) + ">cell";  // a cell starts anew
  html += "</table><a href=/end>e</a></body></html>";
  const PageLinks gumbo = extract_page_links_gumbo(html, kGumboPage);
  EXPECT_FALSE(gumbo.read_without_tree);
  EXPECT_EQ(gumbo.links, Links{"http://127.0.0.1:8080/end"});
}

TEST(ExtractPageLinksGumbo, ArbitraryBytesAndCharsets) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += "<a href=\"/" + std::string(1, static_cast<char>(c)) + "\">";
  EXPECT_GT(extract_page_links_gumbo(all, kGumboPage).links.size(), 200u);
  EXPECT_EQ(extract_page_links_gumbo("<a href=\"/caf\xE9\">x</a>", "http://h.test/", "", "iso-8859-1").links,
            Links{"http://h.test/caf%C3%A9"});
  EXPECT_EQ(extract_page_links_gumbo(std::string("<a href=\"/a\0b\">x</a>", 20), "http://h.test/").links,
            Links{"http://h.test/a%EF%BF%BDb"});
  EXPECT_NO_THROW(extract_page_links_gumbo("<", kGumboPage));
  EXPECT_NO_THROW(extract_page_links_gumbo("", kGumboPage));
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

// <meta http-equiv="refresh">: HTML's "shared declarative refresh steps" find its URL; every
// extractor follows it like a link (Heritrix, wget and Scrapy follow meta refresh redirects).
TEST(MetaRefresh, TheUrlIsFoundAsHtmlFindsIt) {
  using detail::LinkCollector;
  const std::vector<std::pair<std::string_view, std::optional<std::string_view>>> cases = {
      {"0; url=/a", "/a"},
      {"0;URL='/b'", "/b"},
      {"  5 , url = \"/c\" tail", "/c"},
      {"0; /d", "/d"},                // no "url=": the rest is the URL
      {"0 '/e' x", "/e"},             // quotes skipped without "url=" too
      {"3.5; url=/f", "/f"},          // digits and dots: the time
      {".5; url=/g", "/g"},
      {"0; url='/h", "/h"},           // an unclosed quote: to the end
      {"0; url=/i'j", "/i'j"},        // a quote not at the start is the URL's
      {"0; urx=/k", "urx=/k"},        // not "url": the whole rest is parsed
      {"0; url /l", "url /l"},        // "url" without "=": the same
      {"0", std::nullopt},            // a reload of the page itself
      {"0;  ", std::nullopt},
      {"x; url=/m", std::nullopt},    // no time
      {"0x; url=/n", std::nullopt},   // the time must end at ; , or a space
      {"", std::nullopt},
  };
  for (const auto& [content, url] : cases) EXPECT_EQ(LinkCollector::refresh_url(content), url) << content;
}

TEST(MetaRefresh, EveryExtractorFollowsIt) {
  const std::string html = R"(<!doctype html><html><head>
    <meta http-equiv="Refresh" content="0; url=moved.html">
    <meta http-equiv="content-type" content="0; url=/not-a-refresh">
    <meta name="refresh" content="0; url=/not-http-equiv">
    <base href="/base/"></head><body><a href="/a">a</a>
    <meta http-equiv=refresh content="10;URL=&quot;/in-body&quot;">
    <meta http-equiv=refresh content="30">
    <template><meta http-equiv=refresh content="0; url=/in-template"></template>
    <script><meta http-equiv=refresh content="0; url=/in-script"></script></body></html>)";
  // In <template> too, as its <a href> are (the extractors read a template's content as markup).
  const Links expected = {"http://127.0.0.1:8080/base/moved.html", "http://127.0.0.1:8080/a",
                          "http://127.0.0.1:8080/in-body", "http://127.0.0.1:8080/in-template"};
  EXPECT_EQ(extract_page_links_html5(html, kGumboPage).links, expected);
  EXPECT_EQ(extract_page_links_gumbo(html, kGumboPage).links, expected);
  EXPECT_EQ(extract_page_links(html, kGumboPage).links, expected);
}

}  // namespace
}  // namespace crawl

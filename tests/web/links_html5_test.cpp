// extract_page_links_html5 (web/links_html5.cpp): the WHATWG HTML tokenizer states and the
// tree-construction rules it implements, one test per rule, named after the standard's section
// (https://html.spec.whatwg.org/multipage/parsing.html). Every case also runs gumbo, the
// reference, and expects it to agree (the differential test covers the html5lib suites).
#include "web/links.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace crawl {
namespace {

using Links = std::vector<std::string>;
constexpr std::string_view kPage = "http://127.0.0.1/dir/page.html";

// The followable links of `html` by the HTML5 tokenizer, checked against gumbo's.
Links links(std::string_view html) {
  const PageLinks ours = extract_page_links_html5(html, kPage, "crawlbot", "utf-8");
  const PageLinks gumbo = extract_page_links_gumbo(html, kPage, "crawlbot", "utf-8");
  EXPECT_EQ(ours.links, gumbo.links) << "gumbo disagrees on: " << html;
  EXPECT_EQ(ours.nofollow_links, gumbo.nofollow_links) << "gumbo disagrees on: " << html;
  EXPECT_EQ(ours.meta_nofollow, gumbo.meta_nofollow) << "gumbo disagrees on: " << html;
  EXPECT_EQ(ours.meta_noindex, gumbo.meta_noindex) << "gumbo disagrees on: " << html;
  return ours.links;
}

// The one link a document is expected to have, "http://127.0.0.1/" + path.
Links one(std::string_view path) { return {"http://127.0.0.1/" + std::string(path)}; }

struct Case {
  std::string_view html;
  Links expected;
};

void check(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.html);
    EXPECT_EQ(links(c.html), c.expected);
  }
}

TEST(Html5Tokenizer, CommentStatesEndAtTheRightPlace) {
  check({
      {"<!-- <a href=/no> --><a href=/yes>", one("yes")},
      {"<!--><a href=/yes>", one("yes")},           // abrupt closing of empty comment
      {"<!---><a href=/yes>", one("yes")},          // the same, with one dash
      {"<!----><a href=/yes>", one("yes")},
      {"<!-- x --!><a href=/yes>", one("yes")},     // comment end bang
      {"<!-- x --!-><a href=/no>--><a href=/yes>", one("yes")},
      {"<!-- x ---><a href=/yes>", one("yes")},     // extra dashes before '>'
      {"<!-- <!-- nested --><a href=/yes>", one("yes")},
      {"<!--<!--><a href=/yes>", one("yes")},
      {"<!-- - -> <a href=/no> --><a href=/yes>", one("yes")},
      {"<!-- unterminated <a href=/no>", {}},
  });
}

TEST(Html5Tokenizer, BogusCommentsAndDoctypeEndAtTheFirstGreaterThan) {
  check({
      {"<? php <a href=/no> ?><a href=/yes>", Links{"http://127.0.0.1/yes"}},  // '?' ends at the first '>'
      {"<!DOCTYPE html PUBLIC \"a>b\"><a href=/yes>", one("yes")},
      {"<!x <a href=/no>", {}},
      {"</3 <a href=/no>><a href=/yes>", one("yes")},  // end tag open, not a letter: bogus comment
      {"</><a href=/yes>", one("yes")},
  });
}

TEST(Html5Tokenizer, CdataSectionsOnlyInForeignContent) {
  check({
      {"<svg><![CDATA[ <a href=/no> ]]><a href=/yes></svg>", one("yes")},
      // Outside foreign content "<![CDATA[" is a bogus comment, ending at the first '>'.
      {"<div><![CDATA[ <a href=/no> ]]><a href=/yes>", Links{"http://127.0.0.1/yes"}},
      {"<![CDATA[x]]><a href=/yes>", one("yes")},
      {"<math><![CDATA[ <a href=/no> ]]></math><a href=/yes>", one("yes")},
  });
}

TEST(Html5Tokenizer, RcdataEndsOnlyAtItsOwnEndTag) {
  check({
      {"<title><a href=/no></title><a href=/yes>", one("yes")},
      {"<textarea><!-- </textarea><a href=/yes> -->", one("yes")},  // no comments in RCDATA
      {"<title></titlex><a href=/no></TITLE ><a href=/yes>", one("yes")},
      {"<textarea></title><a href=/no></textarea><a href=/yes>", one("yes")},
      {"<title></title foo='>'><a href=/yes>", one("yes")},  // an end tag's attributes are read
  });
}

TEST(Html5Tokenizer, RawtextElements) {
  check({
      {"<style><a href=/no></style><a href=/yes>", one("yes")},
      {"<xmp><a href=/no></xmp><a href=/yes>", one("yes")},
      {"<noembed><a href=/no></noembed><a href=/yes>", one("yes")},
      {"<noframes><a href=/no></noframes><a href=/yes>", one("yes")},
      {"<iframe src=/frame><a href=/no></iframe><a href=/yes>",
       Links{"http://127.0.0.1/frame", "http://127.0.0.1/yes"}},
      // gumbo parses with scripting off: <noscript>'s content is markup.
      {"<noscript><a href=/yes></noscript>", one("yes")},
  });
}

TEST(Html5Tokenizer, ScriptDataEscapedAndDoubleEscaped) {
  check({
      {"<script>document.write('<a href=/no>')</script><a href=/yes>", one("yes")},
      {"<script><!-- </script><a href=/yes>", one("yes")},  // escaped: </script> still ends it
      // Double-escaped: after "<!--" and "<script>", "</script>" goes back to escaped only.
      {"<script><!--<script></script><a href=/no></script><a href=/yes>", one("yes")},
      {"<script><!--<script>--></script><a href=/yes>", one("yes")},  // "-->" ends both escapes
      {"<script><!--><script></script><a href=/yes>", one("yes")},   // "<!-->": escape over at once
      {"<script><!-- -- > <script></script><a href=/no></script><a href=/yes>", one("yes")},
      {"<script></scripty><a href=/no></script><a href=/yes>", one("yes")},
      {"<script>if (a<b) x = '<a href=/no>'</SCRIPT\t><a href=/yes>", one("yes")},
  });
}

TEST(Html5Tokenizer, PlaintextNeverEnds) {
  check({
      {"<a href=/yes><plaintext></plaintext><a href=/no>", one("yes")},
  });
}

TEST(Html5Tokenizer, TagAndAttributeNamesAreAsciiLowercased) {
  check({
      {"<A HREF=/yes>", one("yes")},
      {"<a HrEf=\"/yes\">", one("yes")},
      {"<IFRAME SRC=/yes></IFRAME>", one("yes")},
  });
}

TEST(Html5Tokenizer, FirstOfDuplicateAttributesWins) {
  check({
      {"<a href=/first href=/second>", one("first")},
      {"<a HREF=/first href=/second>", one("first")},
      {"<a rel=nofollow rel=x href=/n>", {}},
  });
}

TEST(Html5Tokenizer, AttributeValueSyntax) {
  check({
      {"<a href=/unquoted>", one("unquoted")},
      {"<a href='/single'>", one("single")},
      {"<a href = \"/spaced\" >", one("spaced")},
      {"<a href=/a\"b'c<d=e`f>", one("a%22b'c%3Cd=e%60f")},  // unquoted: parse errors, kept
      {"<a/href=/slash>", one("slash")},                    // '/' then a name: not self-closing
      {"<a href=/x/>", one("x/")},                          // unquoted value takes the '/'
      {"<a href='/q'/>", one("q")},
      {"<a x='1'href=/glued>", one("glued")},  // missing whitespace between attributes
      {"<a =x href=/eq>", one("eq")},           // an attribute name may start with '='
      {"<a href>", {}},                         // empty value: no link
      {"<a href=/eof", {}},                     // EOF in a tag: no token
  });
}

TEST(Html5Tokenizer, NulInAttributeValueIsReplacementCharacter) {
  using namespace std::string_view_literals;
  check({
      {"<a href=\"/a\0b\">"sv, one("a%EF%BF%BDb")},
      {"<a href=/a\0b>"sv, one("a%EF%BF%BDb")},
  });
}

TEST(Html5Tokenizer, NamedCharacterReferencesInAttributes) {
  check({
      {"<a href=\"/?a=1&amp;b=2\">", one("?a=1&b=2")},
      {"<a href=\"/?a=1&ampb\">", one("?a=1&ampb")},            // legacy without ';' before alnum: kept
      {"<a href=\"/?a&copy=1\">", one("?a&copy=1")},            // ... or before '='
      {"<a href=\"/?a=&copy\">", one("?a=%C2%A9")},             // legacy without ';' at the end: decoded
      {"<a href=\"/?a=&copy;x\">", one("?a=%C2%A9x")},
      {"<a href=\"/&notit;\">", one("&notit;")},  // longest match "not", legacy, before 'i': kept
      {"<a href=\"/&notit;.\">", one("&notit;.")},
      {"<a href=\"/&not.\">", one("%C2%AC.")},
      {"<a href=\"/&notin;\">", one("%E2%88%89")},
      {"<a href=\"/&NotNestedGreaterGreater;\">", one("%E2%AA%A2%CC%B8")},  // two code points
      {"<a href=\"/&nosuch;\">", one("&nosuch;")},
      {"<a href=\"/&lang=1\">", one("&lang=1")},  // "lang;" needs its ';'
      {"<a href='/&gt'>", one("%3E")},
      {"<a href=/&quot;>", one("%22")},
  });
}

TEST(Html5Tokenizer, NumericCharacterReferencesInAttributes) {
  check({
      {"<a href=\"/&#65;&#x42;&#X43\">", one("ABC")},
      {"<a href=\"/&#x80;\">", one("%E2%82%AC")},  // 0x80-0x9F: windows-1252's characters
      {"<a href=\"/&#150;\">", one("%E2%80%93")},
      {"<a href=\"/&#x9F;\">", one("%C5%B8")},
      {"<a href=\"/&#x81;\">", one("%C2%81")},      // no windows-1252 character: itself
      {"<a href=\"/&#0;\">", one("%EF%BF%BD")},      // zero
      {"<a href=\"/&#xD800;\">", one("%EF%BF%BD")},  // surrogate
      {"<a href=\"/&#x110000;\">", one("%EF%BF%BD")},  // past Unicode
      {"<a href=\"/&#;\">", one("&")},  // no digits: "&#;" stays, and '#' starts the fragment
      {"<a href=\"/&#x41g\">", one("Ag")},
  });
}

TEST(Html5Tree, ForeignContent) {
  check({
      {"<svg><a href=/svg-a></a></svg>", one("svg-a")},         // SVG 2's <a> is a hyperlink
      {"<math><a href=/no></a></math><a href=/yes>", one("yes")},  // MathML's is not
      {"<math><mi><a href=/yes></a></mi></math>", one("yes")},  // text integration point: HTML
      {"<svg><foreignObject><a href=/yes></foreignObject></svg>", one("yes")},
      {"<svg><desc><iframe src=/yes></iframe></desc></svg>", one("yes")},
      {"<math><annotation-xml encoding=text/html><a href=/yes></math>", one("yes")},
      {"<math><annotation-xml><a href=/no></math>", {}},
      // A breakout start tag (<p>) leaves foreign content: the <a> after it is HTML's.
      {"<math><p><a href=/yes>", one("yes")},
      {"<svg><style><a href=/yes></style></svg>", one("yes")},  // SVG's <style> is no raw text
      {"<svg><title><a href=/yes></title></svg>", one("yes")},
      {"<svg><base href=http://127.0.0.9/></svg><a href=/x>", one("x")},  // not HTML's <base>
      {"<svg><meta name=robots content=nofollow></svg><a href=/x>", one("x")},  // <meta>: breakout
      {"<div><svg><a href=/svg></div><math><a href=/no>", one("svg")},
  });
}

// "Close a p element": a <table> closes an open <p> unless the document is in quirks mode (no
// DOCTYPE), which decides here whether </mi> ends the <mi> and the <a> after it is MathML's.
TEST(Html5Tree, TableClosesPOutsideQuirksMode) {
  check({
      {"<!DOCTYPE html><math><mi><p><table></table></mi><a href=/no>", {}},
      {"<math><mi><p><table></table></mi><a href=/x>", one("x")},
      {"<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">"
       "<math><mi><p><table></table></mi><a href=/no>",
       {}},
  });
}

TEST(Html5Tree, TemplateContentsCount) {
  check({
      {"<template><a href=/yes></a></template>", one("yes")},
      {"<template><col><a href=/no></template><a href=/yes>", one("yes")},  // column group mode
  });
}

TEST(Html5Tree, SelectIgnoresMostStartTags) {
  check({
      {"<select><a href=/no><iframe src=/no2></select><a href=/yes>", one("yes")},
      {"<select><option><a href=/no></option><input><a href=/yes>", one("yes")},  // input ends select
      {"<table><tr><td><select><td><a href=/yes>", one("yes")},  // in select in table: a cell ends it
      {"<select><style><a href=/no></select><a href=/yes>", one("yes")},  // no <style>, so no raw text
  });
}

TEST(Html5Tree, FramesOnlyInAFrameset) {
  check({
      {"<frame src=/no><a href=/yes>", one("yes")},
      {"<frameset><frame src=/yes><a href=/no></frameset>", one("yes")},
      // A frameset replaces a body that has no content yet, and with it the body's links.
      {"<a href=/no><frameset><frame src=/yes>", one("yes")},
      {"x<a href=/yes><frameset><frame src=/no>", one("yes")},  // text: frameset-ok is gone
  });
}

TEST(Html5Tree, BaseAndMetaRobots) {
  const std::string html =
      "<base href=http://127.0.0.9/root/><base href=http://127.0.0.8/><META NAME=ROBOTS CONTENT=noindex>"
      "<meta name=crawlbot content=nofollow><a href=x>";
  const PageLinks page = extract_page_links_html5(html, kPage, "crawlbot", "utf-8");
  EXPECT_EQ(page.links, Links{"http://127.0.0.9/root/x"});
  EXPECT_TRUE(page.meta_noindex);
  EXPECT_TRUE(page.meta_nofollow);
  links(html);  // and gumbo agrees
}

TEST(Html5Tree, RelNofollow) {
  const PageLinks page =
      extract_page_links_html5("<a rel='NoFollow' href=/n><area rel=x href=/f>", kPage, "", "utf-8");
  EXPECT_EQ(page.links, one("f"));
  EXPECT_EQ(page.nofollow_links, one("n"));
}

TEST(Html5Tree, DeepNestingIsLinear) {
  std::string html;
  for (int i = 0; i < 200000; ++i) html += "<div><svg><g>";
  html += "<a href=/deep>";
  for (int i = 0; i < 200000; ++i) html += "</g></svg></div>";
  html += "<a href=/after>";
  const PageLinks page = extract_page_links_html5(html, kPage, "", "utf-8");
  EXPECT_EQ(page.links.front(), "http://127.0.0.1/deep");
  EXPECT_EQ(page.links.back(), "http://127.0.0.1/after");
}

// Attributes are checked for duplicates against the few kept ones only: a tag with 200,000
// attributes (or 200,000 hrefs) is read in linear time, first href winning.
TEST(Html5Tokenizer, ManyAttributesAreLinear) {
  std::string html = "<a";
  for (int i = 0; i < 200000; ++i) html += " x" + std::to_string(i) + "=1 href=/h" + std::to_string(i);
  html += ">";
  const PageLinks page = extract_page_links_html5(html, kPage, "", "utf-8");
  EXPECT_EQ(page.links, one("h0"));
}

}  // namespace
}  // namespace crawl

// Link extraction from HTML, with the robots directives a page gives about its links:
// rel=nofollow and <meta name=robots>. Three extractors with one contract: extract_page_links()
// (libxml2's streaming HTML parser: links.cpp), extract_page_links_gumbo() (gumbo's HTML5 tree:
// the reference, links_gumbo.cpp) and extract_page_links_html5() (our own HTML5 tokenizer, the
// crawler's default: links_html5.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crawl {

// What a page links to, and what it asks crawlers to do with it.
struct PageLinks {
  // Followable links, resolved, normalized, deduplicated, in document order (see below).
  std::vector<std::string> links;
  // Links that appear only with rel="nofollow" (on <a> or <area>): not in `links`. A URL that
  // is also linked without nofollow anywhere on the page is followable, so only in `links`.
  std::vector<std::string> nofollow_links;
  // From <meta name="robots"> or <meta name="<robots_token>">: "nofollow" (or "none") asks
  // crawlers not to follow any link of the page, "noindex" (or "none") not to index the page.
  // The caller decides what to do; the links are reported either way.
  bool meta_nofollow = false;
  bool meta_noindex = false;
  // extract_page_links_gumbo() only: the page nests deeper than a browser builds its tree
  // (kMaxTreeDepth) or leaves hundreds of formatting elements open, and its links were read
  // by extract_page_links_html5() instead.
  bool read_without_tree = false;
};

// The deepest tree a browser's parser builds (Chromium's kMaximumHTMLParserDOMTreeDepth):
// past it elements are added as siblings, so a tree built to the letter is no longer the one
// a browser shows, and gumbo's time grows with depth x tags.
inline constexpr std::size_t kMaxTreeDepth = 512;

// Links of an HTML document fetched from `page_url` (normalized): the href of <a> and <area>
// and the src of <frame> and <iframe>, in document order. They are resolved against the
// document base URL — the href of the first <base> that has one, itself resolved against
// page_url, else page_url — and normalized with resolve_url() (url.h): fragments are dropped
// (so "#x" yields page_url itself), non-http(s) and empty hrefs are skipped, and duplicates are
// removed, keeping the first. <link>, <img>, <script> etc. are not followed.
//
// rel is a set of space-separated, ASCII case-insensitive tokens (WHATWG HTML "link types");
// "nofollow" sends the link to nofollow_links. <meta> names compare ASCII case-insensitively
// (surrounding whitespace ignored) with "robots" and with `robots_token` (the crawler's
// robots.txt product token, e.g. "crawlbot"; "" for none); their content is read by
// apply_robots_directives(). Several such <meta> add up.
//
// Pure and thread-safe. Safe on arbitrary bytes (not-HTML and broken HTML are parsed leniently;
// any nesting depth: no tree is built). Time is linear in the input.
// `charset`: the charset parameter of the HTTP Content-Type (a WHATWG encoding label, e.g.
// "utf-8", "latin1"; "" for none). The page is decoded as browsers decode it (charset.h): a BOM,
// else this charset, else a <meta> in the first 1024 bytes, else UTF-8 if the body is valid
// UTF-8, else windows-1252. A NUL in an href reads as U+FFFD, as in HTML.
PageLinks extract_page_links(std::string_view html, std::string_view page_url,
                             std::string_view robots_token = "", std::string_view charset = "");

// extract_page_links() on gumbo's HTML5 tree (--html-parser gumbo): the same contract, with
// WHATWG HTML tree construction to the letter (foster parenting, the adoption agency, template
// contents, foreign content: <a href> of SVG counts, not of MathML; <base>, <meta>, <area> and
// frames only in HTML's namespace). Attributes of foreign elements with a namespace
// (xlink:href) are not href. Unlike the others, it builds the whole tree: memory grows with
// the page, and time with nesting depth × tags (gumbo looks through the open elements, and
// took minutes on a few MB of nested or unclosed tags, 36 s on 112 KB of unclosed <b id=N>).
// So a page whose markup, read by a cheap scan, nests deeper than kMaxTreeDepth or leaves
// more than 256 formatting elements open is read by extract_page_links_html5() instead
// (read_without_tree set): time stays linear.
PageLinks extract_page_links_gumbo(std::string_view html, std::string_view page_url,
                                   std::string_view robots_token = "", std::string_view charset = "");

// extract_page_links() with a single-pass HTML5 tokenizer of our own (--html-parser html5, the
// default): the same contract, read as gumbo reads it — the WHATWG tokenizer to the letter (raw text, RCDATA,
// script escapes, comments, CDATA in foreign content, all named character references in
// attribute values) and the parts of tree construction that decide whether a start tag makes
// an element (foreign content and its integration points, template, select, frameset). Where
// only full tree construction would agree with gumbo, tests/web/links_differential_test.cpp
// names the difference. Builds no tree: beyond the decoded page and its links, memory is
// bounded by the largest tag (a stack of at most 512 open elements is kept); time is linear.
// Pure and thread-safe.
PageLinks extract_page_links_html5(std::string_view html, std::string_view page_url,
                                   std::string_view robots_token = "", std::string_view charset = "");

// The charset parameter of a Content-Type value, lowercased, unquoted
// ("text/html; charset=\"UTF-8\"" → "utf-8"), or "".
std::string content_type_charset(std::string_view content_type);

// PageLinks as text, to keep beside a stored page so that a later batch
// that finds it unchanged (304) follows its links without parsing it again:
// a first line "crawl-links 1 FLAGS" (F: meta nofollow, I: meta noindex,
// - : neither), then one line per link, "+URL" followable, "-URL" nofollow.
// Normalized URLs hold no line breaks.
std::string serialize_page_links(const PageLinks& links);
// The PageLinks of serialize_page_links(), or nullopt for any other text.
std::optional<PageLinks> parse_page_links(std::string_view text);

// The links of serialize_page_links() text without copying them:
// f(url, nofollow) for each, in the text's order. For any other text,
// returns false and calls f for none.
template <typename F>
bool for_each_page_link(std::string_view text, F&& f) {
  if (!text.starts_with("crawl-links 1 ")) return false;
  const auto lines = [text](auto&& g) {  // after the first; false once g is
    for (std::size_t end = text.find('\n'); end != std::string_view::npos;) {
      const std::size_t start = end + 1;
      end = text.find('\n', start);
      if (!g(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start))) return false;
    }
    return true;
  };
  if (!lines([](std::string_view line) { return line.size() >= 2 && (line[0] == '+' || line[0] == '-'); }))
    return false;
  lines([&f](std::string_view line) {
    f(line.substr(1), line[0] == '-');
    return true;
  });
  return true;
}

// extract_page_links(html, page_url).links: the followable links (rel=nofollow ones left out).
std::vector<std::string> extract_links(std::string_view html, std::string_view page_url);

// Reads a robots directive list — an X-Robots-Tag header value or a robots <meta> content —
// and sets `nofollow` / `noindex` when it asks for them (never clears them, so several values
// add up). The list is comma-separated and ASCII case-insensitive: "nofollow", "noindex", and
// "none" (= both) are acted on; "all", "noarchive", "max-snippet: 20", … are ignored. A
// directive may be scoped to one crawler by a product-token prefix, as in Google's X-Robots-Tag
// form "googlebot: noindex, nofollow"; a prefix applies to the directives after it up to the
// next prefix, and they count only if it equals `robots_token` (case-insensitively). Unscoped
// directives apply to every crawler. Pure and thread-safe.
void apply_robots_directives(std::string_view value, std::string_view robots_token, bool& nofollow,
                             bool& noindex);

}  // namespace crawl

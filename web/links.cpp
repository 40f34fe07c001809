// Link extraction with libxml2's HTML parser in SAX mode (--html-parser
// libxml2; the default until links_html5.cpp, which reads pages as HTML5 at
// 3.5 times its speed). gumbo's (links_gumbo.cpp) is the HTML5 reference it
// is tested against (tests/web/links_differential_test.cpp); all share
// link_collector.h.
//
// Why libxml2 and not gumbo was the default (which DESIGN.md names): measured on this
// machine, gumbo parses ~22 MB/s per core and, building a full tree, was the
// crawler's main CPU cost (7 of 8.2 CPU seconds in a 10,100-page crawl),
// making crawls CPU-bound on 2 cores. libxml2's SAX parser (what Scrapy's
// LinkExtractor uses through lxml) streams start tags at ~230 MB/s, builds no
// tree (so no depth limit or recursion matters), and is fuzzed continuously
// upstream. Tag and attribute names arrive lowercased and entity-decoded.
#include "web/links.h"

#include <algorithm>
#include <cctype>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <limits>
#include <memory>
#include <optional>
#include <unordered_set>

#include "core/ascii.h"
#include "web/charset.h"
#include "web/link_collector.h"
#include "web/url.h"

namespace crawl {

namespace {

struct ParserDeleter {
  void operator()(htmlParserCtxtPtr ctxt) const noexcept { htmlFreeParserCtxt(ctxt); }
};
using Parser = std::unique_ptr<htmlParserCtxt, ParserDeleter>;

// HTML's "ASCII whitespace".
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

struct Found {
  explicit Found(std::string_view robots_token) : links(robots_token) {}
  detail::LinkCollector links;
  int in_rcdata = 0;  // inside <textarea>/<title>: HTML reads their content as text
};

std::string_view view(const xmlChar* s) { return reinterpret_cast<const char*>(s); }

bool is(const xmlChar* name, const char* literal) {
  return xmlStrEqual(name, reinterpret_cast<const xmlChar*>(literal)) != 0;
}

bool is_rcdata(const xmlChar* name) { return is(name, "textarea") || is(name, "title"); }

void on_end_element(void* user, const xmlChar* name) noexcept {
  auto* found = static_cast<Found*>(user);
  if (is_rcdata(name) && found->in_rcdata > 0) --found->in_rcdata;
}

void on_start_element(void* user, const xmlChar* name, const xmlChar** attrs) noexcept {
  auto* found = static_cast<Found*>(user);
  // libxml2 parses markup inside <textarea> as elements; browsers don't.
  if (is_rcdata(name)) ++found->in_rcdata;
  if (found->in_rcdata > 0) return;
  // The value of attribute `wanted` (the first one, as in HTML).
  const auto attribute = [attrs](const char* wanted) -> std::optional<std::string_view> {
    if (attrs == nullptr) return std::nullopt;
    for (int i = 0; attrs[i] != nullptr; i += 2)
      if (is(attrs[i], wanted)) return attrs[i + 1] != nullptr ? view(attrs[i + 1]) : std::string_view();
    return std::nullopt;
  };
  try {
    found->links.element(view(name), attribute);
  } catch (...) {  // out of memory: the page loses links, the crawl goes on
  }
}

}  // namespace

std::string content_type_charset(std::string_view content_type) {
  std::string lower(content_type);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (std::size_t at = lower.find(';'); at != std::string::npos; at = lower.find(';', at + 1)) {
    std::size_t p = at + 1;
    while (p < lower.size() && (lower[p] == ' ' || lower[p] == '\t')) ++p;
    if (lower.compare(p, 8, "charset=") != 0) continue;
    p += 8;
    std::string value;
    if (p < lower.size() && lower[p] == '"') {
      const std::size_t end = lower.find('"', p + 1);
      value = lower.substr(p + 1, end == std::string::npos ? std::string::npos : end - p - 1);
    } else {
      const std::size_t end = lower.find_first_of("; \t", p);
      value = lower.substr(p, end == std::string::npos ? std::string::npos : end - p);
    }
    return value;
  }
  return {};
}

PageLinks extract_page_links(std::string_view html, std::string_view page_url,
                             std::string_view robots_token, std::string_view charset) {
  static const bool initialized = (xmlInitParser(), true);  // once, thread-safe
  (void)initialized;

  Found found(robots_token);
  std::string storage;
  std::string_view text = detail::decode_page(html, charset, storage);
  // HTML's tokenizer reads U+0000 in an attribute value as U+FFFD; libxml2 would end the value
  // there ("/a\0b" would be a link to "/a").
  if (text.find('\0') != std::string_view::npos) {
    std::string replaced;
    replaced.reserve(text.size() + 16);
    for (const char c : text) {
      if (c == '\0')
        replaced += "\xEF\xBF\xBD";
      else
        replaced += c;
    }
    storage = std::move(replaced);
    text = storage;
  }

  htmlSAXHandler sax{};
  sax.startElement = on_start_element;
  sax.endElement = on_end_element;
  Parser parser(htmlCreatePushParserCtxt(&sax, &found, nullptr, 0, nullptr, XML_CHAR_ENCODING_UTF8));
  if (!parser) return {};
  htmlCtxtUseOptions(parser.get(), HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                       HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE);
  // Fed in chunks: htmlParseChunk takes an int length.
  constexpr std::size_t kChunk = 1 << 20;
  for (std::size_t at = 0; at < text.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, text.size() - at);
    htmlParseChunk(parser.get(), text.data() + at, static_cast<int>(n), 0);
  }
  htmlParseChunk(parser.get(), nullptr, 0, 1);
  return found.links.finish(page_url);
}

namespace detail {

std::string_view decode_page(std::string_view html, std::string_view charset, std::string& storage) {
  // The page is decoded here, in the encoding a browser would choose (charset.h), and handed
  // to the parser as UTF-8 with its own <meta> detection off: libxml2 2.9 reads a <meta charset>
  // anywhere in the document, ignores a BOM once told an encoding, and switches to Latin-1
  // for the rest of the page at the first malformed UTF-8 byte; gumbo reads only UTF-8.
  const SniffedEncoding encoding = sniff_html_encoding(html, charset);
  return decode_to_utf8(html.substr(encoding.bom_size), encoding.name, storage);
}

bool LinkCollector::has_nofollow(std::string_view rel) {
  while (!rel.empty()) {
    while (!rel.empty() && is_space(rel.front())) rel.remove_prefix(1);
    std::size_t end = 0;
    while (end < rel.size() && !is_space(rel[end])) ++end;
    if (ascii_iequals(rel.substr(0, end), "nofollow")) return true;
    rel.remove_prefix(end);
  }
  return false;
}

void LinkCollector::link(std::string_view value, bool nofollow) { hrefs_.push_back({std::string(value), nofollow}); }

void LinkCollector::meta(std::string_view name, std::string_view content) {
  const std::string_view n = trim(name);
  if (ascii_iequals(n, "robots") || (!robots_token_.empty() && ascii_iequals(n, robots_token_)))
    apply_robots_directives(content, robots_token_, meta_nofollow_, meta_noindex_);
}

bool LinkCollector::is_refresh(std::string_view http_equiv) { return ascii_iequals(http_equiv, "refresh"); }

void LinkCollector::refresh(std::string_view content) {
  if (const auto url = refresh_url(content)) link(*url, false);
}

// HTML, "shared declarative refresh steps" (the parts that find the URL).
std::optional<std::string_view> LinkCollector::refresh_url(std::string_view in) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t p = 0;
  const std::size_t n = in.size();
  const auto skip_spaces = [&] {
    while (p < n && space(in[p])) ++p;
  };
  skip_spaces();
  const std::size_t time_at = p;
  while (p < n && digit(in[p])) ++p;
  if (p == time_at && (p == n || in[p] != '.')) return std::nullopt;  // no time: not a refresh
  while (p < n && (digit(in[p]) || in[p] == '.')) ++p;
  if (p == n) return std::nullopt;  // the page itself, reloaded
  if (in[p] != ';' && in[p] != ',' && !space(in[p])) return std::nullopt;
  skip_spaces();
  if (p < n && (in[p] == ';' || in[p] == ',')) ++p;
  skip_spaces();
  if (p == n) return std::nullopt;
  // "Skip quotes": a URL in quotes ends at the closing one (or at the end).
  const auto unquoted = [](std::string_view rest) {
    if (rest.empty() || (rest.front() != '\'' && rest.front() != '"')) return rest;
    const char quote = rest.front();
    rest.remove_prefix(1);
    return rest.substr(0, rest.find(quote));
  };
  const auto lower_is = [&](char c) { return p < n && (in[p] | 0x20) == c; };
  if (!lower_is('u')) return unquoted(in.substr(p));
  std::string_view url = in.substr(p);  // what "parse" takes unless "url =" follows
  ++p;
  if (!lower_is('r')) return url;
  ++p;
  if (!lower_is('l')) return url;
  ++p;
  skip_spaces();
  if (p == n || in[p] != '=') return url;
  ++p;
  skip_spaces();
  return unquoted(in.substr(p));
}

PageLinks LinkCollector::finish(std::string_view page_url) const {
  // HTML "document base URL": a <base href> that does not resolve falls back to the page URL.
  std::optional<std::string> base;
  if (base_href_) base = resolve_url(page_url, *base_href_);
  const std::string_view base_url = base ? std::string_view(*base) : page_url;

  PageLinks page;
  page.meta_nofollow = meta_nofollow_;
  page.meta_noindex = meta_noindex_;
  // Followable links first, so that a URL linked both ways, in any order, is followable.
  std::unordered_set<std::string> seen;
  const UrlResolver resolver(base_url);
  for (const bool nofollow : {false, true}) {
    std::vector<std::string>& out = nofollow ? page.nofollow_links : page.links;
    for (const auto& href : hrefs_) {
      if (href.nofollow != nofollow) continue;
      // An empty href is the document itself (URL standard), an empty frame src about:blank
      // (HTML): neither is a link to follow.
      if (trim(href.value).empty()) continue;
      std::optional<std::string> link = resolver.resolve(href.value);
      if (link && seen.insert(*link).second) out.push_back(std::move(*link));
    }
  }
  return page;
}

}  // namespace detail

std::vector<std::string> extract_links(std::string_view html, std::string_view page_url) {
  return extract_page_links(html, page_url).links;
}

namespace {

// Google's X-Robots-Tag directives that take a value after ':'; any other word before a ':'
// is a crawler's product token.
bool is_valued_directive(std::string_view word) {
  for (std::string_view d : {"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"})
    if (ascii_iequals(word, d)) return true;
  return false;
}

// RFC 9309 product token characters: a-z, A-Z, '_', '-' (digits too, as crawlers use them).
bool is_product_token(std::string_view word) {
  if (word.empty()) return false;
  for (char c : word) {
    const char l = ascii_lower(c);
    if (!((l >= 'a' && l <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

void apply_robots_directives(std::string_view value, std::string_view robots_token, bool& nofollow,
                             bool& noindex) {
  bool applies = true;  // unscoped directives are for every crawler
  while (true) {
    const std::size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (const std::size_t colon = item.find(':'); colon != std::string_view::npos) {
      const std::string_view word = trim(item.substr(0, colon));
      if (is_product_token(word) && !is_valued_directive(word)) {
        applies = !robots_token.empty() && ascii_iequals(word, robots_token);
        item = trim(item.substr(colon + 1));
      }
      // Otherwise a valued directive, or a fragment of one cut at a comma inside its value
      // ("unavailable_after: Sunday, 01-Sep-24 15:00:00 PST"): not ours, and it matches
      // nothing below.
    }
    if (applies) {
      if (ascii_iequals(item, "nofollow") || ascii_iequals(item, "none")) nofollow = true;
      if (ascii_iequals(item, "noindex") || ascii_iequals(item, "none")) noindex = true;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace crawl

namespace crawl {

std::string serialize_page_links(const PageLinks& links) {
  std::size_t size = 24;
  for (const auto& u : links.links) size += u.size() + 2;
  for (const auto& u : links.nofollow_links) size += u.size() + 2;
  std::string out;
  out.reserve(size);
  out += "crawl-links 1 ";
  if (links.meta_nofollow) out += 'F';
  if (links.meta_noindex) out += 'I';
  if (!links.meta_nofollow && !links.meta_noindex) out += '-';
  for (const auto& u : links.links) (out += "\n+") += u;
  for (const auto& u : links.nofollow_links) (out += "\n-") += u;
  return out;
}

std::optional<PageLinks> parse_page_links(std::string_view text) {
  constexpr std::string_view kMagic = "crawl-links 1 ";
  if (text.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  PageLinks out;
  if (!for_each_page_link(text, [&out](std::string_view url, bool nofollow) {
        (nofollow ? out.nofollow_links : out.links).emplace_back(url);
      }))
    return std::nullopt;
  const std::size_t end = text.find('\n');
  const std::string_view flags = text.substr(kMagic.size(), end == std::string_view::npos ? std::string_view::npos : end - kMagic.size());
  out.meta_nofollow = flags.find('F') != std::string_view::npos;
  out.meta_noindex = flags.find('I') != std::string_view::npos;
  return out;
}

}  // namespace crawl

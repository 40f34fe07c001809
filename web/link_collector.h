// What every link extractor of links.h shares, so that they differ only in how they read the
// markup: the page's decoding (charset.h), which elements and attributes are links and robots
// directives, and how the hrefs become PageLinks (document base URL, resolution, normalization,
// nofollow, deduplication). Internal to web/: extract_page_links() (libxml2),
// extract_page_links_gumbo() (gumbo) and extract_page_links_html5() (links_html5.cpp) use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/links.h"

namespace crawl::detail {

// The page decoded as browsers decode it (charset.h: BOM, `charset`, <meta> prescan, UTF-8
// check, windows-1252), as UTF-8 without its BOM: a view of `html` or of `storage`.
std::string_view decode_page(std::string_view html, std::string_view charset, std::string& storage);

// Collects, in document order, what the start tags of a page say about its links. Not
// thread-safe; one per page.
class LinkCollector {
 public:
  explicit LinkCollector(std::string_view robots_token) : robots_token_(robots_token) {}

  // One start tag: `name` is its local name, lowercase (as HTML's tokenizer gives it);
  // `attribute(const char* lowercase_name)` returns the value of the element's first attribute
  // of that name (an std::optional<std::string_view>, nullopt when absent).
  // Elements other than a, area, frame, iframe, base and meta are ignored (meta: name=robots
  // and http-equiv=refresh).
  template <class Attribute>
  void element(std::string_view name, const Attribute& attribute) {
    if (name == "a" || name == "area") {
      const auto href = attribute("href");
      if (!href) return;
      const auto rel = attribute("rel");
      link(*href, rel && has_nofollow(*rel));
    } else if (name == "frame" || name == "iframe") {
      if (const auto src = attribute("src")) link(*src, false);
    } else if (name == "base") {
      if (!base_href_)
        if (const auto href = attribute("href")) base_href_.emplace(*href);
    } else if (name == "meta") {
      const auto content = attribute("content");
      if (!content) return;
      if (const auto meta_name = attribute("name")) meta(*meta_name, *content);
      // <meta http-equiv="refresh" content="0; url=…">: a redirect by the page, a link to
      // follow (as Heritrix, wget and Scrapy's MetaRefreshMiddleware do).
      if (const auto equiv = attribute("http-equiv"); equiv && is_refresh(*equiv)) refresh(*content);
    }
  }

  // What was collected, as the contract of extract_page_links() gives it for a page at
  // `page_url`.
  PageLinks finish(std::string_view page_url) const;

  // rel="…" holds a set of space-separated link types, compared ASCII case-insensitively.
  static bool has_nofollow(std::string_view rel);

  // The URL of a refresh declaration's content ("5; url='next.html'"), parsed as HTML's
  // "shared declarative refresh steps" do; nullopt when it names none (a plain reload) or is
  // malformed.
  static std::optional<std::string_view> refresh_url(std::string_view content);

 private:
  struct Href {
    std::string value;
    bool nofollow = false;
  };

  void link(std::string_view value, bool nofollow);
  void meta(std::string_view name, std::string_view content);
  void refresh(std::string_view content);
  static bool is_refresh(std::string_view http_equiv);

  std::string_view robots_token_;
  std::vector<Href> hrefs_;
  std::optional<std::string> base_href_;  // the first <base> with an href
  bool meta_nofollow_ = false;
  bool meta_noindex_ = false;
};

}  // namespace crawl::detail

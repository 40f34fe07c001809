#include "crawler/result_reader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "web/links.h"
#include "web/sitemap.h"
#include "web/url.h"

namespace crawl {

namespace {

constexpr int kMaxSitemapNesting = 3;  // a sitemap index of sitemap indexes of sitemaps

// Counts `n` URLs dropped by `bound`.
void count(Discoveries& d, std::string_view bound, std::int64_t n = 1) {
  if (n <= 0) return;
  if (auto it = d.bounds.find(bound); it != d.bounds.end())
    it->second += n;
  else
    d.bounds.emplace(std::string(bound), n);
}

// Keeps at most `max` (0: no limit) of `urls`, counting the rest.
void cap(std::vector<std::string>& urls, std::int64_t max, Discoveries& d, std::string_view bound) {
  if (max <= 0 || urls.size() <= static_cast<std::size_t>(max)) return;
  count(d, bound, static_cast<std::int64_t>(urls.size()) - max);
  urls.resize(static_cast<std::size_t>(max));
}

// WHATWG MIME Sniffing, "rules for identifying an unknown MIME type": the
// HTML signatures a browser looks for at the start of a response whose type
// is missing or unknown (leading whitespace skipped, letters in either case,
// each followed by a space or '>').
bool looks_like_html(std::string_view body) {
  static constexpr std::string_view kSignatures[] = {
      "<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table",
      "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<!--"};
  std::size_t p = 0;
  while (p < body.size() && (body[p] == '\t' || body[p] == '\n' || body[p] == '\f' || body[p] == '\r' || body[p] == ' '))
    ++p;
  const std::string_view rest = body.substr(p);
  for (const std::string_view sig : kSignatures)
    if (rest.size() > sig.size() && ascii_iequals(rest.substr(0, sig.size()), sig) &&
        (rest[sig.size()] == ' ' || rest[sig.size()] == '>'))
      return true;
  return false;
}

// Pages whose links are read: HTML and XHTML by their Content-Type, and, as
// browsers do, a response without a usable type whose start is HTML's.
bool is_html(std::string_view content_type, std::string_view body) {
  std::string t(content_type.substr(0, content_type.find(';')));
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.erase(0, 1);
  if (t == "text/html" || t == "application/xhtml+xml") return true;
  const bool unknown = t.empty() || t == "unknown/unknown" || t == "application/unknown" || t == "*/*";
  return unknown && looks_like_html(body);
}

}  // namespace

ResultReader::ResultReader(const Config& config, const CrawlScope& scope)
    : config_(config), scope_(scope), robots_token_(product_token(config.user_agent)) {}

Discoveries ResultReader::read(const FetchResult& r, std::string* links_out) const {
  if (!r.ok() || r.status < 200 || r.status >= 300) return {};
  // A copy stored before redirects were requests of their own holds the
  // final page's body under the first URL: its links are relative to the end.
  auto final_url = r.final_url.empty() || r.final_url == r.request.url ? std::nullopt : normalize_url(r.final_url);
  const std::string& base = final_url ? *final_url : r.request.url;
  if (r.request.kind == RequestKind::sitemap) return read_sitemap(r, base);
  if (!is_html(r.content_type, r.body)) return {};
  return read_html(r, base, links_out);
}

bool ResultReader::in_scope(const std::string& url, Discoveries& d) const {
  const Rejection why = scope_.rejection(url);
  if (!why.bound.empty()) count(d, why.bound);
  return !why;
}

Discoveries ResultReader::read_sitemap(const FetchResult& r, const std::string& base) const {
  Discoveries d;
  const auto max = config_.max_sitemap_urls > 0 ? static_cast<std::size_t>(config_.max_sitemap_urls) : SIZE_MAX;
  Sitemap map = parse_sitemap(r.body, max);
  count(d, bound::sitemap_urls, static_cast<std::int64_t>(map.dropped));
  // Pages from a sitemap are one step from the seeds, like a root's links.
  FoundUrls pages{{}, 1, RequestKind::page};
  FoundUrls sitemaps{{}, r.request.depth + 1, RequestKind::sitemap};
  if (config_.max_depth >= 1)
    for (const auto& u : map.urls)
      if (auto n = normalize_url(u); n && in_scope(*n, d)) pages.urls.push_back(std::move(*n));
  if (r.request.depth < kMaxSitemapNesting)
    for (const auto& u : map.sitemaps)
      if (auto n = normalize_url(u)) sitemaps.urls.push_back(std::move(*n));
  spdlog::debug("{}: sitemap with {} URLs, {} sitemaps (base {})", r.request.url, map.urls.size(), map.sitemaps.size(),
                base);
  d.found.push_back(std::move(pages));
  d.found.push_back(std::move(sitemaps));
  return d;
}

Discoveries ResultReader::read_html(const FetchResult& r, const std::string& base, std::string* links_out) const {
  Discoveries d;
  bool nofollow = false, noindex = false;
  if (!config_.ignore_nofollow)  // each X-Robots-Tag header has its own user-agent scope
    for (const auto& [name, value] : r.headers)
      if (ascii_iequals(name, "X-Robots-Tag")) apply_robots_directives(value, robots_token_, nofollow, noindex);
  std::optional<PageLinks> cached;
  if (!r.links.empty()) cached = parse_page_links(r.links);
  const auto extract = config_.html_parser == HtmlParser::gumbo     ? &extract_page_links_gumbo
                       : config_.html_parser == HtmlParser::libxml2 ? &extract_page_links
                                                                    : &extract_page_links_html5;
  PageLinks page =
      cached ? std::move(*cached) : extract(r.body, base, robots_token_, content_type_charset(r.content_type));
  if (page.read_without_tree)
    spdlog::info("{}: nested deeper than {} elements (what a browser builds) or with hundreds of formatting "
                 "elements left open: its links were read by the html5 extractor, not gumbo, whose time grows "
                 "with depth x tags",
                 r.request.url, kMaxTreeDepth);
  // The first --max-links-per-page links (in document order: the followed
  // ones first, then the nofollow ones).
  if (const std::int64_t max = config_.max_links_per_page; max > 0) {
    cap(page.links, max, d, bound::links_per_page);
    if (const auto left = max - static_cast<std::int64_t>(page.links.size()); left > 0) {
      cap(page.nofollow_links, left, d, bound::links_per_page);
    } else {
      count(d, bound::links_per_page, static_cast<std::int64_t>(page.nofollow_links.size()));
      page.nofollow_links.clear();
    }
  }
  if (links_out && !cached) *links_out = serialize_page_links(page);
  if (!config_.ignore_nofollow) {
    nofollow = nofollow || page.meta_nofollow;
    noindex = noindex || page.meta_noindex;
  } else {
    page.links.insert(page.links.end(), page.nofollow_links.begin(), page.nofollow_links.end());
  }
  d.index = !noindex;
  if (!nofollow && r.request.depth < config_.max_depth) {
    std::erase_if(page.links, [&](const std::string& u) { return !in_scope(u, d); });
    d.found.push_back(FoundUrls{std::move(page.links), r.request.depth + 1, RequestKind::page});
  }
  return d;
}

std::optional<RobotsRules> ResultReader::robots_rules(const FetchResult& r) const {
  // Refused by the private-address guard: nothing to wait for or retry; its
  // pages are refused (and recorded as skipped) one by one, the same way.
  if (r.error == CrawlDecision::private_address) return allow_all();
  // More than five redirects, or a redirect to a scheme that cannot be
  // fetched: the server's own answer, not a failure to reach it. RFC 9309
  // 2.3.1.2 lets a crawler take it as "unavailable" (as a 404), as Google
  // does; retrying would only ask the same question again.
  if (r.error == FetchErrc::too_many_redirects || r.error == FetchErrc::unsupported_scheme) {
    spdlog::info("{}: {}; crawled as having no robots.txt (RFC 9309 2.3.1.2)", r.request.url, r.error_string());
    return allow_all();
  }
  if (r.error || r.status == 429 || r.status >= 500) return std::nullopt;
  if (r.status >= 200 && r.status < 300) return parse_robots(r.body, robots_token_);
  return allow_all();
}

FoundUrls ResultReader::sitemaps_of(const RobotsRules& rules) const {  // a robots.txt's few: no bound counted
  FoundUrls out{{}, 1, RequestKind::sitemap};
  if (!config_.sitemaps) return out;
  for (const auto& u : rules.sitemaps)
    if (auto n = normalize_url(u); n && scope_.contains(*n)) out.urls.push_back(std::move(*n));
  return out;
}

}  // namespace crawl

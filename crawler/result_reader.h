// ResultReader: what a finished fetch tells the crawl — the links of an HTML
// page (with nofollow / noindex from <meta> and X-Robots-Tag), the URLs of a
// sitemap, the rules of a robots.txt. Everything it returns is normalized and
// in scope, ready for the frontier. Holds only immutable state: any thread
// may use one (it runs on the fetcher's result threads, never on an event
// loop and never on the frontier's owner).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/fetch_types.h"
#include "crawler/scope.h"
#include "web/robots.h"

namespace crawl {

// URLs found by one result, to be queued with one depth and kind.
struct FoundUrls {
  std::vector<std::string> urls;
  int depth = 0;
  RequestKind kind = RequestKind::page;
};

struct Discoveries {
  std::vector<FoundUrls> found;
  // A redirect's target to queue (new to the crawl, in scope, within
  // --max-redirect), set by the crawler.
  std::optional<FetchRequest> redirect;
  bool index = true;  // false: a noindex page, not to be stored
  // URLs not taken because a bound tripped, by bound (crawler/scope.h's
  // names: --max-links-per-page, --max-sitemap-urls, --max-url-length, …).
  std::map<std::string, std::int64_t, std::less<>> bounds;
};

class ResultReader {
 public:
  // `scope` must outlive the reader.
  ResultReader(const Config& config, const CrawlScope& scope);

  // The links of a page, or the URLs and nested sitemaps of a sitemap, for a
  // result of kind page or sitemap. Only 2xx responses have any. An HTML
  // page whose result.links is set (a stored copy's) is not parsed: its
  // links are read from there. `links_out`, when given, receives an HTML
  // page's links as extracted (serialize_page_links), to store with it.
  Discoveries read(const FetchResult& result, std::string* links_out = nullptr) const;

  // The rules a robots.txt response gives (RFC 9309 §2.3.1): a 2xx is parsed
  // for our product token; other answers allow everything; a server error,
  // a 429 or no answer means the rules are unknown for now (nullopt).
  std::optional<RobotsRules> robots_rules(const FetchResult& result) const;

  // The Sitemap: URLs of `rules`, in scope, when --sitemaps is on.
  FoundUrls sitemaps_of(const RobotsRules& rules) const;

 private:
  // Whether `url` is in scope; a bound that rejects it is counted in `d`.
  bool in_scope(const std::string& url, Discoveries& d) const;
  Discoveries read_sitemap(const FetchResult& result, const std::string& base) const;
  Discoveries read_html(const FetchResult& result, const std::string& base, std::string* links_out) const;

  const Config& config_;
  const CrawlScope& scope_;
  const std::string robots_token_;  // product token of --user-agent
};

}  // namespace crawl

// Scope: which discovered URLs a crawl follows (--scope, --include,
// --exclude, and the bounds --max-url-length, --max-path-depth,
// --max-path-repeats that keep crawler traps out), decided from the seeds. A seed's redirect to
// another host makes that host a seed's too (as Heritrix's
// seedsRedirectNewSeeds): `http://example.com/` → `https://www.example.com/`
// crawls www.example.com. Any thread may ask.
#pragma once

#include <boost/regex.hpp>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "crawler/seeds.h"

namespace crawl {

// The names the crawl's bounds are counted under in the summary ("bounds
// tripped") and in --stats-json: each is its option's name less "max-".
namespace bound {
inline constexpr std::string_view url_length = "url-length";
inline constexpr std::string_view path_depth = "path-depth";
inline constexpr std::string_view path_repeats = "path-repeats";
inline constexpr std::string_view links_per_page = "links-per-page";
inline constexpr std::string_view sitemap_urls = "sitemap-urls";
inline constexpr std::string_view urls_per_host = "urls-per-host";
}  // namespace bound

// Why a URL is not followed: a bound that tripped (`bound` names it) or the
// scope's choice (`bound` empty). Empty `reason`: the URL is in scope.
struct Rejection {
  std::string_view bound;
  std::string reason;
  explicit operator bool() const { return !reason.empty(); }
};

// The number of path segments of a URL's path ("/a/b/" has 2, "/a/b/c" 3,
// "/" 0), and whether a segment or a run of segments repeats more than
// `max_repeats` times in a row (/a/a/a/, /a/b/a/b/a/b/: Heritrix's
// PathologicalPathDecideRule). Quadratic in the segment count at worst
// (bounded by --max-url-length).
std::size_t path_segments(std::string_view url);
bool repeats_path_segments(std::string_view url, int max_repeats);

class CrawlScope {
 public:
  // Throws boost::regex_error for a bad --include/--exclude (config.cpp has
  // validated them already).
  CrawlScope(const Config& config, const std::vector<Seed>& seeds);
  // Whether `url` (normalized) may be crawled: it is within the bounds
  // (--max-url-length, --max-path-depth, --max-path-repeats; checked
  // first), its host is a seed's host (scope host), or its registrable
  // domain is a seed's (scope domain), or any (scope any); it matches an
  // --include (if any is given) and no --exclude.
  bool contains(const std::string& url) const { return !rejection(url); }
  // Why `url` is not in scope ("outside --scope host", "longer than
  // --max-url-length 2083", …); empty when it is.
  Rejection rejection(const std::string& url) const;
  // A seed redirected to `url`: its host (and registrable domain) become
  // a seed's.
  void add_seed_host(const std::string& url);

 private:
  bool in_seed_set(const std::unordered_set<std::string>& set, const std::string& key) const;

  Scope scope_;
  std::size_t max_length_;
  int max_path_depth_;    // 0: no limit
  int max_path_repeats_;  // 0: no limit
  mutable std::shared_mutex seeds_mutex_;  // guards the two sets (grown by add_seed_host)
  std::unordered_set<std::string> seed_hosts_;
  std::unordered_set<std::string> seed_domains_;  // their registrable domains
  std::vector<boost::regex> include_, exclude_;
};

}  // namespace crawl

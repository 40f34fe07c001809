// Scope: which discovered URLs a crawl follows (--scope, --include,
// --exclude, --max-url-length), decided from the seeds. A seed's redirect to
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

class CrawlScope {
 public:
  // Throws boost::regex_error for a bad --include/--exclude (config.cpp has
  // validated them already).
  CrawlScope(const Config& config, const std::vector<Seed>& seeds);
  // Whether `url` (normalized) may be crawled: its host is a seed's host
  // (scope host), or its registrable domain is a seed's (scope domain), or
  // any (scope any); it matches an --include (if any is given) and no
  // --exclude; and it is no longer than --max-url-length (checked first).
  bool contains(const std::string& url) const { return rejection(url).empty(); }
  // Why `url` is not in scope ("outside --scope host", …), "" when it is.
  std::string rejection(const std::string& url) const;
  // A seed redirected to `url`: its host (and registrable domain) become
  // a seed's.
  void add_seed_host(const std::string& url);

 private:
  bool in_seed_set(const std::unordered_set<std::string>& set, const std::string& key) const;

  Scope scope_;
  std::size_t max_length_;
  mutable std::shared_mutex seeds_mutex_;  // guards the two sets (grown by add_seed_host)
  std::unordered_set<std::string> seed_hosts_;
  std::unordered_set<std::string> seed_domains_;  // their registrable domains
  std::vector<boost::regex> include_, exclude_;
};

}  // namespace crawl

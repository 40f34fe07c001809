// Scope: which discovered URLs a crawl follows (--scope, --include,
// --exclude), decided from the seeds. Immutable once built, so any thread may
// ask.
#pragma once

#include <boost/regex.hpp>
#include <string>
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
  bool contains(const std::string& url) const;

 private:
  Scope scope_;
  std::size_t max_length_;
  std::unordered_set<std::string> seed_hosts_;
  std::unordered_set<std::string> seed_domains_;  // their registrable domains
  std::vector<boost::regex> include_, exclude_;
};

}  // namespace crawl

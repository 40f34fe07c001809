#include "crawler/scope.h"

#include <algorithm>

#include "core/url_parts.h"
#include "web/domain.h"

namespace crawl {

CrawlScope::CrawlScope(const Config& config, const std::vector<Seed>& seeds)
    : scope_(config.scope), max_length_(static_cast<std::size_t>(config.max_url_length)) {
  for (const auto& seed : seeds) {
    const std::string host(url_host(seed.url));
    seed_hosts_.insert(host);
    seed_domains_.insert(registrable_domain(host));
  }
  for (const auto& re : config.include) include_.emplace_back(re, boost::regex::ECMAScript);
  for (const auto& re : config.exclude) exclude_.emplace_back(re, boost::regex::ECMAScript);
}

bool CrawlScope::contains(const std::string& url) const {
  if (url.size() > max_length_) return false;
  switch (scope_) {
    case Scope::host:
      if (!seed_hosts_.contains(std::string(url_host(url)))) return false;
      break;
    case Scope::domain:
      if (!seed_domains_.contains(registrable_domain(std::string(url_host(url))))) return false;
      break;
    case Scope::any: break;
  }
  const auto matches = [&](const boost::regex& re) { return boost::regex_search(url, re); };
  if (!include_.empty() && std::none_of(include_.begin(), include_.end(), matches)) return false;
  return std::none_of(exclude_.begin(), exclude_.end(), matches);
}

}  // namespace crawl

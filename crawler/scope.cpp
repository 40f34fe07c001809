#include "crawler/scope.h"

#include <algorithm>
#include <mutex>

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

bool CrawlScope::in_seed_set(const std::unordered_set<std::string>& set, const std::string& key) const {
  std::shared_lock lock(seeds_mutex_);
  return set.contains(key);
}

void CrawlScope::add_seed_host(const std::string& url) {
  const std::string host(url_host(url));
  std::string domain = registrable_domain(host);
  if (in_seed_set(seed_hosts_, host) && in_seed_set(seed_domains_, domain)) return;
  std::unique_lock lock(seeds_mutex_);
  seed_hosts_.insert(host);
  seed_domains_.insert(std::move(domain));
}

std::string CrawlScope::rejection(const std::string& url) const {
  if (url.size() > max_length_) return "longer than --max-url-length " + std::to_string(max_length_);
  switch (scope_) {
    case Scope::host:
      if (!in_seed_set(seed_hosts_, std::string(url_host(url)))) return "outside --scope host";
      break;
    case Scope::domain:
      if (!in_seed_set(seed_domains_, registrable_domain(std::string(url_host(url))))) return "outside --scope domain";
      break;
    case Scope::any: break;
  }
  const auto matches = [&](const boost::regex& re) { return boost::regex_search(url, re); };
  if (!include_.empty() && std::none_of(include_.begin(), include_.end(), matches)) return "not matched by --include";
  if (std::any_of(exclude_.begin(), exclude_.end(), matches)) return "matched by --exclude";
  return {};
}

}  // namespace crawl

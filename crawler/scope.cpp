#include "crawler/scope.h"

#include <algorithm>
#include <mutex>

#include "core/url_parts.h"
#include "web/domain.h"

namespace crawl {

namespace {

// The path's segments, between slashes ("/a/b/" → a, b; "/a//b" → a, "", b).
std::vector<std::string_view> segments_of(std::string_view url) {
  std::vector<std::string_view> out;
  std::string_view path = url_path(url);
  if (path.starts_with('/')) path.remove_prefix(1);
  while (!path.empty()) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::size_t path_segments(std::string_view url) { return segments_of(url).size(); }

bool repeats_path_segments(std::string_view url, int max_repeats) {
  const auto segments = segments_of(url);
  const std::size_t n = segments.size();
  const auto times = static_cast<std::size_t>(max_repeats) + 1;  // occurrences in a row that trip it
  // A run of `len` segments occurs `times` times in a row at i when
  // segments[j] == segments[j + len] for the len * (times - 1) positions
  // j from i on: count such positions in a row, for each run length.
  for (std::size_t len = 1; len * times <= n; ++len) {
    std::size_t in_a_row = 0;
    for (std::size_t j = 0; j + len < n; ++j) {
      in_a_row = segments[j] == segments[j + len] ? in_a_row + 1 : 0;
      if (in_a_row >= len * (times - 1)) return true;
    }
  }
  return false;
}

CrawlScope::CrawlScope(const Config& config, const std::vector<Seed>& seeds)
    : scope_(config.scope),
      max_length_(static_cast<std::size_t>(config.max_url_length)),
      max_path_depth_(config.max_path_depth),
      max_path_repeats_(config.max_path_repeats) {
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

Rejection CrawlScope::rejection(const std::string& url) const {
  if (url.size() > max_length_) return {bound::url_length, "longer than --max-url-length " + std::to_string(max_length_)};
  if (max_path_depth_ > 0 && path_segments(url) > static_cast<std::size_t>(max_path_depth_))
    return {bound::path_depth, "more than --max-path-depth " + std::to_string(max_path_depth_) + " path segments"};
  if (max_path_repeats_ > 0 && repeats_path_segments(url, max_path_repeats_))
    return {bound::path_repeats,
            "a path segment repeated more than --max-path-repeats " + std::to_string(max_path_repeats_) + " times"};
  switch (scope_) {
    case Scope::host:
      if (!in_seed_set(seed_hosts_, std::string(url_host(url)))) return {{}, "outside --scope host"};
      break;
    case Scope::domain:
      if (!in_seed_set(seed_domains_, registrable_domain(std::string(url_host(url)))))
        return {{}, "outside --scope domain"};
      break;
    case Scope::any: break;
  }
  const auto matches = [&](const boost::regex& re) { return boost::regex_search(url, re); };
  if (!include_.empty() && std::none_of(include_.begin(), include_.end(), matches))
    return {{}, "not matched by --include"};
  if (std::any_of(exclude_.begin(), exclude_.end(), matches)) return {{}, "matched by --exclude"};
  return {};
}

}  // namespace crawl

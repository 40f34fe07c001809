#include "core/url_parts.h"

namespace crawl {

std::string_view url_origin(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const auto path = url.find_first_of("/?#", scheme_end + 3);
  return path == std::string_view::npos ? url : url.substr(0, path);
}

std::string_view url_host(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view authority = url_origin(url).substr(scheme_end + 3);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.starts_with('[')) return authority.substr(0, authority.find(']') + 1);  // IPv6 literal
  return authority.substr(0, authority.find(':'));
}

std::string_view url_path(std::string_view url) {
  std::string_view rest = url.substr(url_origin(url).size());
  return rest.substr(0, rest.find_first_of("?#"));
}

}  // namespace crawl

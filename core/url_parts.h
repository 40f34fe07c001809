// The parts of a normalized absolute URL (web/url.h's normalize_url output:
// lowercase scheme and host, no default port) that the engine and the fetch
// layer need on every request, found without parsing or allocating. Not
// validating parsers: give them normalized URLs. Pure; thread-safe.
#pragma once

#include <string_view>

namespace crawl {

// "scheme://host[:port]": everything before the path (the unit robots.txt
// and the per-host leases apply to). "" when `url` has no "://".
std::string_view url_origin(std::string_view url);

// The host: between "://" and the path, without userinfo and port; an IPv6
// literal keeps its brackets ("[::1]"). "" when `url` has no "://".
std::string_view url_host(std::string_view url);

// The path: after the origin, up to "?" or "#" ("" for "http://h?q").
std::string_view url_path(std::string_view url);

}  // namespace crawl

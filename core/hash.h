// One stable 64-bit hash for the whole project (XXH3): the same value on every
// platform and in every run, unlike std::hash. Used for the seen-set's
// fingerprints, the host → event loop sharding and short file names.
#pragma once

#include <cstdint>
#include <string_view>

namespace crawl {

std::uint64_t stable_hash64(std::string_view bytes) noexcept;

// The fingerprint of a normalized URL: XXH3-64 with the seen-set's fixed seed, never 0 (0 and 1
// are one fingerprint). Stable across runs and machines: the crawl state stores it
// (urls.fp) and the seen-set is rebuilt from it.
std::uint64_t url_fingerprint(std::string_view url) noexcept;

}  // namespace crawl

#include "core/hash.h"

#include <xxhash.h>

namespace crawl {

std::uint64_t stable_hash64(std::string_view bytes) noexcept { return XXH3_64bits(bytes.data(), bytes.size()); }

std::uint64_t url_fingerprint(std::string_view url) noexcept {
  constexpr XXH64_hash_t kSeed = 0x63726177'6c736565;  // "crawlsee": fixed, fingerprints are stored
  const std::uint64_t fp = XXH3_64bits_withSeed(url.data(), url.size(), kSeed);
  return fp == 0 ? 1 : fp;  // 0 marks the seen-set's empty slots
}

}  // namespace crawl

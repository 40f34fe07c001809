// One stable 64-bit hash for the whole project (XXH3): the same value on every
// platform and in every run, unlike std::hash. Used for the seen-set's
// fingerprints, the host → event loop sharding and short file names.
#pragma once

#include <cstdint>
#include <string_view>

namespace crawl {

std::uint64_t stable_hash64(std::string_view bytes) noexcept;

}  // namespace crawl

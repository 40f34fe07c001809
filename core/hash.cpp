#include "core/hash.h"

#include <xxhash.h>

namespace crawl {

std::uint64_t stable_hash64(std::string_view bytes) noexcept { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace crawl

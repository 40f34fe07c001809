// Text from outside (a URL list, a server's header) as it can be shown on a
// terminal or in a log: control bytes and bytes that are not UTF-8 as \xNN,
// cut after `max_bytes` with "…" (a binary file must not write escape
// sequences to the user's terminal).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crawl {

std::string printable(std::string_view text, std::size_t max_bytes = 300);

}  // namespace crawl

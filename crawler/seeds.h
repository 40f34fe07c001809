// The seed list format: the URLs a crawl starts from.
//
//   # comment                       blank lines and lines starting with '#' are ignored
//   http://127.0.0.1:8080/          one URL per line, priority 0
//   http://127.0.0.2/news   -1.5    optional priority (integer or decimal); lower goes first
//
// A line that cannot be used (bad URL, scheme other than http(s), bad priority, extra fields,
// a URL already listed) is skipped with a warning "FILE:LINE: reason: 'line'", the line's
// bytes shown escaped (core/printable.h: a binary list writes no control bytes to the
// terminal). CRLF line endings and a UTF-8 byte order mark are accepted.
//
// Bounds, so that any file (/dev/zero, a binary, a 10 GB line) costs bounded memory:
//  - a line longer than kSeedLineFactor × the URL length cap (--max-url-length: 8,332 bytes
//    by default) cannot hold a URL within the cap, even percent-encoded and followed by a
//    priority: it is skipped with a warning naming its line and length, and never held in
//    memory beyond the bound;
//  - a NUL byte ends the reading with an error: no URL list has one, a binary file or UTF-16
//    text does (grep's and git's test for binary);
//  - the first kMaxSeedWarnings warnings are kept, then one that counts the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crawl {

struct Seed {
  std::string url;  // normalized (url.h)
  double priority = 0;
  std::int64_t line = 0;  // 1-based line in the file
};

struct SeedList {
  std::vector<Seed> seeds;            // in file order; each URL once (the first line wins)
  // One per skipped line, in file order, up to kMaxSeedWarnings; then one more,
  // "FILE: N more lines skipped", if there were more.
  std::vector<std::string> warnings;
};

inline constexpr std::size_t kSeedLineFactor = 4;
inline constexpr std::size_t kMaxSeedWarnings = 100;
inline constexpr std::size_t kDefaultSeedMaxUrlLength = 2083;

// Parses seed list text; `filename` is only used in messages; lines longer than
// kSeedLineFactor × max_url_length bytes are skipped (see above). Bad lines are warnings, not
// errors: a list without a valid seed is returned empty, for the caller to report. Throws
// std::runtime_error("FILE:LINE: NUL byte: …") for text that is not a URL list.
SeedList parse_seed_list(std::string_view text, std::string_view filename,
                         std::size_t max_url_length = kDefaultSeedMaxUrlLength);

// Reads the file at `path` (any file: a pipe, a device) in bounded chunks and parses it as
// parse_seed_list() does; memory stays within the bounds above whatever the file holds.
// Throws std::runtime_error("cannot read PATH: reason") if the file cannot be opened or read,
// and parse_seed_list()'s error for a NUL byte.
SeedList read_seed_file(const std::string& path,
                        std::size_t max_url_length = kDefaultSeedMaxUrlLength);

}  // namespace crawl

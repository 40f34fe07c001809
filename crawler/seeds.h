// The seed list format: the URLs a crawl starts from.
//
//   # comment                       blank lines and lines starting with '#' are ignored
//   http://127.0.0.1:8080/          one URL per line, priority 0
//   http://127.0.0.2/news   -1.5    optional priority (integer or decimal); lower goes first
//
// A line that cannot be used (bad URL, scheme other than http(s), bad priority, extra fields,
// a URL already listed) is skipped with a warning "FILE:LINE: reason: 'line'". CRLF line
// endings and a UTF-8 byte order mark are accepted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crawl {

struct Seed {
  std::string url;  // normalized (url.h)
  double priority = 0;
  int line = 0;  // 1-based line in the file
};

struct SeedList {
  std::vector<Seed> seeds;            // in file order; each URL once (the first line wins)
  std::vector<std::string> warnings;  // one per skipped line, in file order
};

// Parses seed list text; `filename` is only used in warnings. Never throws for bad content: a
// list without a valid seed is returned empty, for the caller to report.
SeedList parse_seed_list(std::string_view text, std::string_view filename);

// Reads the file at `path` and parses it. Throws std::runtime_error("cannot read PATH: reason")
// if the file cannot be opened or read.
SeedList read_seed_file(const std::string& path);

}  // namespace crawl

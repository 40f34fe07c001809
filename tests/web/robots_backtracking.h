// The robots.txt pattern matcher web/robots.cpp had before issue 12: greedy,
// backtracking to the most recent '*'. Correct for '*'-only globs and
// O(pattern × path) (2.8 s for a long "/*a*a*…*b" rule against a 100 KB
// path). Kept as the reference that robots_test and fuzz_robots check the
// linear matcher (robots_pattern_matches) against.
#pragma once

#include <cstddef>
#include <string_view>

namespace crawl::reference {

inline bool backtracking_matches(std::string_view pattern, std::string_view path) {
  bool anchored = false;
  if (!pattern.empty() && pattern.back() == '$') {
    anchored = true;
    pattern.remove_suffix(1);
  }
  if (pattern.find('*') == std::string_view::npos) return anchored ? path == pattern : path.starts_with(pattern);
  std::size_t p = 0, s = 0;
  std::size_t star = std::string_view::npos, star_s = 0;
  while (true) {
    if (p == pattern.size()) {
      // Unanchored patterns only need to match a prefix of the path.
      if (!anchored || s == path.size()) return true;
    } else if (pattern[p] == '*') {
      star = p++;
      star_s = s;
      continue;
    } else if (s < path.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
      continue;
    }
    if (star == std::string_view::npos || star_s >= path.size()) return false;
    p = star + 1;
    s = ++star_s;
  }
}

}  // namespace crawl::reference

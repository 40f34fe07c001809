// Fuzzes web/robots.h: parse_robots on a robots.txt, then allowed() on
// paths. Input: the robots.txt, then a NUL byte, then paths one per line.
// Invariants: /robots.txt is always allowed, a Crawl-delay is never negative;
// and the linear matcher (robots_pattern_matches) agrees with the old
// backtracking one on every pair of the first paths, one taken as a pattern.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "tests/web/robots_backtracking.h"
#include "web/robots.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = crawl::fuzz::as_text(data, size);
  const std::size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  std::vector<std::string_view> paths;
  if (nul != std::string_view::npos) {
    std::string_view rest = input.substr(nul + 1);
    while (!rest.empty() && paths.size() < 64) {
      const std::size_t eol = rest.find('\n');
      paths.push_back(rest.substr(0, eol));
      rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    }
  }

  for (std::string_view agent : {"crawl", "googlebot", ""}) {
    const crawl::RobotsRules rules = crawl::parse_robots(text, agent);
    FUZZ_CHECK(rules.allowed("/robots.txt"));
    if (rules.crawl_delay) FUZZ_CHECK(*rules.crawl_delay >= 0);
    for (const std::string& sitemap : rules.sitemaps) FUZZ_CHECK(!sitemap.empty());
    for (std::string_view path : paths) (void)rules.allowed(path);
  }
  FUZZ_CHECK(!crawl::disallow_all().allowed("/x"));

  // The linear matcher against the reference (which is O(pattern × path):
  // keep the pairs short so that a slow reference is not reported as a hang).
  const std::size_t pairs = std::min<std::size_t>(paths.size(), 16);
  for (std::string_view pattern : std::vector(paths.begin(), paths.begin() + pairs)) {
    for (std::string_view path : std::vector(paths.begin(), paths.begin() + pairs)) {
      if (pattern.size() > 256 || path.size() > 256) continue;
      FUZZ_CHECK(crawl::robots_pattern_matches(pattern, path) ==
                 crawl::reference::backtracking_matches(pattern, path));
    }
  }
  return 0;
}

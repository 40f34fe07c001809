// Fuzzes web/sitemap.h: parse_sitemap on XML or gzip bodies (the seed corpus
// holds both). Invariants: every <loc> value is non-empty and trimmed of XML
// white space (sitemap.h), whatever the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "web/sitemap.h"

namespace {

bool xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void check_locs(const std::vector<std::string>& locs) {
  for (const std::string& loc : locs) {
    FUZZ_CHECK(!loc.empty());
    FUZZ_CHECK(!xml_space(loc.front()) && !xml_space(loc.back()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const crawl::Sitemap sitemap = crawl::parse_sitemap(crawl::fuzz::as_text(data, size));
  check_locs(sitemap.urls);
  check_locs(sitemap.sitemaps);
  return 0;
}

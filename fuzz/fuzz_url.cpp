// Fuzzes web/url.h: normalize_url on the whole input, and resolve_url with the
// input split at its first newline into base and href. Invariants: a result
// is an absolute http(s) URL in canonical form, so normalizing it again
// changes nothing, and it holds no byte a URL may not hold raw.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "web/url.h"

namespace {

bool raw_url_byte(unsigned char c) { return c > 0x20 && c < 0x7F && c != '#'; }

void check_canonical(const std::optional<std::string>& url) {
  if (!url) return;
  FUZZ_CHECK(url->starts_with("http://") || url->starts_with("https://"));
  for (unsigned char c : *url) FUZZ_CHECK(raw_url_byte(c));
  const std::optional<std::string> again = crawl::normalize_url(*url);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *url);  // idempotent
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = crawl::fuzz::as_text(data, size);
  check_canonical(crawl::normalize_url(input));

  const std::string encoded = crawl::normalize_percent_encoding(input);
  FUZZ_CHECK(crawl::normalize_percent_encoding(encoded) == encoded);  // idempotent (url.h)

  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view base = input.substr(0, newline), href = input.substr(newline + 1);
  // resolve_url is given normalized bases by the crawler, but must survive any.
  check_canonical(crawl::resolve_url(base, href));
  if (const auto normalized_base = crawl::normalize_url(base)) {
    const std::optional<std::string> resolved = crawl::resolve_url(*normalized_base, href);
    check_canonical(resolved);
    // An empty href and a fragment-only href resolve to the base itself (url.h).
    if (href.empty() || href.starts_with('#')) {
      if (resolved) FUZZ_CHECK(*resolved == *normalized_base);
    }
  }
  return 0;
}

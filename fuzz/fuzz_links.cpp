// Fuzzes web/links.h: extract_page_links, extract_page_links_html5 and
// extract_page_links_gumbo on an HTML page in a charset taken from the
// input's first byte (an index into kCharsets; past them, the
// input's first line is the label itself, as a Content-Type would give it),
// and the serialize/parse round trip of what it found. Invariants: every
// link is a canonical http(s) URL, none is listed twice or in both lists,
// and parse_page_links(serialize_page_links(x)) gives x back.
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "web/links.h"

namespace {

// Labels servers send: WHATWG Encoding's common ones, some aliases and
// case variants, UTF-16/32 (a different code unit), a stateful ISO-2022,
// and names libxml2 does not know.
constexpr std::array<std::string_view, 24> kCharsets = {
    "",          "utf-8",        "UTF-8",      "iso-8859-1", "latin1",     "windows-1252", "shift_jis", "euc-jp",
    "iso-2022-jp", "gb18030",    "gbk",        "big5",       "euc-kr",     "koi8-r",       "windows-1251", "utf-16",
    "utf-16le",  "UTF-16BE",     "utf-32",     "ucs-2",      "utf-7",      "x-user-defined", "no-such-charset",
    "\"utf-8\""};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input = crawl::fuzz::as_text(data, size);
  std::string charset;
  const unsigned char selector = data[0];
  input.remove_prefix(1);
  if (selector < kCharsets.size()) {
    charset = kCharsets[selector];
  } else {
    const std::size_t eol = input.find('\n');
    // As a header would: "text/html; charset=..." read by content_type_charset.
    charset = crawl::content_type_charset(input.substr(0, eol));
    input.remove_prefix(eol == std::string_view::npos ? input.size() : eol + 1);
  }

  const crawl::PageLinks found =
      crawl::extract_page_links(input, "http://example.com/dir/page.html?q=1", "crawl", charset);
  // The reference extractor holds the same invariants (and its arena and tree walk are fuzzed).
  const crawl::PageLinks reference =
      crawl::extract_page_links_gumbo(input, "http://example.com/dir/page.html?q=1", "crawl", charset);
  // Our HTML5 tokenizer: the same invariants. It is compared with gumbo in
  // tests/web/links_differential_test.cpp, whose named exceptions (gumbo's own departures from
  // the standard, foster-parenting order) a fuzzer would hit at once, so not here.
  const crawl::PageLinks html5 =
      crawl::extract_page_links_html5(input, "http://example.com/dir/page.html?q=1", "crawl", charset);
  for (const crawl::PageLinks* page : {&found, &reference, &html5}) {
    std::set<std::string> seen;
    for (const auto* list : {&page->links, &page->nofollow_links}) {
      for (const std::string& link : *list) {
        FUZZ_CHECK(link.starts_with("http://") || link.starts_with("https://"));
        FUZZ_CHECK(link.find_first_of("\r\n") == std::string::npos);
        FUZZ_CHECK(seen.insert(link).second);  // deduplicated, and never in both lists
      }
    }
  }

  const auto back = crawl::parse_page_links(crawl::serialize_page_links(found));
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(back->links == found.links);
  FUZZ_CHECK(back->nofollow_links == found.nofollow_links);
  FUZZ_CHECK(back->meta_nofollow == found.meta_nofollow);
  FUZZ_CHECK(back->meta_noindex == found.meta_noindex);
  return 0;
}

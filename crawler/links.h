// Link extraction from HTML (gumbo, the WHATWG HTML parsing algorithm).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crawl {

// Links of an HTML document fetched from `page_url` (normalized): the href of <a> and <area>
// and the src of <frame> and <iframe>, HTML namespace only, in document order. They are resolved
// against the document base URL — the href of the first <base> that has one, itself resolved
// against page_url, else page_url — and normalized with resolve_url() (url.h): fragments are
// dropped (so "#x" yields page_url itself), non-http(s) and empty hrefs are skipped, and
// duplicates are removed, keeping the first. <link>, <img>, <script> etc. are not followed.
//
// Pure and thread-safe. Safe on arbitrary bytes (not-HTML and broken HTML parse as browsers
// would; any nesting depth). Nesting deeper than 512 elements is flattened before parsing, as
// Chromium does, because gumbo's time grows with depth × elements; link elements are kept.
std::vector<std::string> extract_links(std::string_view html, std::string_view page_url);

}  // namespace crawl

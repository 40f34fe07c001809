// Link extraction from HTML (libxml2's HTML parser, streaming; see links.cpp for why not gumbo).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crawl {

// Links of an HTML document fetched from `page_url` (normalized): the href of <a> and <area>
// and the src of <frame> and <iframe>, in document order. They are resolved
// against the document base URL — the href of the first <base> that has one, itself resolved
// against page_url, else page_url — and normalized with resolve_url() (url.h): fragments are
// dropped (so "#x" yields page_url itself), non-http(s) and empty hrefs are skipped, and
// duplicates are removed, keeping the first. <link>, <img>, <script> etc. are not followed.
//
// Pure and thread-safe. Safe on arbitrary bytes (not-HTML and broken HTML are parsed leniently;
// any nesting depth: no tree is built). Time is linear in the input.
std::vector<std::string> extract_links(std::string_view html, std::string_view page_url);

}  // namespace crawl

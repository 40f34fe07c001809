// XML sitemaps (sitemaps.org protocol 0.9): the URLs a site lists for crawlers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crawl {

struct Sitemap {
  std::vector<std::string> urls;      // <urlset><url><loc>, in document order
  std::vector<std::string> sitemaps;  // <sitemapindex><sitemap><loc>: more sitemaps to fetch
  std::size_t dropped = 0;            // <loc>s past `max_entries`, counted but not kept
};

// The protocol's size limit for one sitemap, uncompressed: 50 MiB.
inline constexpr std::size_t kMaxSitemapBytes = 50 * 1024 * 1024;

// Parses a sitemap file: XML, or the same gzip-compressed (recognized by the 1f 8b magic
// bytes, whatever the Content-Type said; concatenated gzip members are read as one stream).
// Only the first kMaxSitemapBytes of XML are read, so a gzip bomb costs at most that much
// inflating, a little CPU and no memory beyond what the URLs take.
//
// Reads <urlset><url><loc> into `urls` and <sitemapindex><sitemap><loc> into `sitemaps`: the
// root element decides which, and <loc> counts only as a child of an entry that is a child of
// the root, all in the root's namespace (the sitemaps.org one, another, or none), so extension
// elements such as <image:image><image:loc> are skipped; the first <loc> of an entry counts.
// Each <loc>'s text (CDATA included, character and predefined entity references decoded) is
// trimmed of XML whitespace; empty ones are skipped. The URLs are neither validated nor
// normalized (the caller does that) nor deduplicated. Everything else is ignored.
//
// Never throws but std::bad_alloc. Malformed XML gives what was parsed before the first
// well-formedness error (truncated input: every <loc> closed before the cut); not-XML gives an
// empty Sitemap. Gzip is inflated as a stream, so corrupt gzip gives what inflated before zlib
// noticed (deflate has no checksum before the trailer: that may include a few bytes from the
// damaged part). XXE-safe: no DTD or external entity is loaded, nothing touches the network,
// and entities declared in the document are never expanded (a reference to one is an error),
// so "billion laughs" costs nothing. At most `max_entries` URLs (or sitemaps) are kept, in
// document order; the rest are counted in `dropped`, so a sitemap's memory is bounded by
// that whatever it lists. Pure and thread-safe.
Sitemap parse_sitemap(std::string_view body, std::size_t max_entries = SIZE_MAX);

}  // namespace crawl

// disk_path_for(): where DiskSink saves a URL, as a path relative to the
// output directory, in wget's layout (`host[_port]/dir/file?query`).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string_view>

namespace crawl {

// Longest file-name component disk_path_for() produces, in bytes. Longer ones
// are cut and end in "~" + 16 hex digits of a hash of the full name, so they
// stay unique; the limit leaves room under NAME_MAX (255) for DiskSink's
// temporary-file prefix and suffix.
inline constexpr std::size_t kMaxDiskNameBytes = 200;

// Maps an absolute http(s) URL to a RELATIVE path `host[_port]/seg/…/name`.
// Pure function of its input; thread-safe.
//
// Rules (wget-like):
//  - host: lower-cased; "_PORT" appended when a port other than the scheme's
//    default (80 / 443) is given; IPv6 literals lose their brackets and ':'
//    becomes '_'. A leading '.' is encoded (%2E) so no host can name a hidden
//    directory such as DiskSink's ".crawl".
//  - path segments are percent-decoded for readability, but '%' itself, '/',
//    '?', '\\', NUL, bytes < 0x20 and 0x7F are (re-)encoded as %XX, so a
//    segment never creates a directory of its own, the first '?' of a name
//    always starts the query, and decoding stays unambiguous.
//  - segments that are empty or "." / ".." after decoding are dropped: the
//    result never climbs out of the output directory.
//  - a path ending in '/' (or empty, or whose last segment was dropped) gets
//    "index.html".
//  - a non-empty query is appended to the last name as "?QUERY", kept as sent
//    (still percent-encoded) except that '/', '\\' and control bytes are
//    encoded as %XX (so "?a/b" and "?a%2Fb" map to one name, as in wget).
//  - fragment and userinfo are ignored.
//  - every component longer than kMaxDiskNameBytes is shortened as above.
//
// Not one-to-one, and cannot be while it stays wget's layout: URLs that differ
// only in how a byte is written ("/a,b" and "/a%2Cb", "?a/b" and "?a%2Fb"),
// "dir/" and "dir/index.html", and, on a case-insensitive file system, "/A"
// and "/a" get one name. DiskSink detects these and keeps every page (the
// second gets ".1", as wget names a second copy); see disk_sink.h.
//
// Guarantees: the result is relative, non-empty, has no empty, "." or ".."
// component and no root. Returns nullopt when `url` does not parse as an
// absolute URI (RFC 3986), is not http/https, or has an empty host.
std::optional<std::filesystem::path> disk_path_for(std::string_view url);

}  // namespace crawl

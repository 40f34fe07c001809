// URL normalization and reference resolution for the crawler.
//
// Pure functions, thread-safe. Every URL that enters the frontier goes through normalize_url()
// or resolve_url(), so two spellings of one resource compare equal as strings.
//
// Canonical form (RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based normalization):
// lowercase scheme and host (punycode for IDNs, below); percent-encoding with uppercase hex and
// unreserved characters decoded (reserved ones such as %2F stay encoded); dot segments removed;
// default port (80 http, 443 https) and empty port removed, leading zeros dropped; empty path
// becomes "/"; an empty query ("?" with nothing after it) is dropped; the fragment is dropped;
// userinfo is kept as is.
// Boost.URL parses; normalization and RFC 3986 §5.2 resolution are done here, because
// Boost 1.81's normalize()/resolve() get several of these cases wrong (see url.cpp).
//
// Input is read with the WHATWG URL standard's forgiveness, as browsers read hrefs: leading and
// trailing C0 controls and spaces are stripped, tab/LF/CR removed anywhere, '\' read as '/',
// "http:host" and "http:///host" read as "http://host", and bytes RFC 3986 does not allow (space,
// non-ASCII UTF-8, '|', '^', '{', '"', a '%' not followed by two hex digits, …) are
// percent-encoded before parsing.
//
// Hosts are read as the WHATWG URL standard's host parser reads them: percent-decoded, then
// internationalized names converted to ASCII (UTS #46 non-transitional, via libidn2):
// "http://Bücher.example/" and "http://B%C3%BCcher.example/" both become
// "http://xn--bcher-kva.example/"; "xn--" labels are checked and kept. A host that is not a
// valid IDN (bad punycode, invalid UTF-8, disallowed code points such as emoji — stricter than
// browsers there, see url.cpp) or that contains a forbidden character ('/', '%', space, …) after
// decoding is rejected. Not supported: WHATWG's IPv4 number forms ("http://0x7f.1/") are kept
// as names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace crawl {

// Absolute http(s) URL → canonical form, or nullopt if it is not parsable, not http(s), or has
// no host.
std::optional<std::string> normalize_url(std::string_view url);

// Resolves an href found on a page at `base` (an absolute http(s) URL, normally already
// normalized) per RFC 3986 §5.2 → normalized absolute URL, or nullopt for hrefs that are empty,
// unparsable, or of a scheme other than http(s) (mailto:, javascript:, data:, tel:, ftp:, …).
// "#frag" resolves to the base itself; "//host/x" takes the base's scheme; "http:x" on an http
// base is relative, as in browsers (the RFC §5.4.2 "backward compatibility" reading).
std::optional<std::string> resolve_url(std::string_view base, std::string_view href);


// RFC 3986 §6.2.2.2 percent-encoding normalization of a URL component: %XX of an unreserved
// character is decoded, other %XX keep uppercase hex; octets that may not appear raw (controls,
// space, DEL, non-ASCII) and a '%' that starts no escape are encoded. Idempotent.
std::string normalize_percent_encoding(std::string_view s);

}  // namespace crawl

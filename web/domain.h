// Registrable domains ("eTLD+1") from the Public Suffix List, for grouping hosts by site.
#pragma once

#include <string>
#include <string_view>

namespace crawl {

// The registrable domain of `host` (a host as url_host() returns it: lowercase ASCII, IDNs in
// punycode): the public suffix plus one label, per the Public Suffix List's ICANN and private
// sections — "www.example.co.uk" → "example.co.uk", "a.b.example.com" → "example.com",
// "foo.github.io" → "foo.github.io" (github.io is a private-section suffix).
//
// Returned lowercase, without a trailing dot. A host that has no registrable domain is returned
// itself (lowercased): IP addresses ("127.0.1.5", "[::1]", and what WHATWG would read as IPv4,
// such as "0x7f.1"), public suffixes themselves ("co.uk", "com"), single labels ("localhost").
// "" for "".
//
// Uses libpsl's list compiled into the library (Debian's libpsl builds it from the
// `publicsuffix` package; no network, no file read at run time). Pure and thread-safe.
std::string registrable_domain(std::string_view host);

}  // namespace crawl

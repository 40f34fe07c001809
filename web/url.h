// URL normalization and reference resolution for the crawler.
//
// Pure functions, thread-safe. Every URL that enters the frontier goes through normalize_url()
// or resolve_url(), so two spellings of one resource compare equal as strings.
//
// Canonical form: a browser's href (WHATWG URL serialization) with RFC 3986 §6.2.2/§6.2.3
// normalization on top. Lowercase scheme and host (punycode for IDNs, below); percent-encoding
// with uppercase hex and unreserved characters decoded (reserved ones such as %2F stay encoded);
// dot segments removed ("%2e" counts as '.'); default port (80 http, 443 https) and empty port
// removed, leading zeros dropped; empty path becomes "/"; an empty query ("?" with nothing after
// it) is dropped; the fragment is dropped. Userinfo is written as WHATWG writes it: dropped when
// both user and password are empty ("http://:@h/" is "http://h/"), ":" only before a password,
// the userinfo percent-encode set encoded. Where browsers leave a byte raw that RFC 3986 does not
// allow ('|', '^', '`', '{', '}', a '%' that starts no escape), it is percent-encoded, so every
// output is a valid RFC 3986 URI. The query also encodes the apostrophe (WHATWG special-query set).
// tests/web/url_wpt_test.cpp checks this against every web-platform-tests URL case with an http(s)
// input or base; the few cases where we differ (IDNA, below) are listed there with the reason.
// Parsing and RFC 3986 §5.2 resolution are done here (url.cpp says why not Boost.URL's).
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
// decoding is rejected. A host that ends in a number is read by WHATWG's IPv4 parser and written
// in dotted decimal ("http://0x7f.1/" and "http://2130706433/" are "http://127.0.0.1/"), or
// rejected where that parser fails ("http://1.2.3.4.5/", "http://256.0.0.1/"). IPv6 literals are
// written as WHATWG's IPv6 serializer writes them ("[0:0::1]" is "[::1]", "[::1.2.3.4]" is
// "[::102:304]").
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace crawl {

// Absolute http(s) URL → canonical form, or nullopt if it is not parsable, not http(s), or has
// no host.
std::optional<std::string> normalize_url(std::string_view url);

// Resolves an href found on a page at `base` (an absolute http(s) URL, normally already
// normalized) per RFC 3986 §5.2 → normalized absolute URL, or nullopt for hrefs that are
// unparsable or of a scheme other than http(s) (mailto:, javascript:, data:, tel:, ftp:, …).
// "" and "#frag" resolve to the base itself (URL standard; link extraction skips empty hrefs);
// "//host/x" takes the base's scheme; "http:x" on an http base is relative, as in browsers (the
// RFC §5.4.2 "backward compatibility" reading). A base of another scheme ("about:blank") serves
// only absolute http(s) hrefs.
std::optional<std::string> resolve_url(std::string_view base, std::string_view href);

// resolve_url() of many hrefs against one base (a page's links): the base is read once.
// Thread-compatible (resolve() is const).
class UrlResolver {
 public:
  explicit UrlResolver(std::string_view base);
  ~UrlResolver();
  UrlResolver(const UrlResolver&) = delete;
  UrlResolver& operator=(const UrlResolver&) = delete;
  // resolve_url(base, href).
  std::optional<std::string> resolve(std::string_view href) const;

 private:
  struct Base;
  std::unique_ptr<const Base> base_;
};


// RFC 3986 §6.2.2.2 percent-encoding normalization of a URL component: %XX of an unreserved
// character is decoded, other %XX keep uppercase hex; octets that may not appear raw (controls,
// space, DEL, non-ASCII) and a '%' that starts no escape are encoded. Idempotent.
std::string normalize_percent_encoding(std::string_view s);

}  // namespace crawl

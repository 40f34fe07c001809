#include "web/url.h"

#include <boost/url/ipv6_address.hpp>
#include <idn2.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/ascii.h"

namespace crawl {
namespace {

namespace urls = boost::urls;

constexpr char kHexDigits[] = "0123456789ABCDEF";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f'); }

bool is_http_scheme(std::string_view lower_scheme) {
  return lower_scheme == "http" || lower_scheme == "https";
}

// The scheme of a URI reference (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
// before the first ':'), lowercased; "" for a relative reference.
std::string scheme_of(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || !ascii_is_alpha(s[0])) return {};
  for (char c : s.substr(0, colon)) {
    if (!ascii_is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return {};
  }
  return ascii_lowercase(s.substr(0, colon));
}

// An href (or URL) read the way the WHATWG URL parser reads it, split into RFC 3986's parts.
// Views into `text`, which owns the bytes; the parts are still raw (not yet percent-encoded).
struct Reference {
  std::string text;
  std::string scheme;  // lowercase; "" for a relative reference
  std::optional<std::pair<std::size_t, std::size_t>> authority;  // [begin, end) in text
  std::size_t path_begin = 0;
  std::size_t path_end = 0;
  std::optional<std::size_t> query_begin;  // just after the '?'

  std::string_view authority_text() const {
    return std::string_view(text).substr(authority->first, authority->second - authority->first);
  }
  std::string_view path() const {
    return std::string_view(text).substr(path_begin, path_end - path_begin);
  }
  std::optional<std::string_view> query() const {
    if (!query_begin) return std::nullopt;
    return std::string_view(text).substr(*query_begin);
  }
};

// Reads an href as the WHATWG URL parser does for the special schemes http and https:
// leading and trailing C0 controls and spaces stripped, tab/LF/CR removed anywhere, the
// fragment dropped (fragments never reach the frontier), '\' read as '/' before the query,
// "http:h", "http:/h" and "http:///h" read as "http://h" (but as relative references when the
// base has the same scheme, as in browsers). `base_scheme` is the lowercase scheme of the base,
// "" when there is none. nullopt if the href has a scheme other than http(s).
std::optional<Reference> read_reference(std::string_view href, std::string_view base_scheme) {
  while (!href.empty() && static_cast<unsigned char>(href.front()) <= 0x20) href.remove_prefix(1);
  while (!href.empty() && static_cast<unsigned char>(href.back()) <= 0x20) href.remove_suffix(1);
  Reference r;
  std::string& s = r.text;
  s.reserve(href.size());
  for (char c : href) {
    if (c == '#') break;
    if (c != '\t' && c != '\n' && c != '\r') s += c;
  }
  r.scheme = scheme_of(s);
  if (!r.scheme.empty() && !is_http_scheme(r.scheme)) return std::nullopt;
  const std::size_t query = s.find('?');
  for (std::size_t i = 0; i < std::min(query, s.size()); ++i) {
    if (s[i] == '\\') s[i] = '/';
  }
  std::size_t at = r.scheme.empty() ? 0 : r.scheme.size() + 1;
  const bool slashes = s.compare(at, 2, "//") == 0;
  if ((!r.scheme.empty() && r.scheme != base_scheme) || slashes) {
    at = std::min(s.find_first_not_of('/', at), s.size());  // any number of slashes
    const std::size_t end = std::min(s.find_first_of("/?", at), s.size());
    r.authority.emplace(at, end);
    at = end;
  }
  r.path_begin = at;
  r.path_end = std::min(query, s.size());
  if (query != std::string::npos) r.query_begin = query + 1;
  return r;
}

// RFC 3986 "pchar" and "query" characters besides unreserved ones and '%'.
bool is_sub_delim_or_colon_at_slash(char c) {
  static constexpr std::string_view kAllowed = "!$&'()*+,;=:@/?";
  return kAllowed.find(c) != std::string_view::npos;
}

bool is_unreserved(char c) {
  return ascii_is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  const char l = ascii_lower(c);
  return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
}

void append_percent(std::string& out, unsigned char c) {
  out += '%';
  out += kHexDigits[c >> 4];
  out += kHexDigits[c & 0xF];
}

// A path or query in canonical form, in one pass: %XX of an unreserved character decoded, other
// %XX with uppercase hex; every byte RFC 3986 does not allow there percent-encoded (controls,
// space, non-ASCII, '"', '<', '>', '[', ']', '\', '^', '`', '{', '|', '}', a '%' that starts no
// escape); in a query also '\'', which WHATWG's special-query percent-encode set encodes.
void append_canonical_component(std::string& out, std::string_view s, bool query) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
      if (lo < 0) {  // a '%' that starts no escape stands for itself
        append_percent(out, '%');
        continue;
      }
      const auto octet = static_cast<unsigned char>(hi * 16 + lo);
      if (is_unreserved(static_cast<char>(octet)))
        out += static_cast<char>(octet);
      else
        append_percent(out, octet);
      i += 2;
    } else if (is_unreserved(c) || (is_sub_delim_or_colon_at_slash(c) && !(query && c == '\''))) {
      out += c;
    } else {
      append_percent(out, static_cast<unsigned char>(c));
    }
  }
}

// RFC 3986 §5.2.4, step by step.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  const auto pop_segment = [&out] { out.erase(std::min(out.rfind('/'), out.size())); };
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./") || in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../")) {
      in.remove_prefix(3);
      pop_segment();
    } else if (in == "/..") {
      in = "/";
      pop_segment();
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const std::size_t next = std::min(in.find('/', 1), in.size());
      out += in.substr(0, next);
      in.remove_prefix(next);
    }
  }
  return out;
}

// Every %XX decoded; a '%' that starts no escape stays.
std::string percent_decode(std::string_view s) {
  const auto hex_value = [](char c) { return is_digit(c) ? c - '0' : ascii_lower(c) - 'a' + 10; };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// WHATWG URL "forbidden domain code point" (ASCII only: IDNA's output is ASCII).
bool is_forbidden_in_domain(char c) {
  static constexpr std::string_view kForbidden = "#/:<>?@[\\]^|%";
  return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F ||
         kForbidden.find(c) != std::string_view::npos;
}

struct Idn2Deleter {
  void operator()(char* p) const noexcept { idn2_free(p); }
};

// One label through UTS #46 ToASCII, non-transitional ("faß" stays "faß", as in browsers):
// mapping (which lowercases and may turn "。" into '.'), NFC, IDNA2008 validity, punycode.
// libidn2 is thread-safe and keeps no state. nullopt if the label is not a valid IDN.
std::optional<std::string> idna_to_ascii(const std::string& label) {
  char* out = nullptr;
  const int rc = idn2_to_ascii_8z(label.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  const std::unique_ptr<char, Idn2Deleter> owned(out);
  if (rc != IDN2_OK || out == nullptr) return std::nullopt;
  return std::string(out);
}

// WHATWG URL "host parsing" of a non-bracketed host, still percent-encoded as parsed:
// percent-decode, then "domain to ASCII" (UTS #46, CheckHyphens off, non-transitional), then
// reject forbidden domain code points. As the standard allows, a label that is ASCII and does
// not start with "xn--" is only lowercased: IDNA2008's hyphen rules would reject names such as
// "-x" or "a--b" that browsers and DNS accept. Other labels go through libidn2 one by one, for
// the same reason (a whole-name call would apply those rules to the ASCII labels too); "xn--"
// labels are decoded and checked there, so invalid punycode is rejected.
// Differences from browsers (libidn2 follows IDNA2008 where UTS #46 is looser): symbols and
// emoji ("☃", "💩") and labels over 63 bytes are rejected. IPv4 hosts pass through unchanged.
std::optional<std::string> canonical_host(std::string_view encoded_host) {
  const std::string decoded = percent_decode(encoded_host);
  std::string out;
  out.reserve(decoded.size());
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = std::min(decoded.find('.', start), decoded.size());
    const std::string_view label = std::string_view(decoded).substr(start, dot - start);
    const bool ascii = std::all_of(label.begin(), label.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii && !ascii_lowercase(label.substr(0, 4)).starts_with("xn--")) {
      out += ascii_lowercase(label);
    } else {
      // libidn2 takes C strings: a NUL ("%00") would cut the label short unseen.
      if (label.find('\0') != std::string_view::npos) return std::nullopt;
      const std::optional<std::string> converted = idna_to_ascii(std::string(label));
      if (!converted) return std::nullopt;
      out += *converted;
    }
    if (dot == decoded.size()) break;
    out += '.';
    start = dot + 1;
  }
  if (out.empty() || std::any_of(out.begin(), out.end(), is_forbidden_in_domain)) {
    return std::nullopt;
  }
  return out;
}

// WHATWG URL "IPv4 number parser": decimal, octal after a leading "0", hex after "0x"; "" after
// the prefix is 0. Values above 2^32 saturate (every such value is too large anyway).
std::optional<std::uint64_t> ipv4_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int radix = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    radix = 8;
    s.remove_prefix(1);
  }
  std::uint64_t value = 0;
  for (char c : s) {
    const int digit = hex_value(c);
    if (digit < 0 || digit >= radix) return std::nullopt;
    value = std::min<std::uint64_t>(value * radix + digit, std::uint64_t{1} << 33);
  }
  return value;
}

// WHATWG URL "ends in a number checker": the last label (a trailing empty one aside) is all
// digits or a valid "0x" number, so the host must be an IPv4 address.
bool ends_in_a_number(std::string_view host) {
  if (host.ends_with('.')) {
    if (host.size() == 1) return false;
    host.remove_suffix(1);
  }
  const std::string_view last = host.substr(host.rfind('.') + 1);
  if (!last.empty() && std::all_of(last.begin(), last.end(), is_digit)) return true;
  return last.starts_with("0x") && ipv4_number(last).has_value();  // host is lowercase here
}

// WHATWG URL "IPv4 parser" → dotted decimal: "0x7f.1" and "2130706433" are 127.0.0.1. nullopt
// where the standard fails (more than four parts, an empty or invalid part, a value too large).
std::optional<std::string> canonical_ipv4(std::string_view host) {
  if (host.ends_with('.') && host.size() > 1) host.remove_suffix(1);
  std::uint64_t parts[4];
  std::size_t count = 0;
  while (true) {
    const std::size_t dot = host.find('.');
    if (count == 4) return std::nullopt;
    const auto number = ipv4_number(host.substr(0, dot));
    if (!number) return std::nullopt;
    parts[count++] = *number;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  for (std::size_t i = 0; i + 1 < count; ++i)
    if (parts[i] > 255) return std::nullopt;
  if (parts[count - 1] >= (std::uint64_t{1} << (8 * (5 - count)))) return std::nullopt;
  std::uint64_t address = parts[count - 1];
  for (std::size_t i = 0; i + 1 < count; ++i) address += parts[i] << (8 * (3 - i));
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    if (shift != 24) out += '.';
    out += std::to_string((address >> shift) & 0xFF);
  }
  return out;
}

// An IP literal ("[...]") → WHATWG URL "IPv6 serializer" form: lowercase hex pieces without
// leading zeros, the first longest run of two or more zero pieces written "::", an embedded IPv4
// tail written as hex ("[::127.0.0.1]" → "[::7f00:1]"). Boost.URL parses (RFC 3986's IPv6address;
// no zone identifiers, no IPvFuture, as in WHATWG). nullopt if it is not an IPv6 address.
std::optional<std::string> canonical_ipv6(std::string_view literal) {
  if (literal.size() < 2 || literal.back() != ']') return std::nullopt;
  const auto parsed = urls::parse_ipv6_address(literal.substr(1, literal.size() - 2));
  if (!parsed) return std::nullopt;
  const auto bytes = parsed->to_bytes();
  unsigned pieces[8];
  for (int i = 0; i < 8; ++i) pieces[i] = bytes[2 * i] << 8 | bytes[2 * i + 1];
  int best = -1, best_len = 1;  // a single zero piece is not compressed
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && pieces[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out = "[";
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += i == 0 ? "::" : ":";
      i += best_len - 1;
      continue;
    }
    char hex[4];
    const auto [end, ec] = std::to_chars(hex, hex + 4, pieces[i], 16);
    out.append(hex, end);
    if (i != 7) out += ':';
  }
  out += ']';
  return out;
}

// WHATWG URL userinfo percent-encode set, plus a '%' that starts no escape (RFC 3986).
void append_userinfo(std::string& out, std::string_view s) {
  static constexpr std::string_view kEncoded = "\"#<>?`{}/:;=@[\\]^|";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool escape = c == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2]);
    if (c <= 0x20 || c >= 0x7F || (c == '%' && !escape) ||
        kEncoded.find(static_cast<char>(c)) != std::string_view::npos)
      append_percent(out, c);
    else
      out += static_cast<char>(c);
  }
}

// Appends the canonical authority of `authority` (raw, as read) for `lower_scheme`: WHATWG URL
// authority parsing — userinfo up to the last '@', split at its first ':' and written only when
// not empty; the host (IPv6 literal, IPv4 in any WHATWG number form, or a domain); the port,
// digits only, the scheme's default dropped. false if the authority is not valid.
bool append_authority(std::string& out, std::string_view authority, std::string_view lower_scheme) {
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    const std::string_view user = userinfo.substr(0, colon);
    const std::string_view password =
        colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
    if (!user.empty() || !password.empty()) {
      append_userinfo(out, user);
      if (!password.empty()) {
        out += ':';
        append_userinfo(out, password);
      }
      out += '@';
    }
    authority.remove_prefix(at + 1);
  }
  std::size_t host_end = authority.find(':');
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host_end = close + 1 == authority.size() ? std::string_view::npos : close + 1;
    if (host_end != std::string_view::npos && authority[host_end] != ':') return false;
    const auto literal = canonical_ipv6(authority.substr(0, close + 1));
    if (!literal) return false;
    out += *literal;
  } else {
    auto host = canonical_host(authority.substr(0, host_end));
    if (!host) return false;
    if (ends_in_a_number(*host)) {
      host = canonical_ipv4(*host);
      if (!host) return false;
    }
    out += *host;
  }
  if (host_end != std::string_view::npos) {
    const std::string_view port = authority.substr(host_end + 1);
    if (port.empty()) return true;
    if (!std::all_of(port.begin(), port.end(), is_digit)) return false;
    std::uint16_t number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size()) return false;
    if (number != (lower_scheme == "https" ? 443 : 80)) out.append(":").append(std::to_string(number));
  }
  return true;
}

// The canonical form (see url.h) of the http(s) URL with the given lowercase scheme, authority
// (raw, as read), path and query (raw, or already canonical: the form is idempotent).
std::optional<std::string> canonical(std::string_view lower_scheme, std::string_view authority,
                                     std::string_view path, std::optional<std::string_view> query) {
  std::string out;
  out.reserve(lower_scheme.size() + authority.size() + path.size() + (query ? query->size() : 0) + 8);
  out.append(lower_scheme).append("://");
  if (!append_authority(out, authority, lower_scheme)) return std::nullopt;
  const std::size_t path_at = out.size();
  append_canonical_component(out, path, false);
  // Dot segments are removed after decoding, so "%2e%2E" counts as ".." (as in WHATWG).
  const std::string clean_path = remove_dot_segments(std::string_view(out).substr(path_at));
  out.resize(path_at);
  out += clean_path.empty() || clean_path.front() != '/' ? "/" + clean_path : clean_path;
  if (query && !query->empty()) {
    out += '?';
    append_canonical_component(out, *query, true);
  }
  return out;
}

}  // namespace

std::string normalize_percent_encoding(std::string_view s) {
  const auto hex_value = [](char c) {
    if (is_digit(c)) return c - '0';
    const char l = ascii_lower(c);
    return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
  };
  const auto append_percent = [](std::string& out, unsigned char c) {
    out += '%';
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 0xF];
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
      if (lo < 0) {  // a '%' that starts no escape stands for itself
        append_percent(out, c);
        continue;
      }
      const auto octet = static_cast<char>(hi * 16 + lo);
      if (ascii_is_alpha(octet) || is_digit(octet) || octet == '-' || octet == '.' || octet == '_' || octet == '~')
        out += octet;
      else
        append_percent(out, static_cast<unsigned char>(octet));
      i += 2;
    } else if (c >= 0x80 || c <= 0x20 || c == 0x7F) {
      append_percent(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> normalize_url(std::string_view url) {
  const std::optional<Reference> r = read_reference(url, "");
  if (!r || r->scheme.empty() || !r->authority) return std::nullopt;
  return canonical(r->scheme, r->authority_text(), r->path(), r->query());
}

// RFC 3986 §5.2.2 over the parts read_reference() finds (Boost 1.81's parser and resolve() are
// not used: it misreads "http://1.2.3.4./" and "http://a@b@c/", leaves ".." above the root
// — boostorg/url#808 — and decodes "%2F" in paths into '/').
namespace {

// RFC 3986 §5.2.2 for an href read as `r` against the base read as `base`
// (nullopt: the base is not an absolute http(s) URL).
std::optional<std::string> resolve_reference(const Reference& r, const std::optional<Reference>& b) {
  if (!r.scheme.empty() && r.authority) return canonical(r.scheme, r.authority_text(), r.path(), r.query());
  if (!b || b->scheme.empty() || !b->authority) return std::nullopt;
  if (r.authority) return canonical(b->scheme, r.authority_text(), r.path(), r.query());
  const std::string_view ref_path = r.path();
  if (ref_path.empty())
    return canonical(b->scheme, b->authority_text(), b->path(), r.query_begin ? r.query() : b->query());
  std::string path;
  if (!ref_path.starts_with('/')) {  // §5.2.3 merge
    const std::string_view base_path = b->path();
    path = base_path.empty() ? "/" : std::string(base_path.substr(0, base_path.rfind('/') + 1));
  }
  path += ref_path;
  return canonical(b->scheme, b->authority_text(), path, r.query());
}

std::string base_scheme(std::string_view base) { return scheme_of(base.substr(0, base.find_first_of("/?#"))); }

}  // namespace

std::optional<std::string> resolve_url(std::string_view base, std::string_view href) {
  const std::optional<Reference> r = read_reference(href, base_scheme(base));
  if (!r) return std::nullopt;
  if (!r->scheme.empty() && r->authority) return resolve_reference(*r, std::nullopt);  // the base is not read
  return resolve_reference(*r, read_reference(base, ""));
}

struct UrlResolver::Base {
  std::string scheme;               // lowercase, "" if none
  std::optional<Reference> parsed;  // the base read as an absolute URL
};

UrlResolver::UrlResolver(std::string_view base)
    : base_(std::make_unique<const Base>(Base{base_scheme(base), read_reference(base, "")})) {}

UrlResolver::~UrlResolver() = default;

std::optional<std::string> UrlResolver::resolve(std::string_view href) const {
  const std::optional<Reference> r = read_reference(href, base_->scheme);
  return r ? resolve_reference(*r, base_->parsed) : std::nullopt;
}

}  // namespace crawl

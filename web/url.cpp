#include "web/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <idn2.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <string>

namespace crawl {
namespace {

namespace urls = boost::urls;

constexpr char kHexDigits[] = "0123456789ABCDEF";

char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (to_lower(c) >= 'a' && to_lower(c) <= 'f'); }

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

bool is_http_scheme(std::string_view lower_scheme) {
  return lower_scheme == "http" || lower_scheme == "https";
}

// The scheme of a URI reference (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
// before the first ':'), lowercased; "" for a relative reference.
std::string scheme_of(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(s[0])) return {};
  for (char c : s.substr(0, colon)) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return {};
  }
  return lowercase(s.substr(0, colon));
}

// Bytes RFC 3986 allows verbatim in a reference without fragment ('[' and ']' only in the
// host; '%' only before two hex digits — both handled by the caller).
bool is_uri_char(unsigned char c) {
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/?[]%";
  return is_alpha(static_cast<char>(c)) || is_digit(static_cast<char>(c)) ||
         kAllowed.find(static_cast<char>(c)) != std::string_view::npos;
}

// Rewrites an href the way the WHATWG URL parser reads it, into a string RFC 3986 (and so
// Boost.URL) can parse. `base_scheme` is the lowercase scheme of the base, "" when there is
// none. nullopt if the href is empty or has a scheme other than http(s).
std::optional<std::string> prepare(std::string_view href, std::string_view base_scheme) {
  while (!href.empty() && static_cast<unsigned char>(href.front()) <= 0x20) href.remove_prefix(1);
  while (!href.empty() && static_cast<unsigned char>(href.back()) <= 0x20) href.remove_suffix(1);
  std::string s;
  for (char c : href) {
    if (c != '\t' && c != '\n' && c != '\r') s += c;
  }
  if (s.empty()) return std::nullopt;
  s.erase(std::min(s.find('#'), s.size()));  // fragments never reach the frontier

  const std::string scheme = scheme_of(s);
  if (!scheme.empty() && !is_http_scheme(scheme)) return std::nullopt;
  // Only http(s) URLs remain (by their own scheme or the base's), where '\' means '/'
  // before the query.
  for (std::size_t i = 0; i < s.size() && s[i] != '?'; ++i) {
    if (s[i] == '\\') s[i] = '/';
  }
  std::string_view rest = std::string_view(s).substr(scheme.empty() ? 0 : scheme.size() + 1);
  const bool relative = scheme.empty() || (scheme == base_scheme && !rest.starts_with("//"));
  std::string out;
  if (!relative || rest.starts_with("//")) {
    // An authority follows: "http:h", "http:/h" and "http:///h" all mean "http://h".
    if (!relative) out = scheme + ":";
    out += "//";
    rest.remove_prefix(std::min(rest.find_first_not_of('/'), rest.size()));
  }
  const std::size_t authority_end =
      out.empty() ? 0 : std::min(rest.find_first_of("/?"), rest.size());
  // "a_b:c" has no valid scheme, so it is a path; RFC 3986 needs "./" to read it as one.
  if (out.empty() && rest.substr(0, rest.find_first_of("/?")).find(':') != std::string_view::npos) {
    out = "./";
  }

  for (std::size_t i = 0; i < rest.size(); ++i) {
    const auto c = static_cast<unsigned char>(rest[i]);
    const bool keep =
        is_uri_char(c) &&
        (c != '%' || (i + 2 < rest.size() && is_hex(rest[i + 1]) && is_hex(rest[i + 2]))) &&
        ((c != '[' && c != ']') || i < authority_end);
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHexDigits[c >> 4];
      out += kHexDigits[c & 0xF];
    }
  }
  return out;
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

std::optional<std::string_view> query_of(const urls::url_view& u) {
  if (!u.has_query()) return std::nullopt;
  return u.encoded_query();
}

// Every %XX decoded; a '%' that starts no escape stays.
std::string percent_decode(std::string_view s) {
  const auto hex_value = [](char c) { return is_digit(c) ? c - '0' : to_lower(c) - 'a' + 10; };
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
    if (ascii && !lowercase(label.substr(0, 4)).starts_with("xn--")) {
      out += lowercase(label);
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

// Builds the canonical form (see url.h) of the URL with the given scheme, the authority of
// `authority`, and the given path and query, all still percent-encoded as parsed.
std::optional<std::string> canonical(std::string_view scheme, const urls::url_view& authority,
                                     std::string_view path, std::optional<std::string_view> query) {
  const std::string lower_scheme = lowercase(scheme);
  if (!is_http_scheme(lower_scheme) || !authority.has_authority()) return std::nullopt;
  // Boost 1.81 parses "http://h:x/" as port "" and path "x/"; RFC 3986 (and WHATWG) reject it.
  if (!path.empty() && !path.starts_with('/')) return std::nullopt;
  const std::string_view encoded_host = authority.encoded_host();
  std::string host;
  if (encoded_host.starts_with('[')) {  // an IP literal: ASCII by grammar
    host = lowercase(normalize_percent_encoding(encoded_host));
    if (host.find('%') != std::string::npos) return std::nullopt;
  } else if (auto name = canonical_host(encoded_host)) {
    host = std::move(*name);
  } else {
    return std::nullopt;
  }

  std::string out = lower_scheme + "://";
  if (authority.has_userinfo()) {
    out += std::string_view(authority.encoded_userinfo());
    out += '@';
  }
  out += host;
  if (const std::string_view port = authority.port(); !port.empty()) {
    std::uint16_t number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size()) return std::nullopt;
    if (number != (lower_scheme == "https" ? 443 : 80)) {
      out.append(":").append(std::to_string(number));
    }
  }
  const std::string clean_path = remove_dot_segments(normalize_percent_encoding(path));
  out += clean_path.empty() ? "/" : clean_path;
  if (query && !query->empty()) out.append("?").append(normalize_percent_encoding(*query));
  return out;
}

}  // namespace

std::string normalize_percent_encoding(std::string_view s) {
  const auto hex_value = [](char c) {
    if (is_digit(c)) return c - '0';
    const char l = to_lower(c);
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
      if (is_alpha(octet) || is_digit(octet) || octet == '-' || octet == '.' || octet == '_' || octet == '~')
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
  const std::optional<std::string> prepared = prepare(url, "");
  if (!prepared) return std::nullopt;
  const auto parsed = urls::parse_uri(*prepared);
  if (!parsed) return std::nullopt;
  return canonical(parsed->scheme(), *parsed, parsed->encoded_path(), query_of(*parsed));
}

// RFC 3986 §5.2.2 over Boost.URL's parse. Boost 1.81's own resolve() and normalize() are not
// used: they leave ".." above the root ("http://a/../g", boostorg/url#808), decode "%2F" in
// paths into '/', and set_path("/") yields "/./" (boostorg/url#674).
std::optional<std::string> resolve_url(std::string_view base, std::string_view href) {
  const auto b = urls::parse_uri(base);
  if (!b) return std::nullopt;
  const std::optional<std::string> prepared = prepare(href, lowercase(b->scheme()));
  if (!prepared) return std::nullopt;
  const auto r = urls::parse_uri_reference(*prepared);
  if (!r) return std::nullopt;

  if (r->has_scheme()) return canonical(r->scheme(), *r, r->encoded_path(), query_of(*r));
  if (r->has_authority()) return canonical(b->scheme(), *r, r->encoded_path(), query_of(*r));
  const std::string_view ref_path = r->encoded_path();
  if (ref_path.empty()) {
    return canonical(b->scheme(), *b, b->encoded_path(),
                     r->has_query() ? query_of(*r) : query_of(*b));
  }
  std::string path;
  if (!ref_path.starts_with('/')) {  // §5.2.3 merge
    const std::string_view base_path = b->encoded_path();
    path = b->has_authority() && base_path.empty()
               ? "/"
               : std::string(base_path.substr(0, base_path.rfind('/') + 1));
  }
  path += ref_path;
  return canonical(b->scheme(), *b, path, query_of(*r));
}


}  // namespace crawl

// The web-platform-tests URL cases (tests/data/wpt/urltestdata.json, a verbatim copy of wpt's
// url/resources/urltestdata.json; licence in tests/data/wpt/LICENSE.md) that a crawler meets:
// every case whose base or input is an http(s) URL. Each is a named test: resolve_url(base,
// input) — normalize_url(input) when there is no base — must give the case's href, brought into
// the canonical form url.h documents (crawler_form below), or fail where the case says failure.
// Where the crawler deliberately differs from a browser's href, the case is listed in
// kExceptions with the reason and the result we give instead, which is checked as strictly.
#include "web/url.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace crawl {
namespace {

struct WptCase {
  std::size_t index = 0;  // position among the file's objects, for the test name
  std::string input;
  std::optional<std::string> base;  // null in the file: input must be absolute
  std::optional<std::string> href;  // nullopt: the case expects failure
};

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Whether `s`, read as the URL parser reads it (leading C0 controls and spaces stripped, tab and
// newlines removed), starts with the scheme http or https.
bool has_http_scheme(const std::string& s) {
  std::string cleaned;
  std::size_t i = 0;
  while (i < s.size() && static_cast<unsigned char>(s[i]) <= 0x20) ++i;
  for (; i < s.size(); ++i)
    if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r') cleaned += s[i];
  cleaned = ascii_lower(cleaned);
  return cleaned.starts_with("http:") || cleaned.starts_with("https:");
}

std::vector<WptCase> load_cases() {
  const std::string path = std::string(CRAWL_SOURCE_DIR) + "/tests/data/wpt/urltestdata.json";
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(text.str(), ec);
  if (ec || !doc.is_array()) {
    ADD_FAILURE() << "cannot read " << path << ": " << ec.message();
    return {};
  }
  std::vector<WptCase> cases;
  std::size_t index = 0;
  for (const auto& item : doc.as_array()) {
    if (!item.is_object()) continue;  // comment strings
    const auto& o = item.as_object();
    ++index;
    WptCase c;
    c.index = index;
    c.input = std::string(o.at("input").as_string());
    if (const auto* b = o.if_contains("base"); b != nullptr && b->is_string())
      c.base = std::string(b->as_string());
    if (const auto* h = o.if_contains("href")) c.href = std::string(h->as_string());
    if (!has_http_scheme(c.input) && !(c.base && has_http_scheme(*c.base))) continue;
    cases.push_back(std::move(c));
  }
  return cases;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// A path or query as url.h writes it: %XX of an unreserved character decoded, other %XX with
// uppercase hex, and every byte RFC 3986 does not allow there (which the WHATWG standard leaves
// raw: '|', '^', '`', '{', '}', a '%' that starts no escape, …) percent-encoded.
std::string rfc3986_component(std::string_view s) {
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/?";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
      const int v = std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16);
      if (is_unreserved(static_cast<char>(v))) {
        out += static_cast<char>(v);
      } else {
        out += '%';
        out += kHex[v >> 4];
        out += kHex[v & 0xF];
      }
      i += 2;
    } else if (std::isalnum(c) != 0 || (c != 0 && kAllowed.find(static_cast<char>(c)) != std::string_view::npos)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// A browser's href in the canonical form of url.h: the fragment dropped (fragments never reach
// the frontier), an empty query ("?") dropped, path and query percent-encoding normalized as
// above. WHATWG already lowercases scheme and host, drops the default port and empty path.
// nullopt for a URL of another scheme than http(s): the crawler does not follow those.
std::optional<std::string> crawler_form(std::string href) {
  href.erase(std::min(href.find('#'), href.size()));
  const std::string lower = ascii_lower(href.substr(0, 8));
  if (!lower.starts_with("http://") && !lower.starts_with("https://")) return std::nullopt;
  const std::size_t path = href.find('/', href.find("//") + 2);
  if (path == std::string::npos) return href;
  const std::size_t query = href.find('?', path);
  std::string out = href.substr(0, path);
  out += rfc3986_component(std::string_view(href).substr(path, query - path));
  if (query != std::string::npos && query + 1 < href.size())
    out.append("?").append(rfc3986_component(std::string_view(href).substr(query + 1)));
  return out;
}

// Cases where the crawler's answer deliberately differs from the browser's, keyed by input and
// base (the file holds the same input with several bases), with the answer we give instead.
struct Exception {
  std::optional<std::string> ours;
  const char* reason;
};
const std::map<std::pair<std::string, std::string>, Exception>& exceptions() {
  // libidn2 checks IDNA2008 validity, stricter than UTS #46 as browsers apply it (url.h): a
  // host it rejects is not followed — the link is lost, never fetched under a wrong name.
  // Matching browsers here would take ICU's UTS #46 (uidna_openUTS46), a large new dependency.
  static constexpr const char* kIdna2008 =
      "libidn2 rejects the label: \"xn--pokxncvks\" decodes to compatibility characters (U+3253, "
      "U+32CE, ...) that UTS #46 maps, which IDNA2008 disallows";
  static const std::map<std::pair<std::string, std::string>, Exception> kExceptions = {
      {{"http://a.b.c.xn--pokxncvks", ""}, {std::nullopt, kIdna2008}},
      {{"http://a.b.c.XN--pokxncvks", ""}, {std::nullopt, kIdna2008}},
      {{"http://a.b.c.Xn--pokxncvks", ""}, {std::nullopt, kIdna2008}},
      {{"http://10.0.0.xn--pokxncvks", ""}, {std::nullopt, kIdna2008}},
      {{"http://10.0.0.XN--pokxncvks", ""}, {std::nullopt, kIdna2008}},
      {{"http://10.0.0.xN--pokxncvks", ""}, {std::nullopt, kIdna2008}},
      {{"https://%e2%98%83", ""},
       {std::nullopt, "U+2603 SNOWMAN is valid in UTS #46 (NV8) but disallowed by IDNA2008 (libidn2)"}},
      {{"https://xn--/", ""},
       {std::nullopt, "an empty punycode label: libidn2 reports invalid punycode, UTS #46 (since "
                      "Unicode 15.1) decodes it to the empty label"}},
  };
  return kExceptions;
}

// Printed in failure messages instead of gtest's byte dump.
void PrintTo(const WptCase& c, std::ostream* os) {
  *os << "input \"" << c.input << "\", base " << (c.base ? "\"" + *c.base + "\"" : "null");
}

class WptUrl : public testing::TestWithParam<WptCase> {};

TEST_P(WptUrl, MatchesBrowserHref) {
  const WptCase& c = GetParam();
  SCOPED_TRACE("input \"" + c.input + "\", base " + (c.base ? "\"" + *c.base + "\"" : "null"));
  const std::optional<std::string> actual =
      c.base ? resolve_url(*c.base, c.input) : normalize_url(c.input);
  std::optional<std::string> expected = c.href ? crawler_form(*c.href) : std::nullopt;
  if (const auto e = exceptions().find({c.input, c.base.value_or("")}); e != exceptions().end()) {
    SCOPED_TRACE(std::string("exception: ") + e->second.reason + "; browser href: " +
                 c.href.value_or("failure"));
    expected = e->second.ours;
  }
  EXPECT_EQ(actual, expected) << "browser href: " << c.href.value_or("(failure)");
}

std::string case_name(const testing::TestParamInfo<WptCase>& info) {
  std::string name = "c";
  name.append(std::to_string(info.param.index)).append("_");
  for (char c : info.param.input.substr(0, 40))
    name += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(UrlTestData, WptUrl, testing::ValuesIn(load_cases()), case_name);

}  // namespace
}  // namespace crawl

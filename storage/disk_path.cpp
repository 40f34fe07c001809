#include "storage/disk_path.h"

#include "core/ascii.h"
#include "core/hash.h"

#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace crawl {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

void append_pct(std::string& out, unsigned char c) {
  out += '%';
  out += kHexDigits[c >> 4];
  out += kHexDigits[c & 0xF];
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes; a '%' not followed by two hex digits is kept literally
// (Boost.URL has validated the URL, so that does not happen in practice).
std::string pct_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

// Turns decoded bytes into a safe single file name component: '%' (so the
// encoding stays reversible), '/', '\\' and control bytes become %XX, and
// so does '?' (the query's separator in a name: "/q%3Fa=1" must not share
// "q?a=1" with "/q?a=1").
std::string escape_name(std::string_view decoded) {
  std::string out;
  out.reserve(decoded.size());
  for (const char ch : decoded) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '%' || c == '/' || c == '\\' || c == '?' || is_control(c)) {
      append_pct(out, c);
    } else {
      out += ch;
    }
  }
  return out;
}

// The query stays in its encoded form (wget's convention); only what could
// split or hide a file name is encoded.
std::string escape_query(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (const char ch : encoded) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '/' || c == '\\' || is_control(c)) {
      append_pct(out, c);
    } else {
      out += ch;
    }
  }
  return out;
}

// Keeps `name` at most kMaxDiskNameBytes long; a cut name ends in "~HASH" of
// the full name. The cut never splits a %XX escape or a UTF-8 sequence.
std::string shorten(std::string name) {
  if (name.size() <= kMaxDiskNameBytes) return name;
  const std::uint64_t h = stable_hash64(name);
  std::string suffix = "~";
  for (int shift = 60; shift >= 0; shift -= 4) suffix += kHexDigits[(h >> shift) & 0xF];
  std::size_t keep = kMaxDiskNameBytes - suffix.size();
  // Every '%' in a produced name starts an escape; do not cut one in half.
  if (name[keep - 1] == '%') {
    keep -= 1;
  } else if (name[keep - 2] == '%') {
    keep -= 2;
  }
  // Back off over UTF-8 continuation bytes so the kept part stays valid.
  for (int i = 0; i < 3 && keep > 0 &&
                  (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80;
       ++i) {
    --keep;
  }
  name.resize(keep);
  name += suffix;
  return name;
}

std::optional<std::string> host_component(const boost::urls::url_view& u) {
  std::string host;
  switch (u.host_type()) {
    case boost::urls::host_type::name:
      host = escape_name(ascii_lowercase(pct_decode(u.encoded_host_name())));
      break;
    case boost::urls::host_type::ipv4:
      host = u.host_ipv4_address().to_string();
      break;
    case boost::urls::host_type::ipv6:
      host = u.host_ipv6_address().to_string();
      for (char& c : host) {
        if (c == ':') c = '_';
      }
      break;
    case boost::urls::host_type::ipvfuture: {
      std::string future = ascii_lowercase(u.host_ipvfuture());
      for (char& c : future) {
        if (c == ':') c = '_';
      }
      host = escape_name(future);
      break;
    }
    default:
      return std::nullopt;
  }
  if (host.empty()) return std::nullopt;
  if (host.front() == '.') host.replace(0, 1, "%2E");

  if (u.has_port()) {
    std::string_view port = u.port();
    const bool given = !port.empty();
    while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    const std::string_view default_port =
        u.scheme_id() == boost::urls::scheme::https ? "443" : "80";
    if (given && port != default_port) {
      host += '_';
      host += port;
    }
  }
  return shorten(std::move(host));
}

}  // namespace

std::optional<std::filesystem::path> disk_path_for(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  const boost::urls::url_view u = *parsed;
  if (u.scheme_id() != boost::urls::scheme::http &&
      u.scheme_id() != boost::urls::scheme::https) {
    return std::nullopt;
  }
  if (!u.has_authority()) return std::nullopt;
  std::optional<std::string> host = host_component(u);
  if (!host) return std::nullopt;

  // Split the encoded path ourselves: an encoded "%2F" must stay inside its
  // segment, and we want the exact raw segments (no dot-segment magic).
  std::vector<std::string> names;
  bool directory_like = true;  // empty path
  const std::string_view path = u.encoded_path();
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      directory_like = true;  // trailing '/' unless a segment follows
      continue;
    }
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string decoded = pct_decode(path.substr(pos, end - pos));
    pos = end;
    if (decoded.empty() || decoded == "." || decoded == "..") {
      directory_like = true;
      continue;
    }
    names.push_back(escape_name(decoded));
    directory_like = false;
  }
  if (directory_like) names.emplace_back("index.html");
  if (u.has_query() && !u.encoded_query().empty()) {
    names.back() += '?';
    names.back() += escape_query(u.encoded_query());
  }

  std::filesystem::path out(*host);
  for (std::string& name : names) out /= shorten(std::move(name));
  return out;
}

}  // namespace crawl

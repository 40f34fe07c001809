// ASCII case mapping, as HTTP field names, URL schemes and hosts, and HTML
// tag and attribute names define it: only A-Z and a-z are related, whatever
// the C locale (std::tolower follows it, and takes no negative char).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace crawl {

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr bool ascii_is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// `s` with A-Z mapped to a-z.
inline std::string ascii_lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Equal but for the case of ASCII letters (header field names, tag names).
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace crawl

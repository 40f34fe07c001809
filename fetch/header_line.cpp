#include "fetch/header_line.h"

namespace crawl {
namespace {

// The number at the start of `s`, read as std::atol reads it (leading white
// space, an optional sign, then digits), without copying `s` into a C string.
// Only ever given three characters, so it cannot overflow.
long leading_number(std::string_view s) {
  std::size_t i = 0;
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (i < s.size() && is_space(s[i])) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  long value = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) value = value * 10 + (s[i] - '0');
  return negative ? -value : value;
}

}  // namespace

HeaderLine parse_header_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  HeaderLine parsed;
  if (line.starts_with("HTTP/")) {
    parsed.kind = HeaderLine::Kind::status;
    const auto sp = line.find(' ');
    parsed.status = sp == std::string_view::npos ? 0 : leading_number(line.substr(sp + 1, 3));
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    parsed.kind = HeaderLine::Kind::field;
    parsed.name = line.substr(0, colon);
    parsed.value = line.substr(colon + 1);
    while (!parsed.value.empty() && (parsed.value.front() == ' ' || parsed.value.front() == '\t'))
      parsed.value.remove_prefix(1);
  }
  return parsed;
}

bool header_section_over_limits(std::size_t section_bytes, std::size_t fields) {
  return section_bytes > kMaxHeaderBytes || fields >= kMaxHeaderFields;
}

}  // namespace crawl

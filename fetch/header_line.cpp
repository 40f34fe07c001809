#include "fetch/header_line.h"

#include <charconv>
#include <cstdint>
#include <system_error>

#include "core/ascii.h"

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

std::string_view trim_blanks(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

namespace {

// A field's name as parse_header_line() gives it (blanks before the colon kept) is `wanted`.
bool name_is(std::string_view name, std::string_view wanted) { return ascii_iequals(trim_blanks(name), wanted); }

// 1*DIGIT within int64 (leading zeros allowed); nullopt otherwise.
std::optional<std::int64_t> content_length_value(std::string_view v) {
  if (v.empty() || v.front() < '0' || v.front() > '9') return std::nullopt;  // from_chars takes a '-'
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

// At most 40 bytes of a value, for a message.
std::string shown(std::string_view v) {
  std::string out = "\"";
  for (const char c : v.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out + (v.size() > 40 ? "...\"" : "\"");
}

}  // namespace

std::optional<std::string> content_length_problem(long status,
                                                  const std::vector<std::pair<std::string, std::string>>& fields) {
  if ((status >= 100 && status < 200) || status == 204 || status == 304) return std::nullopt;
  for (const auto& field : fields)
    if (name_is(field.first, "transfer-encoding")) return std::nullopt;
  std::optional<std::int64_t> length;
  std::string values;  // as sent, for the message
  for (const auto& [name, value] : fields) {
    if (!name_is(name, "content-length")) continue;
    const std::string_view field = trim_blanks(value);
    values += values.empty() ? "" : ", ";
    values += field;
    bool any = false;
    for (std::string_view rest = field;;) {
      const std::size_t comma = rest.find(',');
      const std::string_view element = trim_blanks(rest.substr(0, comma));
      if (!element.empty()) {  // empty list elements are ignored (RFC 9110 5.6.1)
        any = true;
        const auto n = content_length_value(element);
        if (!n) return "invalid Content-Length " + shown(field);
        if (length && *length != *n) return "conflicting Content-Length values " + shown(values);
        length = n;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!any) return "invalid Content-Length " + shown(field);
  }
  return std::nullopt;
}

std::optional<std::string> location_problem(long status,
                                            const std::vector<std::pair<std::string, std::string>>& fields) {
  if (status < 300 || status >= 400) return std::nullopt;
  std::optional<std::string_view> first;
  for (const auto& [name, value] : fields) {
    if (!name_is(name, "location")) continue;
    const std::string_view target = trim_blanks(value);
    if (!first) first = target;
    else if (*first != target) return "conflicting Location values " + shown(*first) + " and " + shown(target);
  }
  return std::nullopt;
}

}  // namespace crawl

// Small helpers shared by the sinks (timestamps, JSON, TSV fields, queue
// accounting). Internal to storage/. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/fetch_types.h"
#include "core/time_text.h"

namespace crawl {

// `s` as a JSON string literal, quotes included (RFC 8259 escaping; bytes
// >= 0x80 are passed through, so UTF-8 stays UTF-8).
inline std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

inline std::string json_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += json_quote(items[i]);
  }
  out += ']';
  return out;
}

inline std::string json_object(const std::map<std::string, std::int64_t>& counts) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : counts) {
    if (!first) out += ',';
    first = false;
    out += json_quote(key);
    out += ':';
    out += std::to_string(value);
  }
  out += '}';
  return out;
}

// A TSV field: tabs and line breaks become spaces; "" becomes "-".
inline std::string tsv_field(std::string_view s) {
  if (s.empty()) return "-";
  std::string out(s);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

// Memory a queued copy of `r` holds, roughly: what backpressure counts.
inline std::size_t approx_result_bytes(const FetchResult& r) {
  std::size_t n = sizeof(FetchResult) + r.request.url.size() + r.request.referrer.size() +
                  r.final_url.size() + r.content_type.size() + r.body.size() +
                  r.error_detail.size();
  for (const auto& u : r.redirects) n += u.size() + sizeof(std::string);
  for (const auto& [k, v] : r.headers) n += k.size() + v.size() + 2 * sizeof(std::string);
  return n;
}

}  // namespace crawl

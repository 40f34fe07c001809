// Small helpers shared by the sinks (timestamps, JSON, TSV fields, queue
// accounting). Internal to storage/. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/fetch_types.h"
#include "core/json_text.h"
#include "core/time_text.h"
#include "storage/state_store.h"

namespace crawl {

// JSON text kept in a column or a field: a JSON array of strings, and an
// object of counts, both compact (core/json_text.h: to_json_compact).
inline std::string json_string_array(const std::vector<std::string>& items) {
  boost::json::array array;
  array.reserve(items.size());
  for (const auto& item : items) array.emplace_back(boost::json::string_view(item));
  return to_json_compact(array);
}

inline std::string json_count_object(const std::map<std::string, std::int64_t>& counts) {
  boost::json::object object;
  for (const auto& [key, value] : counts) object[key] = value;
  return to_json_compact(object);
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
                  r.final_url.size() + r.content_type.size() + r.body.size() + r.links.size() +
                  r.error_detail.size();
  for (const auto& u : r.redirects) n += u.size() + sizeof(std::string);
  for (const auto& [k, v] : r.headers) n += k.size() + v.size() + 2 * sizeof(std::string);
  return n;
}

// Memory queued URLs of the crawl state hold, roughly (backpressure).
inline std::size_t approx_urls_bytes(const std::vector<StateUrl>& urls) {
  std::size_t n = 0;
  for (const auto& u : urls) n += sizeof(StateUrl) + u.url.size() + u.referrer.size();
  return n;
}

}  // namespace crawl

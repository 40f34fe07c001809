#include "app/run_stats.h"

#include <stdexcept>

#include "core/json_text.h"

namespace crawl {
namespace {

namespace json = boost::json;

const json::value& member(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v) throw std::runtime_error(std::string("stats JSON lacks ") + key);
  return *v;
}

std::int64_t integer(const json::object& o, const char* key) {
  const auto& v = member(o, key);
  if (!v.is_number()) throw std::runtime_error(std::string("stats JSON: ") + key + " is not a number");
  return v.to_number<std::int64_t>();
}

double number(const json::object& o, const char* key) {
  const auto& v = member(o, key);
  if (!v.is_number()) throw std::runtime_error(std::string("stats JSON: ") + key + " is not a number");
  return v.to_number<double>();
}

std::string text(const json::object& o, const char* key) {
  const auto& v = member(o, key);
  if (!v.is_string()) throw std::runtime_error(std::string("stats JSON: ") + key + " is not a string");
  return std::string(v.get_string());
}

std::optional<double> number_or_null(const json::object& o, const char* key) {
  const auto& v = member(o, key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number()) throw std::runtime_error(std::string("stats JSON: ") + key + " is not a number");
  return v.to_number<double>();
}

// The plain figures, in the file's order; the rest are written by hand.
struct IntegerKey {
  const char* key;
  std::int64_t RunStats::*member;
};
constexpr IntegerKey kCounts[] = {{"pages", &RunStats::pages},   {"results", &RunStats::results},
                                  {"bytes", &RunStats::bytes},   {"errors", &RunStats::errors},
                                  {"transport_errors", &RunStats::transport_errors}};
struct NumberKey {
  const char* key;
  double RunStats::*member;
};
constexpr NumberKey kTimes[] = {{"elapsed_s", &RunStats::elapsed_s},
                                {"pages_per_s", &RunStats::pages_per_s},
                                {"cpu_user_s", &RunStats::cpu_user_s},
                                {"cpu_sys_s", &RunStats::cpu_sys_s}};

json::object counts_object(const std::map<std::string, std::int64_t>& counts) {
  json::object o;
  for (const auto& [key, n] : counts) o[key] = n;
  return o;
}

// An optional object of counts: absent from the files older versions wrote.
void read_counts(const json::object& o, const char* key, std::map<std::string, std::int64_t>& out) {
  const auto* v = o.if_contains(key);
  if (!v) return;
  if (!v->is_object()) throw std::runtime_error(std::string("stats JSON: ") + key + " is not an object");
  for (const auto& [name, n] : v->get_object()) out[std::string(name)] = n.to_number<std::int64_t>();
}

}  // namespace

std::string to_json(const RunStats& s) {
  json::object by_kind;
  for (const auto& [kind, n] : s.errors_by_kind) by_kind[kind] = n;
  json::object latency;
  latency["count"] = s.latency_count;
  latency["p50"] = json_number_or_null(s.latency_p50_ms);
  latency["p95"] = json_number_or_null(s.latency_p95_ms);
  latency["p99"] = json_number_or_null(s.latency_p99_ms);
  json::object o;
  o["outcome"] = s.outcome;
  for (const auto& [key, member] : kCounts) o[key] = s.*member;
  o["errors_by_kind"] = std::move(by_kind);
  o["skipped"] = s.skipped;
  o["spilled_bodies"] = s.spilled_bodies;
  o["skipped_by_kind"] = counts_object(s.skipped_by_kind);
  o["bounds"] = counts_object(s.bounds);
  for (const auto& [key, member] : kTimes) o[key] = s.*member;
  o["peak_rss_bytes"] = s.peak_rss_bytes;
  o["latency_ms"] = std::move(latency);
  o["mode"] = s.mode;
  o["concurrency"] = s.concurrency;
  o["left_queued"] = s.left_queued;
  return to_json_text(o);
}

RunStats run_stats_from_json(std::string_view text_in) {
  boost::system::error_code ec;
  const json::value v = json::parse(text_in, ec);
  if (ec || !v.is_object()) throw std::runtime_error("not a stats JSON object");
  const auto& o = v.get_object();
  RunStats s;
  s.outcome = text(o, "outcome");
  for (const auto& [key, member] : kCounts) s.*member = integer(o, key);
  const auto& by_kind = member(o, "errors_by_kind");
  if (!by_kind.is_object()) throw std::runtime_error("stats JSON: errors_by_kind is not an object");
  for (const auto& [kind, n] : by_kind.get_object()) s.errors_by_kind[std::string(kind)] = n.to_number<std::int64_t>();
  s.skipped = integer(o, "skipped");
  if (o.contains("spilled_bodies")) s.spilled_bodies = integer(o, "spilled_bodies");
  read_counts(o, "skipped_by_kind", s.skipped_by_kind);  // absent before issue 12
  read_counts(o, "bounds", s.bounds);
  for (const auto& [key, member] : kTimes) s.*member = number(o, key);
  s.peak_rss_bytes = integer(o, "peak_rss_bytes");
  const auto& latency = member(o, "latency_ms");
  if (!latency.is_object()) throw std::runtime_error("stats JSON: latency_ms is not an object");
  s.latency_count = integer(latency.get_object(), "count");
  s.latency_p50_ms = number_or_null(latency.get_object(), "p50");
  s.latency_p95_ms = number_or_null(latency.get_object(), "p95");
  s.latency_p99_ms = number_or_null(latency.get_object(), "p99");
  s.mode = text(o, "mode");
  s.concurrency = static_cast<int>(integer(o, "concurrency"));
  s.left_queued = integer(o, "left_queued");
  return s;
}

}  // namespace crawl

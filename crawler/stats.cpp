#include "crawler/stats.h"

#include <algorithm>
#include <cmath>

namespace crawl {

std::string error_kind(const FetchResult& result) {
  if (result.error) return error_kind_name(result.error);
  if (result.status >= 400) return "http_" + std::to_string(result.status);
  return {};
}

void LatencyHistogram::record(double ms) {
  if (!(ms >= 0)) ms = 0;  // NaN or negative: a clock quirk, count it as instant
  int index = 0;
  if (ms >= kMinMs) {
    const double pos = std::log10(ms / kMinMs) * kBucketsPerDecade;
    index = 1 + std::min(static_cast<int>(pos), kBuckets - 2);
  }
  ++buckets_[static_cast<std::size_t>(index)];
  min_ = count_ == 0 ? ms : std::min(min_, ms);
  max_ = count_ == 0 ? ms : std::max(max_, ms);
  ++count_;
}

std::optional<double> LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return std::nullopt;
  if (q <= 0) return min_;
  if (q >= 100) return max_;
  const auto rank = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(q / 100.0 * count_)));
  std::int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[static_cast<std::size_t>(i)];
    if (seen < rank) continue;
    if (i == 0) return min_;            // below 10 µs
    if (i == kBuckets - 1) return max_;  // beyond the last decade
    // Linear within the bucket, as if its values were spread evenly: no
    // visible steps between neighbouring percentiles.
    const double lo = kMinMs * std::pow(10.0, static_cast<double>(i - 1) / kBucketsPerDecade);
    const double hi = kMinMs * std::pow(10.0, static_cast<double>(i) / kBucketsPerDecade);
    const auto in_bucket = buckets_[static_cast<std::size_t>(i)];
    const double fraction = static_cast<double>(rank - (seen - in_bucket)) / static_cast<double>(in_bucket);
    return std::clamp(lo + (hi - lo) * fraction, min_, max_);
  }
  return max_;
}

void Stats::record(const FetchResult& result) {
  if (result.skipped()) {
    std::string kind = error_kind_name(result.error);
    std::lock_guard lock(mu_);
    ++now_.skipped;
    ++now_.skipped_by_kind[std::move(kind)];
    return;
  }
  std::string kind = error_kind(result);
  std::lock_guard lock(mu_);
  ++now_.results;
  if (!result.error) {
    ++now_.pages;
    now_.bytes += static_cast<std::int64_t>(result.body.size());
    if (result.status < 400) now_.latency.record(result.elapsed_ms);
  } else {
    ++now_.transport_errors;
  }
  if (!kind.empty()) {
    ++now_.errors;
    ++now_.errors_by_kind[kind];
  }
}

void Stats::count_bound(std::string_view bound, std::int64_t n) {
  if (n <= 0) return;
  std::lock_guard lock(mu_);
  now_.bounds[std::string(bound)] += n;
}

Stats::Snapshot Stats::snapshot() const {
  std::lock_guard lock(mu_);
  return now_;
}

}  // namespace crawl

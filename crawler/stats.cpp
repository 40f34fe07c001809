#include "crawler/stats.h"

namespace crawl {

std::string error_kind(const FetchResult& result) {
  if (result.error) return result.error.message();
  if (result.status >= 400) return "http_" + std::to_string(result.status);
  return {};
}

void Stats::record(const FetchResult& result) {
  std::string kind = error_kind(result);
  std::lock_guard lock(mu_);
  ++now_.results;
  if (!result.error) {
    ++now_.pages;
    now_.bytes += static_cast<std::int64_t>(result.body.size());
  } else {
    ++now_.transport_errors;
  }
  if (!kind.empty()) {
    ++now_.errors;
    ++now_.errors_by_kind[kind];
  }
}

Stats::Snapshot Stats::snapshot() const {
  std::lock_guard lock(mu_);
  return now_;
}

}  // namespace crawl

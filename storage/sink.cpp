#include "storage/sink.h"

#include <algorithm>

namespace crawl {

double RevisitPolicy::next_interval(double previous_s, bool is_new, bool changed) const {
  double interval = previous_s > 0 ? previous_s : min_s;
  if (is_new)
    interval = min_s;
  else if (changed)
    interval *= 1 - kShrink;
  else
    interval *= 1 + kGrow;
  return std::clamp(interval, min_s, std::max(min_s, max_s));
}

const char* to_string(RunOutcome outcome) noexcept {
  switch (outcome) {
    case RunOutcome::completed: return "completed";
    case RunOutcome::max_pages: return "max-pages";
    case RunOutcome::interrupted: return "interrupted";
    case RunOutcome::terminated: return "terminated";
    case RunOutcome::storage_failed: return "storage-failed";
  }
  return "completed";
}

}  // namespace crawl

namespace crawl {

const char* to_string(UrlState state) noexcept {
  switch (state) {
    case UrlState::queued: return "queued";
    case UrlState::in_flight: return "in_flight";
    case UrlState::done: return "done";
    case UrlState::skipped: return "skipped";
    case UrlState::failed: return "failed";
  }
  return "?";
}

}  // namespace crawl

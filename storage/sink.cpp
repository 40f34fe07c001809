#include "storage/sink.h"

namespace crawl {

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

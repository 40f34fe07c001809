// Stats: counters of a crawl, fed by a done-callback. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "fetch/fetch_types.h"

namespace crawl {

// "timeout", "dns", … for transport errors, "http_404" for HTTP errors,
// "" for a successful response.
std::string error_kind(const FetchResult& result);

class Stats {
 public:
  struct Snapshot {
    std::int64_t results = 0;  // every finished fetch
    std::int64_t pages = 0;    // results with a response (any status)
    std::int64_t bytes = 0;    // body bytes of those
    std::int64_t errors = 0;   // no response, or HTTP status >= 400
    std::int64_t transport_errors = 0;  // of which: no response
    std::map<std::string, std::int64_t> errors_by_kind;
  };

  void record(const FetchResult& result);
  Snapshot snapshot() const;

 private:
  mutable std::mutex mu_;  // guards now_
  Snapshot now_;
};

}  // namespace crawl

// Fetcher: the fetch strategy, one implementation per --mode. One-way: the
// crawler submits requests; a FetchListener hears, for each, that its
// transfer ended and then its result.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "fetch/cookie_jar.h"
#include "core/fetch_types.h"

namespace crawl {

// Hears what becomes of every submitted request, exactly once each, in this
// order: transfer_ended(), then result_ready(). Implementations must be
// thread-safe: calls for different requests arrive on several threads at once.
class FetchListener {
 public:
  virtual ~FetchListener() = default;
  // The transfer is over (the host's connection is free). Called on the
  // thread that ran it (an event loop, or a pool thread), before the result
  // queues for result_ready(): must be cheap and must not block.
  virtual void transfer_ended(const FetchResult& result) noexcept = 0;
  // The result, to parse and store. Called on a result thread (the callback
  // pool in fibers mode, the pool thread that ran the transfer in threads
  // mode), never on an event loop. May take CPU time.
  virtual void result_ready(FetchResult&& result) noexcept = 0;
};

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Starts fetching `request`. Never blocks the caller on I/O. The listener
  // hears of it exactly once, with a result or an error (FetchErrc::aborted
  // after cancel()). Thread-safe.
  virtual void submit(FetchRequest request) = 0;
  // Blocks until the listener's result_ready() has returned for every
  // submitted request. Not from a listener call.
  virtual void drain() = 0;
  // Aborts transfers in flight and fails queued ones with FetchErrc::aborted;
  // the listener still hears of each. Thread-safe, async-signal-unsafe.
  virtual void cancel() = 0;
  // The longest time an event loop was kept from running (ms), for
  // strategies that have loops; nullopt otherwise. Thread-safe.
  virtual std::optional<double> longest_stall_ms() const { return std::nullopt; }
  // Bodies that went to temporary files past --max-body-memory
  // (fetch/body_budget.h) so far. Thread-safe.
  virtual std::int64_t spilled_bodies() const { return 0; }
};

// The runtime choice of strategy; `listener` must outlive the fetcher.
// `seed_urls`: the crawl's seeds, exempt from the private-address guard
// (fetch/address_guard.h). Throws UsageError for a mode that is not available.
// "libcurl/7.88.1": the HTTP library that makes the transfers, for the
// archive's warcinfo record.
std::string http_library_version();

// `cookies`: the crawl's jar (null: --no-cookies), shared by every transfer.
std::unique_ptr<Fetcher> make_fetcher(const Config& config, FetchListener& listener,
                                      const std::vector<std::string>& seed_urls,
                                      std::shared_ptr<CookieJar> cookies = nullptr);

}  // namespace crawl

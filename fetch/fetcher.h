// Fetcher: the fetch strategy. One implementation per --mode.
#pragma once

#include <memory>
#include <optional>

#include "config/config.h"
#include "core/fetch_types.h"

namespace crawl {

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Starts fetching `request`. Never blocks the caller on I/O. `done` is
  // called exactly once, on a fetcher thread, with a result or an error
  // (FetchErrc::aborted after cancel()). Thread-safe.
  virtual void submit(FetchRequest request, DoneCallback done) = 0;
  // Blocks until every submitted request's callback has returned.
  virtual void drain() = 0;
  // Aborts transfers in flight and fails queued ones with FetchErrc::aborted.
  // Callbacks still run, exactly once each. Thread-safe, async-signal-unsafe.
  virtual void cancel() = 0;
  // The longest time an event loop was kept from running (ms), for
  // strategies that have loops; nullopt otherwise. Thread-safe.
  virtual std::optional<double> longest_stall_ms() const { return std::nullopt; }

  // Called on the fetcher's own thread the moment a transfer ends, before
  // its result waits for the done-callback, once per submitted request: for
  // cheap bookkeeping that should not queue behind other pages' parsing (the
  // crawler frees the host's lease and hands out the next URL here). Must
  // not block for long. Set it before the first submit().
  using EndHook = std::function<void(const FetchResult&)>;
  void set_end_hook(EndHook hook) { end_hook_ = std::move(hook); }

 protected:
  void transfer_ended(const FetchResult& result) const noexcept {
    if (!end_hook_) return;
    try {
      end_hook_(result);
    } catch (...) {  // the done-callback still runs; the hook's owner logs its own failures
    }
  }

 private:
  EndHook end_hook_;
};

// The runtime choice of strategy. Throws UsageError for a mode that is not
// available.
std::unique_ptr<Fetcher> make_fetcher(const Config& config);

}  // namespace crawl

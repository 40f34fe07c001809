// --mode fibers: C++20 coroutines on Boost.Asio event loops driving libcurl's
// multi-socket API, so thousands of transfers are in flight on a few threads.
//
// Shape: `loops` event loops, each an io_context run by its own thread and
// owning ONE curl multi handle, driven by curl_multi_socket_action from Asio
// socket waits and a steady_timer. A request's host picks its loop (a host
// always belongs to one loop, so per-host connection reuse stays in one
// multi's connection pool). Each transfer is awaited by a coroutine on its
// loop. The listener hears transfer_ended() on the loop, the moment curl is
// done with the transfer; the result then goes to a small thread pool that
// calls result_ready(), so parsing and storing never stall a loop.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "fetch/easy_factory.h"
#include "fetch/fetcher.h"

namespace boost::asio {
class thread_pool;
}

namespace crawl {

struct FiberOptions {
  int loops = 1;              // event-loop threads, each with one curl multi handle (>= 1)
  int max_in_flight = 512;    // transfers active at once across all loops (>= 1); extras wait in a queue
  int callback_threads = 2;   // threads calling the listener's result_ready() (>= 1)
};

class FiberFetcher final : public Fetcher {
 public:
  // Starts the loop threads and the callback pool; raises the open-file limit
  // (see raise_open_file_limit) and, if even the hard limit is too low for
  // max_in_flight sockets plus headroom, logs a warning and lowers the cap to
  // what fits. Throws std::invalid_argument for options < 1.
  FiberFetcher(FiberOptions options, TransferOptions transfer_options, FetchListener& listener);
  // Drains (every callback returns), then stops the loops on their own threads
  // (easy handles removed, multi handles cleaned up there) and joins all
  // threads. Must not run concurrently with submit().
  ~FiberFetcher() override;
  FiberFetcher(const FiberFetcher&) = delete;
  FiberFetcher& operator=(const FiberFetcher&) = delete;

  // Fetcher contract (see fetch/fetcher.h). submit() only hands the request to
  // its loop (a short lock, and a post unless one is pending), never blocks
  // on I/O; the loop also takes it after the transfer or socket event in
  // hand, so it does not wait behind a burst of queued responses. result_ready() runs on a
  // callback-pool thread; calls for different requests may run concurrently
  // (up to callback_threads at once).
  void submit(FetchRequest request) override;
  void drain() override;
  // Transfers in flight finish promptly with FetchErrc::aborted (the
  // Transfer's cancel flag, plus a sweep on each loop for transfers curl is
  // not currently driving); queued and later submitted requests fail with
  // FetchErrc::aborted without starting. Irreversible.
  void cancel() override;

  struct LoopStats {
    double longest_stall_ms;   // worst lateness of the loop's 10 ms heartbeat timer
    std::uint64_t transfers;   // transfers finished on this loop (any outcome)
  };
  // One entry per loop. Thread-safe; values are a snapshot.
  std::vector<LoopStats> loop_stats() const;
  std::optional<double> longest_stall_ms() const override;
  std::int64_t spilled_bodies() const override {
    return transfer_options_.body_budget ? transfer_options_.body_budget->stats().spilled_bodies : 0;
  }

 private:
  class Loop;

  std::size_t loop_for(const std::string& url) const;
  bool try_acquire_slot() noexcept;
  void release_slot() noexcept;
  // Tells the listener the transfer ended (on the calling loop), then hands
  // `result` to the callback pool for result_ready(); then pending_ drops.
  void deliver(FetchResult result) noexcept;
  // The second half of deliver(), for a transfer whose end the loop already
  // told the listener of.
  void queue_result(FetchResult result) noexcept;
  void callback_returned() noexcept;

  const TransferOptions transfer_options_;  // Transfers keep a reference: lives as long as the fetcher
  FetchListener& listener_;
  int max_in_flight_ = 0;                   // effective cap (after the open-file check)
  std::atomic<bool> cancelled_{false};
  std::atomic<int> in_flight_{0};           // slots taken, across all loops

  std::mutex mu_;  // guards pending_
  std::condition_variable idle_;
  std::size_t pending_ = 0;  // submitted, result_ready() not yet returned

  std::unique_ptr<boost::asio::thread_pool> callbacks_;
  std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace crawl

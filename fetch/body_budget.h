// One memory budget for the response bodies of a crawl (--max-body-memory).
//
// Without it a body is buffered whole in FetchResult::body, so the bodies in
// flight can take concurrency x --max-size bytes (5 GiB at the fibers
// defaults). With it, every transfer takes the bytes its body buffer holds
// from one shared budget before growing the buffer; a transfer that finds the
// budget spent moves its body to an unlinked temporary file ($TMPDIR,
// O_TMPFILE) and writes the rest there, instead of growing memory. A spilled
// body is read back only when its result is consumed, just before the
// listener's result_ready(), and the bytes are given back when result_ready()
// returns.
//
// Why spill rather than make transfers wait (a blocking write callback, or
// CURL_WRITEFUNC_PAUSE): a paused transfer still holds its connection and its
// buffer, and when every transfer waits on the budget none finishes to free
// it; spilling never waits, so it cannot deadlock, and it bounds the memory of
// the transfers in flight by the budget alone. What a result thread reads
// back is counted too: threads mode waits for room there (the pool threads
// hold nothing else the budget's holders need), fibers mode takes it anyway
// (its few callback threads must not wait behind results queued for them),
// so the peak is the budget plus callback_threads x --max-size.
//
// Thread-safe: the counters are atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/fetch_types.h"

namespace crawl {

class BodyBudget {
 public:
  // `limit` > 0: bytes of body buffers held in memory at once.
  explicit BodyBudget(std::int64_t limit);
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Takes `bytes` if they fit under the limit; never waits.
  bool try_take(std::int64_t bytes) noexcept;
  // Takes `bytes`, waiting while they do not fit; a request larger than the
  // whole budget waits until nothing else is held. Only where the holders
  // never wait on the budget themselves (see the file comment).
  void take_waiting(std::int64_t bytes) noexcept;
  // Takes `bytes` whether or not they fit.
  void take_anyway(std::int64_t bytes) noexcept;
  void give_back(std::int64_t bytes) noexcept;
  // A body moved to a temporary file: counted in the stats.
  void count_spill() noexcept { spilled_bodies_.fetch_add(1, std::memory_order_relaxed); }
  void count_spilled_bytes(std::int64_t bytes) noexcept { spilled_bytes_.fetch_add(bytes, std::memory_order_relaxed); }

  struct Stats {
    std::int64_t limit = 0;
    std::int64_t held = 0;            // bytes held now
    std::int64_t peak_held = 0;       // most bytes held at once
    std::int64_t spilled_bodies = 0;  // bodies moved to a temporary file
    std::int64_t spilled_bytes = 0;   // bytes written to temporary files
  };
  Stats stats() const noexcept;
  std::int64_t limit() const noexcept { return limit_; }

 private:
  void note_peak(std::int64_t held) noexcept;

  const std::int64_t limit_;
  std::atomic<std::int64_t> held_{0};
  std::atomic<std::int64_t> peak_{0};
  std::atomic<std::int64_t> spilled_bodies_{0};
  std::atomic<std::int64_t> spilled_bytes_{0};
};

// A result's claim on the budget and, when its body was spilled, the
// temporary file holding it. Travels in FetchResult::body_hold from the
// transfer's end to just before result_ready() (load_body()); destroying it
// gives its bytes back and closes the file. Not thread-safe: one owner.
class BodyHold {
 public:
  explicit BodyHold(std::shared_ptr<BodyBudget> budget) : budget_(std::move(budget)) {}
  ~BodyHold();
  BodyHold(const BodyHold&) = delete;
  BodyHold& operator=(const BodyHold&) = delete;

  // Makes room in `body` (whose bytes this hold accounts for) for `more`
  // bytes: takes the growth of its capacity from the budget. false when the
  // budget is spent (nothing taken, nothing changed): spill() then.
  // `force`: take the bytes whether or not they fit (true unless the string
  // cannot grow).
  bool reserve(std::string& body, std::size_t more, bool force = false) noexcept;
  // Moves `body` to a new unlinked temporary file and gives its bytes back;
  // later bytes go to the file with append(). false (and `error` set) when
  // the file cannot be created or written: the body stays in memory.
  bool spill(std::string& body, std::string& error) noexcept;
  bool spilled() const noexcept { return fd_ >= 0; }
  // Appends to the file. false (and `error` set) on a write error.
  bool append(const char* data, std::size_t bytes, std::string& error) noexcept;
  // Reads a spilled body back into `body`, taking its bytes from the budget
  // (waiting for room when `wait`, see BodyBudget::take_waiting). false (and
  // `error` set) on a read error. No-op when not spilled.
  bool load(std::string& body, bool wait, std::string& error);

 private:
  std::shared_ptr<BodyBudget> budget_;
  std::int64_t held_ = 0;   // bytes of the budget held for the body in memory
  int fd_ = -1;             // the spill file, or -1
  std::int64_t in_file_ = 0;
};

// Logs (info) how many bodies went to temporary files, if any: at the end
// of a crawl.
void log_body_budget(const BodyBudget& budget);

// Reads a spilled body of `r` back (BodyHold::load) and takes its hold out of
// `r`: the caller keeps the returned hold until result_ready() has returned,
// then drops it to give the bytes back. A read error turns `r` into a
// FetchErrc::other failure. Null when `r` has no hold.
std::shared_ptr<BodyHold> load_body(FetchResult& r, bool wait);

}  // namespace crawl

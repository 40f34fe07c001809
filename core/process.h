// What this process may use and has used: the open-file limit, CPU time and
// peak memory. Thread-safe (the values are process-wide).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace crawl {

// Raises this process's soft RLIMIT_NOFILE to its hard limit (each transfer,
// and each connection of the test server, needs a descriptor). Returns the
// resulting soft limit, capped at INT_MAX. Never lowers the limit; when the
// hard limit is "unlimited" (which cannot be a soft limit) it goes at least
// to `wanted`.
int raise_open_file_limit(int wanted = 0);

// Installs `handler` (async-signal-safe) for SIGINT, SIGTERM and SIGHUP. With
// `restart`, system calls the signal interrupts are resumed (SA_RESTART);
// without, they fail with EINTR, for a caller that waits in one.
void on_stop_signals(void (*handler)(int), bool restart);

// An exclusive lock on a file, with the holder's pid written in it: "only
// one process at a time works on this". flock(2), so the kernel releases it
// when the holder dies, kill -9 included; a stale file is simply locked
// again. Movable; unlocks (the file stays) when destroyed.
class PidFileLock {
 public:
  // Takes the lock on `path` (created if absent, mode 0644) without
  // waiting. On contention returns nullopt with *holder set to the pid the
  // holder wrote (0 if unreadable). Throws std::system_error naming `path`
  // when the file cannot be opened or written.
  static std::optional<PidFileLock> try_lock(const std::string& path, long* holder);

  PidFileLock(PidFileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  PidFileLock& operator=(PidFileLock&& other) noexcept;
  PidFileLock(const PidFileLock&) = delete;
  PidFileLock& operator=(const PidFileLock&) = delete;
  ~PidFileLock();

 private:
  explicit PidFileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Names the calling thread (as top -H, ps -L, perf and gdb show it); at most
// 15 characters are kept. Best effort: a failure is ignored.
void name_this_thread(const char* name) noexcept;

struct ProcessUsage {
  double user_s = 0;
  double sys_s = 0;
  std::int64_t peak_rss_bytes = 0;
};

// CPU (user, system) and peak resident memory of this process so far. The
// peak is VmHWM of /proc/self/status, not ru_maxrss: Linux starts that from
// the parent's resident size when the parent spawned us, so a child of a
// large process (crawl bench) would seem to need at least as much as it.
ProcessUsage process_usage();

}  // namespace crawl

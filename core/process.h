// What this process may use and has used: the open-file limit, CPU time and
// peak memory. Thread-safe (the values are process-wide).
#pragma once

#include <cstdint>

namespace crawl {

// Raises this process's soft RLIMIT_NOFILE to its hard limit (each transfer,
// and each connection of the test server, needs a descriptor). Returns the
// resulting soft limit, capped at INT_MAX. Never lowers the limit; when the
// hard limit is "unlimited" (which cannot be a soft limit) it goes at least
// to `wanted`.
int raise_open_file_limit(int wanted = 0);

// Installs `handler` (async-signal-safe) for SIGINT and SIGTERM. With
// `restart`, system calls the signal interrupts are resumed (SA_RESTART);
// without, they fail with EINTR, for a caller that waits in one.
void on_stop_signals(void (*handler)(int), bool restart);

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

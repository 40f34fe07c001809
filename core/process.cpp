#include "core/process.h"

#include <sys/resource.h>

#include <csignal>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

namespace crawl {

int raise_open_file_limit(int wanted) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      rl = raised;
    } else if (wanted > 0 && rl.rlim_cur < static_cast<rlim_t>(wanted)) {
      // A hard limit of "unlimited" (or above fs.nr_open) cannot be the soft
      // limit; at least get what was asked for.
      raised.rlim_cur = std::min(static_cast<rlim_t>(wanted), rl.rlim_max);
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > static_cast<rlim_t>(INT_MAX)) return INT_MAX;
  return static_cast<int>(rl.rlim_cur);
}

void on_stop_signals(void (*handler)(int), bool restart) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

namespace {

std::optional<std::int64_t> vm_hwm_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    long long kib = 0;
    if (std::sscanf(line.c_str(), "VmHWM: %lld kB", &kib) == 1) return kib * 1024;
  }
  return std::nullopt;
}

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

}  // namespace

ProcessUsage process_usage() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  ProcessUsage u;
  u.user_s = seconds(ru.ru_utime);
  u.sys_s = seconds(ru.ru_stime);
  u.peak_rss_bytes = vm_hwm_bytes().value_or(static_cast<std::int64_t>(ru.ru_maxrss) * 1024);  // ru: KiB
  return u;
}

}  // namespace crawl

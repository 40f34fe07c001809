#include "core/process.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

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
  sigaction(SIGHUP, &sa, nullptr);
}

std::optional<PidFileLock> PidFileLock::try_lock(const std::string& path, long* holder) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + path);
  PidFileLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK) throw std::system_error(err, std::generic_category(), "cannot lock " + path);
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    *holder = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
    return std::nullopt;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    throw std::system_error(errno, std::generic_category(), "cannot write " + path);
  return lock;
}

PidFileLock& PidFileLock::operator=(PidFileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

PidFileLock::~PidFileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
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

void name_this_thread(const char* name) noexcept {
  char shortened[16] = {};
  std::snprintf(shortened, sizeof shortened, "%s", name);
  (void)::pthread_setname_np(::pthread_self(), shortened);
}

}  // namespace crawl

#include "core/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

extern char** environ;

namespace crawl {
namespace {

double steady_now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

// This process's environment with `extra` added; an extra NAME=… replaces
// the inherited NAME.
std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const auto& x : extra) replaced = replaced || x.rfind(name, 0) == 0;
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawn's file actions, with the pipes they need; closes what it
// opened unless handed over.
class Redirections {
 public:
  Redirections() { posix_spawn_file_actions_init(&actions_); }
  ~Redirections() {
    posix_spawn_file_actions_destroy(&actions_);
    for (const int fd : child_ends_) ::close(fd);
    for (const int fd : parent_ends_)
      if (fd >= 0) ::close(fd);
  }
  Redirections(const Redirections&) = delete;
  Redirections& operator=(const Redirections&) = delete;

  // Returns our end of a pipe (or -1) for `fd` of the child.
  int add(int fd, const ChildStream& s) {
    switch (s.kind) {
      case ChildStream::Kind::null:
        posix_spawn_file_actions_addopen(&actions_, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
        return -1;
      case ChildStream::Kind::file:
        if (fd == 0) {
          posix_spawn_file_actions_addopen(&actions_, fd, s.path.c_str(), O_RDONLY, 0);
        } else {
          // Opened here rather than by the child, so that a bad path is our
          // error with a clear message, not the child's exit code 127.
          const int file = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
          if (file < 0) throw std::runtime_error(s.path.string() + ": " + std::strerror(errno));
          child_ends_.push_back(file);
          posix_spawn_file_actions_adddup2(&actions_, file, fd);
        }
        return -1;
      case ChildStream::Kind::same_as_stdout:
        posix_spawn_file_actions_adddup2(&actions_, 1, fd);
        return -1;
      case ChildStream::Kind::pipe: {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
        const int child_end = fd == 0 ? p[0] : p[1];
        const int parent_end = fd == 0 ? p[1] : p[0];
        child_ends_.push_back(child_end);
        parent_ends_.push_back(parent_end);
        posix_spawn_file_actions_adddup2(&actions_, child_end, fd);  // dup2 clears O_CLOEXEC
        return parent_end;
      }
    }
    return -1;
  }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  // The pipe ends are ours from now on.
  void keep_parent_ends() { parent_ends_.clear(); }

 private:
  posix_spawn_file_actions_t actions_;
  std::vector<int> child_ends_;
  std::vector<int> parent_ends_;
};

}  // namespace

ChildProcess::ChildProcess(const ChildOptions& options) {
  if (options.argv.empty()) throw std::runtime_error("cannot start a program: empty command");
  const std::string& program = options.argv.front();
  std::vector<std::string> args = options.argv;
  std::vector<std::string> env = environment_with(options.extra_env);
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(env);
  try {
    Redirections r;
    const int in = r.add(0, options.in);
    const int out = r.add(1, options.out);
    r.add(2, options.err);
    // A signal this process ignores stays ignored across exec: give the
    // child SIGPIPE's default back (we may ignore it to write to pipes).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    started_s_ = steady_now_s();
    const int rc = options.search_path
                       ? posix_spawnp(&pid_, argv[0], r.actions(), &attr, argv.data(), envp.data())
                       : posix_spawn(&pid_, argv[0], r.actions(), &attr, argv.data(), envp.data());
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error(std::strerror(rc));
    }
    in_fd_ = in;
    out_fd_ = out;
    r.keep_parent_ends();
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("cannot start " + program + ": " + e.what());
  }
}

ChildProcess::~ChildProcess() { release(); }

void ChildProcess::release() noexcept {
  if (in_fd_ >= 0) ::close(in_fd_);
  if (out_fd_ >= 0) ::close(out_fd_);
  in_fd_ = out_fd_ = -1;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      in_fd_(std::exchange(other.in_fd_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      started_s_(other.started_s_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    in_fd_ = std::exchange(other.in_fd_, -1);
    out_fd_ = std::exchange(other.out_fd_, -1);
    started_s_ = other.started_s_;
  }
  return *this;
}

void ChildProcess::close_stdin() {
  if (in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = -1;
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

ChildExit ChildProcess::wait() {
  ChildExit e;
  if (pid_ <= 0) return e;
  int status = 0;
  rusage ru{};
  while (::wait4(pid_, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  e.wall_s = steady_now_s() - started_s_;
  e.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  e.user_s = seconds(ru.ru_utime);
  e.sys_s = seconds(ru.ru_stime);
  e.max_rss_kib = ru.ru_maxrss;
  return e;
}

std::optional<double> ChildProcess::cpu_s() const {
  if (pid_ <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and ')': fields are counted
  // after its last ')'. utime and stime are fields 14 and 15, in clock ticks.
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(paren + 1));
  std::string field;
  for (int i = 3; i < 14 && fields >> field; ++i) {
  }
  unsigned long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string last_lines(const std::filesystem::path& file, int n) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::string out;
  const std::size_t keep = static_cast<std::size_t>(n);
  for (std::size_t i = lines.size() > keep ? lines.size() - keep : 0; i < lines.size(); ++i)
    out += "    " + lines[i] + "\n";
  return out;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return true;
  }
  return false;
}

ExitWatch::ExitWatch(pid_t pid) : fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {
  if (fd_ < 0) throw std::runtime_error(std::string("pidfd_open: ") + std::strerror(errno));
}

ExitWatch::~ExitWatch() { ::close(fd_); }

bool ExitWatch::wait_until(std::chrono::steady_clock::time_point deadline) const {
  using Clock = std::chrono::steady_clock;
  for (;;) {
    const auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec timeout{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    pollfd p{fd_, POLLIN, 0};
    const int n = ::ppoll(&p, 1, &timeout, nullptr);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) throw std::runtime_error(std::string("ppoll: ") + std::strerror(errno));
  }
}

}  // namespace crawl

// ChildProcess: one program run as a child process, the single spawner of
// the project (crawl bench runs crawl, wget2 and crawl-testserver with it;
// the tests run crawl with it through tests/test_util.h).
//
// posix_spawn, no shell. Each standard stream is /dev/null, a file or a pipe
// to this process (ChildStream). The object owns the child from spawn to
// reap: destroying one whose child still runs sends SIGKILL and reaps it, so
// a failing test or an exception never leaves a process behind. Not
// thread-safe: one owner; move-only. Failure to start is a
// std::runtime_error naming the program and the reason (configuration, not
// a run's outcome); everything after that is a value (ChildExit).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace crawl {

// Where one standard stream of the child goes.
struct ChildStream {
  enum class Kind { null, file, pipe, same_as_stdout };
  Kind kind = Kind::null;
  std::filesystem::path path;  // Kind::file: created or truncated

  static ChildStream null_device() { return {}; }
  static ChildStream file(std::filesystem::path p) { return {Kind::file, std::move(p)}; }
  static ChildStream pipe() { return {Kind::pipe, {}}; }
  static ChildStream same_as_stdout() { return {Kind::same_as_stdout, {}}; }  // stderr only
};

struct ChildOptions {
  std::vector<std::string> argv;  // argv[0]: a path, or a name looked up on PATH when search_path
  bool search_path = false;
  ChildStream in;                 // null or pipe (file reads it)
  ChildStream out;
  ChildStream err;
  std::vector<std::string> extra_env;  // "NAME=value", added to (and overriding) this process's environment
};

// How a child ended, measured by wait4.
struct ChildExit {
  int exit_code = -1;  // its exit status, or 128+N when killed by signal N
  double wall_s = 0;   // spawn to reap
  double user_s = 0;   // CPU of the child (its own children that it waited for included)
  double sys_s = 0;
  long max_rss_kib = 0;  // ru_maxrss: on Linux at least this process's resident size at the child's exec
};

class ChildProcess {
 public:
  // Starts options.argv. Throws std::runtime_error("cannot start PROGRAM:
  // reason") when the program cannot be run or a file cannot be opened.
  explicit ChildProcess(const ChildOptions& options);
  ~ChildProcess();  // SIGKILL and reap if still running; closes the pipes
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }  // -1 once reaped
  bool running() const { return pid_ > 0; }

  // Our ends of the pipes (-1 unless that stream is a pipe). Owned by this
  // object; close_stdin() closes the child's stdin early (it sees EOF).
  int stdin_fd() const { return in_fd_; }
  int stdout_fd() const { return out_fd_; }
  void close_stdin();

  // Sends `sig` if the child is still running (not yet reaped).
  void signal(int sig);
  // Waits for the child to end (EINTR is retried) and measures it. Call
  // once; after it, running() is false.
  ChildExit wait();

  // CPU seconds (user+sys) the running child has used so far, from
  // /proc/PID/stat; nullopt if it cannot be read (not running, not Linux).
  std::optional<double> cpu_s() const;

 private:
  void release() noexcept;

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  double started_s_ = 0;  // steady clock, seconds
};

// The last `n` non-empty lines of a text file, each indented by four spaces
// and ending in '\n' (for quoting a child's log in an error message).
std::string last_lines(const std::filesystem::path& file, int n);

// Whether `program` is an executable file on PATH.
bool on_path(const std::string& program);

// Watches a child for its end without reaping it (a pidfd), so that
// ChildProcess::wait() still measures and reaps it, /proc/PID can be read up
// to the end, and a child that ended on its own is told apart from one that
// is still running at a deadline.
class ExitWatch {
 public:
  // Throws std::runtime_error when the pidfd cannot be opened.
  explicit ExitWatch(pid_t pid);
  ~ExitWatch();
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;

  // True once the child has ended; false if `deadline` came first.
  bool wait_until(std::chrono::steady_clock::time_point deadline) const;

 private:
  int fd_;
};

}  // namespace crawl

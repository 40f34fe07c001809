#include "bench/simulated_web.h"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace crawl::bench {
namespace {

namespace fs = std::filesystem;

constexpr int kReadyTimeoutMs = 300'000;  // a big site's reachability is computed before it serves
constexpr int kCommandTimeoutMs = 30'000;

std::vector<std::string> server_argv(const fs::path& program, const SiteSpec& s) {
  return {program.string(),
          "--control",
          "--hosts", std::to_string(s.hosts),
          "--pages", std::to_string(s.pages_per_host),
          "--page-size", std::to_string(s.page_size),
          "--links", std::to_string(s.links_per_page),
          "--delay-ms", std::to_string(s.delay_ms),
          "--delay-max", std::to_string(s.delay_max_ms),
          "--error-rate", fmt::format("{}", s.error_rate),
          "--seed", std::to_string(s.seed),
          "--threads", std::to_string(s.threads)};
}

ChildOptions server_options(const SiteSpec& site, const fs::path& log) {
  const fs::path program = program_dir() / "crawl-testserver";
  if (::access(program.c_str(), X_OK) != 0)
    throw SimulatedWebError(fmt::format("cannot start the simulated web: {} is missing (build it next to crawl: "
                                        "cmake --build build --target crawl-testserver)",
                                        program.string()),
                            3);
  ChildOptions o;
  o.argv = server_argv(program, site);
  o.in = ChildStream::pipe();
  o.out = ChildStream::pipe();
  o.err = ChildStream::file(log);
  return o;
}

ChildProcess start(const SiteSpec& site, const fs::path& log) {
  ChildOptions options = server_options(site, log);
  try {
    return ChildProcess(options);
  } catch (const std::runtime_error& e) {
    throw SimulatedWebError(std::string("cannot start the simulated web: ") + e.what(), 1);
  }
}

}  // namespace

fs::path program_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this program (/proc/self/exe): " + ec.message());
  return self.parent_path();
}

SimulatedWeb::SimulatedWeb(const SiteSpec& site, const fs::path& log) : log_(log), server_(start(site, log)) {
  // Writing to a server that died must be an error we report, not SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  for (;;) {
    std::string line;
    try {
      line = read_line(kReadyTimeoutMs);
    } catch (const std::runtime_error& e) {
      throw SimulatedWebError(fmt::format("the simulated web did not start: {}\n{}", e.what(), last_lines(log_, 5)),
                              1);
    }
    if (line.rfind("ready ", 0) == 0) {
      long long pages = 0, errors = 0;
      if (std::sscanf(line.c_str(), "ready site_pages=%lld error_pages=%lld", &pages, &errors) != 2)
        throw SimulatedWebError("crawl-testserver: unexpected ready line: " + line, 1);
      site_pages_ = pages;
      error_pages_ = errors;
      return;
    }
    roots_.push_back(line);
  }
}

SimulatedWeb::~SimulatedWeb() {
  server_.close_stdin();  // its end: the server stops, printing its per-host stats into the log
  server_.wait();
}

std::string SimulatedWeb::read_line(int timeout_ms) {
  for (;;) {
    if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    pollfd p{server_.stdout_fd(), POLLIN, 0};
    const int ready = ::poll(&p, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) throw std::runtime_error("crawl-testserver did not answer in time");
    char chunk[4096];
    const ssize_t n = ::read(server_.stdout_fd(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("crawl-testserver ended (see " + log_.string() + ")");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string SimulatedWeb::command(const std::string& line) {
  const std::string text = line + "\n";
  if (::write(server_.stdin_fd(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("crawl-testserver does not take commands: " + std::string(std::strerror(errno)) + "\n" +
                             last_lines(log_, 5));
  return read_line(kCommandTimeoutMs);
}

void SimulatedWeb::reset() {
  if (const std::string answer = command("reset"); answer != "ok")
    throw std::runtime_error("crawl-testserver: unexpected answer to reset: " + answer);
}

ServedStats SimulatedWeb::stats() {
  const std::string answer = command("stats");
  long long requests = 0, peak = 0, connections = 0;
  if (std::sscanf(answer.c_str(), "stats requests=%lld peak_concurrent_requests=%lld peak_connections=%lld",
                  &requests, &peak, &connections) != 3)
    throw std::runtime_error("crawl-testserver: unexpected answer to stats: " + answer);
  return {requests, peak};
}

double SimulatedWeb::cpu_s() const { return server_.cpu_s().value_or(0); }

}  // namespace crawl::bench

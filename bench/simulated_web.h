// SimulatedWeb: the simulated web of crawl bench, served by the
// crawl-testserver program in a child process of its own (never inside
// crawl: the crawl binary carries no HTTP server, and the server's CPU is
// accounted apart from the crawler's).
//
// Driven through `crawl-testserver --control` (tools/testserver/main.cpp):
// its stdout gives the root URLs and a ready line with the site's size; its
// stdin takes "reset" and "stats" between runs. The server's CPU comes from
// /proc/PID/stat. Not thread-safe: one owner, the bench's run loop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/child_process.h"

namespace crawl::bench {

// The site crawl-testserver generates (see tools/testserver/test_server.h).
struct SiteSpec {
  int hosts = 1;
  int pages_per_host = 1;
  std::int64_t page_size = 2048;
  int links_per_page = 3;
  int delay_ms = 0;
  int delay_max_ms = 0;
  double error_rate = 0;
  std::uint64_t seed = 1;
  int threads = 1;
};

// The simulated web could not be started. exit_code: 3 when
// crawl-testserver is not installed next to crawl, 1 when it failed.
class SimulatedWebError : public std::runtime_error {
 public:
  SimulatedWebError(const std::string& what, int code) : std::runtime_error(what), exit_code(code) {}
  int exit_code;
};

struct ServedStats {
  std::int64_t requests = 0;                  // since the last reset
  std::int64_t peak_concurrent_requests = 0;  // summed over the hosts
};

class SimulatedWeb {
 public:
  // Starts crawl-testserver from the directory of this program with the
  // site's options, its stderr into `log`, and waits until it serves.
  // Throws SimulatedWebError.
  SimulatedWeb(const SiteSpec& site, const std::filesystem::path& log);
  ~SimulatedWeb();  // closes its stdin: the server stops; then reaps it
  SimulatedWeb(const SimulatedWeb&) = delete;
  SimulatedWeb& operator=(const SimulatedWeb&) = delete;

  const std::vector<std::string>& root_urls() const { return roots_; }  // "http://127.0.1.1:PORT/"
  std::int64_t site_pages() const { return site_pages_; }    // what a whole crawl fetches, roots included
  std::int64_t error_pages() const { return error_pages_; }  // of which answer 500

  // Zeroes the server's counters. Throws std::runtime_error if the server
  // does not answer (it died).
  void reset();
  ServedStats stats();  // since the last reset; throws as reset()
  // CPU seconds (user+sys) the server has used so far.
  double cpu_s() const;

 private:
  std::string command(const std::string& line);  // one line out, one line back
  std::string read_line(int timeout_ms);

  std::filesystem::path log_;
  ChildProcess server_;
  std::string buffer_;  // what was read from its stdout past the last line
  std::vector<std::string> roots_;
  std::int64_t site_pages_ = 0;
  std::int64_t error_pages_ = 0;
};

// The directory of the running program (/proc/self/exe), where crawl's
// companions (crawl-testserver) are installed. Throws std::runtime_error.
std::filesystem::path program_dir();

}  // namespace crawl::bench

// ProgressBar: crawl bench's progress on stderr ("[####....] run 3/18
// fibers:128 (repeat 1/3) 1.2 s"), redrawn a few times a second from its own
// thread while stderr is a terminal; nothing otherwise.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

namespace crawl::bench {

// Thread-safe: start_run() may be called from any thread while the bar draws.
class ProgressBar {
 public:
  explicit ProgressBar(int total);  // total runs
  ~ProgressBar();                   // stops drawing and wipes the line
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const { return thread_.joinable(); }
  // What to print before a message to stderr so it does not share the bar's line.
  const char* clear_line() const { return enabled() ? "\r\x1b[K" : ""; }
  void start_run(int index, std::string label);  // index: 1-based

 private:
  void loop(std::stop_token st);
  void draw();

  const int total_;
  std::mutex mu_;  // guards index_, label_, run_started_
  int index_ = 0;
  std::string label_;
  std::chrono::steady_clock::time_point run_started_;
  std::jthread thread_;  // last: joined before the members above go
};

}  // namespace crawl::bench

#include "bench/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace crawl::bench {

ProgressBar::ProgressBar(int total) : total_(total) {
  if (::isatty(STDERR_FILENO)) thread_ = std::jthread([this](std::stop_token st) { loop(st); });
}

ProgressBar::~ProgressBar() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
}

void ProgressBar::start_run(int index, std::string label) {
  std::lock_guard lock(mu_);
  index_ = index;
  label_ = std::move(label);
  run_started_ = std::chrono::steady_clock::now();
}

void ProgressBar::loop(std::stop_token st) {
  while (!st.stop_requested()) {
    draw();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void ProgressBar::draw() {
  std::lock_guard lock(mu_);
  if (index_ == 0) return;
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? (index_ - 1) * kWidth / total_ : 0;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_started_).count();
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r\x1b[K[%s] run %d/%d  %s  %.1f s", bar.c_str(), index_, total_, label_.c_str(), secs);
  std::fflush(stderr);
}

}  // namespace crawl::bench

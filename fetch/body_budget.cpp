// The body memory budget and spill files (body_budget.h).
#include "fetch/body_budget.h"

#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

namespace crawl {

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// An unlinked temporary file in $TMPDIR (else /tmp): O_TMPFILE where the
// file system has it, else mkostemp + unlink.
int open_spill_file() noexcept {
  const char* env = std::getenv("TMPDIR");
  const std::string dir = env && *env ? env : "/tmp";
  int fd = -1;
#ifdef O_TMPFILE
  fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
#endif
  std::string path = dir + "/crawl-body-XXXXXX";
  fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(path.c_str());
  return fd;
}

bool write_all(int fd, const char* data, std::size_t bytes) noexcept {
  while (bytes > 0) {
    const ssize_t n = ::write(fd, data, bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

BodyBudget::BodyBudget(std::int64_t limit) : limit_(limit) {
#if defined(__GLIBC__)
  // glibc raises its mmap threshold to the size of each mmapped block freed
  // (up to 32 MiB), after which body buffers of that size come from the heap
  // and stay in it when freed: the process would keep the memory the budget
  // gave back (284 MiB peak instead of 104 MiB with 512 endless bodies and a
  // 64 MiB budget, threads mode). A fixed threshold (glibc's default, 128 KiB)
  // turns the dynamic one off, so freed buffers go back to the system.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

bool BodyBudget::try_take(std::int64_t bytes) noexcept {
  std::int64_t held = held_.load(std::memory_order_relaxed);
  do {
    if (held + bytes > limit_) return false;
  } while (!held_.compare_exchange_weak(held, held + bytes, std::memory_order_relaxed));
  note_peak(held + bytes);
  return true;
}

void BodyBudget::take_waiting(std::int64_t bytes) noexcept {
  std::int64_t held = held_.load(std::memory_order_relaxed);
  for (;;) {
    if (held + bytes <= limit_ || held == 0) {
      if (held_.compare_exchange_weak(held, held + bytes, std::memory_order_relaxed)) break;
      continue;
    }
    held_.wait(held, std::memory_order_relaxed);
    held = held_.load(std::memory_order_relaxed);
  }
  note_peak(held + bytes);
}

void BodyBudget::take_anyway(std::int64_t bytes) noexcept {
  note_peak(held_.fetch_add(bytes, std::memory_order_relaxed) + bytes);
}

void BodyBudget::give_back(std::int64_t bytes) noexcept {
  if (bytes == 0) return;
  held_.fetch_sub(bytes, std::memory_order_relaxed);
  held_.notify_all();
}

void BodyBudget::note_peak(std::int64_t held) noexcept {
  std::int64_t peak = peak_.load(std::memory_order_relaxed);
  while (held > peak && !peak_.compare_exchange_weak(peak, held, std::memory_order_relaxed)) {
  }
}

BodyBudget::Stats BodyBudget::stats() const noexcept {
  return {limit_, held_.load(std::memory_order_relaxed), peak_.load(std::memory_order_relaxed),
          spilled_bodies_.load(std::memory_order_relaxed), spilled_bytes_.load(std::memory_order_relaxed)};
}

BodyHold::~BodyHold() {
  budget_->give_back(held_);
  if (fd_ >= 0) ::close(fd_);
}

bool BodyHold::reserve(std::string& body, std::size_t more, bool force) noexcept {
  const std::size_t needed = body.size() + more;
  const std::size_t capacity = body.capacity();
  if (needed <= capacity) return true;
  // std::string grows geometrically: account for what it will allocate.
  const std::size_t wanted = std::max(needed, 2 * capacity);
  const auto growth = static_cast<std::int64_t>(wanted - capacity);
  if (force) budget_->take_anyway(growth);
  else if (!budget_->try_take(growth)) return false;
  held_ += growth;
  try {
    body.reserve(wanted);
  } catch (...) {
    return false;  // the caller fails the transfer; the hold gives the bytes back
  }
  // Whatever the allocator actually gave.
  const auto actual = static_cast<std::int64_t>(body.capacity()) - static_cast<std::int64_t>(capacity);
  if (actual > growth) budget_->take_anyway(actual - growth);
  else budget_->give_back(growth - actual);
  held_ += actual - growth;
  return true;
}

bool BodyHold::spill(std::string& body, std::string& error) noexcept {
  const int fd = open_spill_file();
  if (fd < 0) {
    error = errno_text("cannot create a temporary file for a body");
    return false;
  }
  if (!write_all(fd, body.data(), body.size())) {
    error = errno_text("cannot write a body to its temporary file");
    ::close(fd);
    return false;
  }
  fd_ = fd;
  in_file_ = static_cast<std::int64_t>(body.size());
  budget_->count_spill();
  budget_->count_spilled_bytes(in_file_);
  std::string().swap(body);  // frees the buffer
  budget_->give_back(held_);
  held_ = 0;
  return true;
}

bool BodyHold::append(const char* data, std::size_t bytes, std::string& error) noexcept {
  if (!write_all(fd_, data, bytes)) {
    error = errno_text("cannot write a body to its temporary file");
    return false;
  }
  in_file_ += static_cast<std::int64_t>(bytes);
  budget_->count_spilled_bytes(static_cast<std::int64_t>(bytes));
  return true;
}

bool BodyHold::load(std::string& body, bool wait, std::string& error) {
  if (fd_ < 0) return true;
  if (wait) budget_->take_waiting(in_file_);
  else budget_->take_anyway(in_file_);
  held_ += in_file_;
  body.resize(static_cast<std::size_t>(in_file_));
  std::size_t done = 0;
  while (done < body.size()) {
    const ssize_t n = ::pread(fd_, body.data() + done, body.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno_text("cannot read a body back from its temporary file")
                    : "cannot read a body back from its temporary file: it is shorter than written";
      body.clear();
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd_);
  fd_ = -1;
  return error.empty();
}

void log_body_budget(const BodyBudget& budget) {
  const auto s = budget.stats();
  if (s.spilled_bodies == 0) return;
  spdlog::info("{} bodies went to temporary files ({:.1f} MiB) past the --max-body-memory budget of {:.1f} MiB",
               s.spilled_bodies, static_cast<double>(s.spilled_bytes) / (1 << 20),
               static_cast<double>(s.limit) / (1 << 20));
}

std::shared_ptr<BodyHold> load_body(FetchResult& r, bool wait) {
  std::shared_ptr<BodyHold> hold = std::move(r.body_hold);
  r.body_hold.reset();
  if (!hold) return hold;
  std::string error;
  if (!hold->load(r.body, wait, error)) {
    r.body.clear();
    r.status = 0;
    r.content_type.clear();
    r.error = make_error_code(FetchErrc::other);
    r.error_detail = error;
  }
  return hold;
}

}  // namespace crawl

#include "storage/disk_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

#include "storage/disk_path.h"
#include "storage/sink_util.h"

namespace crawl {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxTempAttempts = 100;

// Owns a POSIX file descriptor from open() on.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports close()'s error (NFS and quotas report late).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// True when `path` (absolute, normalized) is `base` or below it.
bool is_within(const fs::path& path, const fs::path& base) {
  const fs::path rel = path.lexically_relative(base);
  return !rel.empty() && *rel.begin() != "..";
}

// A path disk_path_for() may produce: relative, no root, no empty, "." or
// ".." component. Checked again here so a bug there cannot write elsewhere.
bool is_safe_relative(const fs::path& rel) {
  if (rel.empty() || rel.has_root_path() || !rel.is_relative()) return false;
  for (const fs::path& part : rel) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

}  // namespace

DiskSink::DiskSink(fs::path out_dir, std::size_t max_queued_bytes)
    : queue_(max_queued_bytes) {
  std::error_code ec;
  out_dir_ = fs::absolute(out_dir, ec).lexically_normal();
  if (ec) {
    throw std::runtime_error("output directory '" + out_dir.string() + "': " + ec.message());
  }
  // "out/" normalizes to "out/" (empty file name); drop it so that paths
  // below compare component by component.
  if (!out_dir_.has_filename() && out_dir_.has_relative_path()) out_dir_ = out_dir_.parent_path();
  const fs::file_status st = fs::status(out_dir_, ec);
  if (fs::exists(st) && !fs::is_directory(st)) {
    throw std::runtime_error("output directory '" + out_dir_.string() +
                             "' exists and is not a directory");
  }
  fs::create_directories(out_dir_, ec);
  if (ec) {
    throw std::runtime_error("cannot create output directory '" + out_dir_.string() +
                             "': " + ec.message());
  }
  canonical_dir_ = fs::canonical(out_dir_, ec);
  if (ec) {
    throw std::runtime_error("output directory '" + out_dir_.string() + "': " + ec.message());
  }
  const fs::path meta = out_dir_ / ".crawl";
  fs::create_directory(meta, ec);
  if (ec || !fs::is_directory(meta)) {
    throw std::runtime_error("cannot create '" + meta.string() +
                             "': " + (ec ? ec.message() : "exists and is not a directory"));
  }
  auto open_append = [](const fs::path& path) {
    // "e" = O_CLOEXEC: nothing exec'ed later inherits the descriptor.
    File file(std::fopen(path.c_str(), "abe"));
    if (!file) {
      throw std::runtime_error("cannot open '" + path.string() +
                               "' for appending: " + errno_text(errno));
    }
    return file;
  };
  index_ = open_append(meta / "index.tsv");
  runs_ = open_append(meta / "runs.tsv");

  writer_ = std::thread([this] { writer_loop(); });
}

DiskSink::~DiskSink() {
  queue_.close();  // the writer drains everything queued before it exits
  writer_.join();
}

std::optional<StorageFailure> DiskSink::begin_run(const RunInfo& info) {
  queue_.push(Item{std::in_place_type<BeginRun>, BeginRun{info}},
              sizeof(BeginRun) + info.settings.size());
  return failure();
}

void DiskSink::store(const FetchResult& result) {
  queue_.push(Item{std::in_place_type<FetchResult>, result}, approx_result_bytes(result));
}

std::optional<StorageFailure> DiskSink::flush() {
  queue_.wait_done(queue_.last_ticket());
  return failure();
}

// Placeholder until the sinks keep their first failure.
std::optional<StorageFailure> DiskSink::failure() const {
  if (!failed()) return std::nullopt;
  return StorageFailure{"DiskSink", std::to_string(write_errors_.load()) + " writes failed"};
}

std::optional<StorageFailure> DiskSink::end_run(const RunSummary& summary) {
  queue_.wait_done(
      queue_.push(Item{std::in_place_type<EndRun>, EndRun{summary}}, sizeof(EndRun)));
  return failure();
}

void DiskSink::writer_loop() noexcept {
  std::vector<Queue::Entry> batch;
  while (queue_.take_all(batch)) {
    const std::size_t count = batch.size();
    std::size_t bytes = 0;
    for (const auto& e : batch) bytes += e.bytes;
    for (const auto& entry : batch) {
      try {
        std::visit(
            [&](const auto& value) {
              using T = std::decay_t<decltype(value)>;
              if constexpr (std::is_same_v<T, FetchResult>) {
                write_result(value);
              } else if constexpr (std::is_same_v<T, BeginRun>) {
                const RunInfo& i = value.info;
                append_line(runs_.get(),
                            "run-begin\t" + iso8601_utc(i.started_at) + '\t' +
                                tsv_field(i.mode) + '\t' + std::to_string(i.concurrency) +
                                '\t' + tsv_field(i.urls_file) + '\t' + tsv_field(i.settings),
                            "runs.tsv");
              } else {
                const RunSummary& s = value.summary;
                const std::string per_s =
                    s.elapsed_s > 0 ? std::to_string(static_cast<double>(s.pages) / s.elapsed_s)
                                    : "-";
                append_line(runs_.get(),
                            "run-end\t" + iso8601_utc(s.finished_at) + '\t' +
                                tsv_field(to_string(s.outcome)) + '\t' + std::to_string(s.pages) + '\t' +
                                std::to_string(s.bytes) + '\t' + std::to_string(s.errors) +
                                '\t' + std::to_string(s.elapsed_s) + '\t' + per_s + '\t' +
                                tsv_field(json_object(s.errors_by_kind)),
                            "runs.tsv");
              }
            },
            entry.item);
      } catch (const std::exception& e) {
        // Allocation or filesystem exceptions: count and go on; the writer
        // must never die, or flush() would wait forever.
        ++write_errors_;
        spdlog::error("disk sink '{}': {}", out_dir_.string(), e.what());
      }
    }
    for (std::FILE* f : {index_.get(), runs_.get()}) {
      if (std::fflush(f) != 0) {
        ++write_errors_;
        spdlog::error("disk sink '{}': cannot write the .crawl index: {}", out_dir_.string(),
                      errno_text(errno));
        std::clearerr(f);
      }
    }
    batch.clear();  // free the bodies before announcing the space
    queue_.mark_done(count, bytes);
  }
}

void DiskSink::write_result(const FetchResult& r) {
  std::string saved = "-";
  std::string error = r.error_string();
  if (r.ok() && r.status >= 200 && r.status < 300) {
    std::string why;
    std::optional<fs::path> written;
    if (const auto rel = disk_path_for(r.request.url)) {
      written = write_body(*rel, r.body, why);
    } else {
      why = "URL has no disk path (not an absolute http(s) URL)";
    }
    if (written) {
      saved = written->generic_string();
    } else {
      ++write_errors_;
      spdlog::error("disk sink '{}': cannot save {}: {}", out_dir_.string(), r.request.url, why);
      error = "write: " + why;
    }
  }
  append_line(index_.get(),
              iso8601_utc(r.fetched_at) + '\t' + std::to_string(r.status) + '\t' +
                  tsv_field(r.request.url) + '\t' + tsv_field(r.final_url) + '\t' +
                  tsv_field(saved) + '\t' + tsv_field(error),
              "index.tsv");
}

std::optional<fs::path> DiskSink::write_body(const fs::path& rel, const std::string& body,
                                            std::string& error) {
  if (!is_safe_relative(rel) || !is_within((out_dir_ / rel).lexically_normal(), out_dir_)) {
    error = "path '" + rel.string() + "' would leave the output directory";
    return std::nullopt;
  }
  // Walk down, creating directories; a regular file in the way becomes
  // dir/index.html. Symlinks are refused, never followed.
  fs::path dir = out_dir_;
  fs::path written;
  const fs::path name = rel.filename();
  for (const fs::path& part : rel.parent_path()) {
    dir /= part;
    written /= part;
    if (!make_directory_at(dir, error)) return std::nullopt;
  }
  fs::path target = dir / name;
  written /= name;
  std::error_code ec;
  fs::file_status st = fs::symlink_status(target, ec);
  if (fs::is_directory(st)) {
    target /= "index.html";
    written /= "index.html";
    st = fs::symlink_status(target, ec);
  }
  if (fs::is_symlink(st)) {
    error = "'" + target.string() + "' is a symbolic link (never followed)";
    return std::nullopt;
  }
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    error = "'" + target.string() + "' exists and is not a regular file";
    return std::nullopt;
  }
  // Defence in depth: with every symlink resolved, the directory we are
  // about to write into must still be inside the output directory.
  const fs::path real_parent = fs::weakly_canonical(target.parent_path(), ec);
  if (ec || !is_within(real_parent, canonical_dir_)) {
    error = "'" + target.string() + "' resolves outside the output directory";
    return std::nullopt;
  }
  if (!write_file_atomically(target, body, error)) return std::nullopt;
  return written;
}

// Makes sure `dir` is a directory, moving a regular file that stands there
// to dir/index.html.
bool DiskSink::make_directory_at(const fs::path& dir, std::string& error) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  if (fs::is_directory(st)) return true;
  if (!fs::exists(st)) {
    fs::create_directory(dir, ec);
    if (!ec) return true;
    error = "cannot create directory '" + dir.string() + "': " + ec.message();
    return false;
  }
  if (fs::is_symlink(st)) {
    error = "'" + dir.string() + "' is a symbolic link (never followed)";
    return false;
  }
  if (!fs::is_regular_file(st)) {
    error = "'" + dir.string() + "' exists and is neither a directory nor a regular file";
    return false;
  }
  // Page "/a" was saved as file "a" and now "/a/b" needs a directory "a".
  const fs::path aside =
      dir.parent_path() / ("." + dir.filename().string() + ".move." + std::to_string(++temp_counter_));
  fs::rename(dir, aside, ec);
  if (ec) {
    error = "cannot move '" + dir.string() + "' aside: " + ec.message();
    return false;
  }
  fs::create_directory(dir, ec);
  if (ec) {
    error = "cannot create directory '" + dir.string() + "': " + ec.message();
    std::error_code ignored;
    fs::rename(aside, dir, ignored);  // put the page back
    return false;
  }
  fs::rename(aside, dir / "index.html", ec);
  if (ec) {
    error = "cannot move '" + aside.string() + "' to index.html: " + ec.message();
    return false;
  }
  spdlog::debug("disk sink: moved '{}' to '{}/index.html' to make room for a directory",
                dir.string(), dir.string());
  return true;
}

bool DiskSink::write_file_atomically(const fs::path& target, const std::string& body,
                                     std::string& error) {
  const fs::path dir = target.parent_path();
  const std::string prefix = "." + target.filename().string() + ".tmp.";
  fs::path temp;
  int fd = -1;
  for (int attempt = 0; attempt < kMaxTempAttempts && fd < 0; ++attempt) {
    temp = dir / (prefix + std::to_string(++temp_counter_));
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    error = "cannot create '" + temp.string() + "': " + errno_text(errno);
    return false;
  }
  UniqueFd file(fd);
  auto fail = [&](const std::string& what, int err) {
    error = what + " '" + temp.string() + "': " + errno_text(err);
    ::unlink(temp.c_str());
    return false;
  };
  const char* data = body.data();
  std::size_t left = body.size();
  while (left > 0) {
    const ssize_t n = ::write(file.get(), data, left);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return fail("cannot write", err);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (const int err = file.close(); err != 0) return fail("cannot close", err);
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    return fail("cannot rename to '" + target.string() + "'", err);
  }
  return true;
}

void DiskSink::append_line(std::FILE* file, const std::string& line, const char* what) {
  if (std::fwrite(line.data(), 1, line.size(), file) != line.size() ||
      std::fputc('\n', file) == EOF) {
    ++write_errors_;
    spdlog::error("disk sink '{}': cannot append to .crawl/{}: {}", out_dir_.string(), what,
                  errno_text(errno));
    std::clearerr(file);
  }
}

}  // namespace crawl

// DiskSink: saves fetched pages as files under an output directory, in
// wget's layout (see disk_path.h), written by a single writer thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "storage/batch_queue.h"
#include "storage/sink.h"

namespace crawl {

// Layout under out_dir:
//   host[_port]/path…        body of every result that is ok() with a 2xx
//                            status, at disk_path_for(request.url). Results
//                            with a transport error (even with a partial
//                            body) or another status are not saved as files.
//   .crawl/index.tsv         one line per stored result, ok or not:
//                            fetched_at \t status \t url \t final_url \t
//                            saved path relative to out_dir or '-' \t
//                            error or '-'   (tabs/line breaks → spaces; a
//                            failed file write shows as "write: reason")
//   .crawl/runs.tsv          "run-begin \t started_at \t mode \t concurrency
//                            \t urls_file \t settings" per begin_run and
//                            "run-end \t finished_at \t outcome \t pages \t
//                            bytes \t errors \t elapsed_s \t pages_per_s \t
//                            errors_by_kind (JSON)" per end_run.
//
// Files appear atomically: bodies go to ".NAME.tmp.N" in the target
// directory and are renamed into place. Conflicts lose nothing: a regular
// file standing where a directory is needed (page /a, then /a/b.html) moves
// to a/index.html; a target that is a directory gets target/index.html.
// Each target is checked to lie inside out_dir (lexically, and with symlinks
// resolved); existing symlinks on the way are refused, never followed.
//
// Threads: store() is thread-safe and only queues a copy; one writer thread
// owns every file. Backpressure: store() blocks only when more than
// `max_queued_bytes` of results wait for the writer.
// Durability: flush() returns once every file is written, renamed and the
// index lines are handed to the OS (no fsync).
// Failures: a page that cannot be written is logged (error level, with the
// URL) and counted in write_errors(); nothing is thrown after construction.
class DiskSink final : public Sink {
 public:
  static constexpr std::size_t kDefaultMaxQueuedBytes = std::size_t{256} << 20;  // 256 MiB

  // Creates out_dir (and parents) and out_dir/.crawl, opens the index files
  // for appending, starts the writer. Throws std::runtime_error naming the
  // path and the reason when out_dir exists but is not a directory or when
  // any of these cannot be created or opened.
  explicit DiskSink(std::filesystem::path out_dir,
                    std::size_t max_queued_bytes = kDefaultMaxQueuedBytes);
  // Flushes everything stored, stops and joins the writer.
  ~DiskSink() override;

  DiskSink(const DiskSink&) = delete;
  DiskSink& operator=(const DiskSink&) = delete;

  // Appends the run-begin line (after everything stored before it).
  std::optional<StorageFailure> begin_run(const RunInfo& info) override;
  // Queues a copy of `result`; returns without waiting for the disk.
  void store(const FetchResult& result) override;
  // Blocks until everything stored so far is on disk (see Durability).
  std::optional<StorageFailure> flush() override;
  bool failed() const noexcept override { return write_errors_.load() > 0; }
  std::optional<StorageFailure> failure() const override;
  // Appends the run-end line after every page stored before it, then flushes.
  std::optional<StorageFailure> end_run(const RunSummary& summary) override;

  // Pages and index lines that could not be written so far. Thread-safe.
  std::int64_t write_errors() const { return write_errors_.load(); }
  // The absolute output directory.
  const std::filesystem::path& out_dir() const { return out_dir_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  using File = std::unique_ptr<std::FILE, FileCloser>;
  struct BeginRun {
    RunInfo info;
  };
  struct EndRun {
    RunSummary summary;
  };
  using Item = std::variant<FetchResult, BeginRun, EndRun>;
  using Queue = BatchQueue<Item>;

  void writer_loop() noexcept;
  void write_result(const FetchResult& r);
  // Writes `body` for relative path `rel`; returns the path actually used
  // (relative to out_dir_), or nullopt with `error` set.
  std::optional<std::filesystem::path> write_body(const std::filesystem::path& rel,
                                                  const std::string& body, std::string& error);
  bool make_directory_at(const std::filesystem::path& dir, std::string& error);
  bool write_file_atomically(const std::filesystem::path& target, const std::string& body,
                             std::string& error);
  void append_line(std::FILE* file, const std::string& line, const char* what);

  std::filesystem::path out_dir_;        // absolute
  std::filesystem::path canonical_dir_;  // out_dir_ with symlinks resolved
  File index_;  // .crawl/index.tsv; writer thread only after construction
  File runs_;   // .crawl/runs.tsv; writer thread only after construction
  std::uint64_t temp_counter_ = 0;  // writer thread only
  std::atomic<std::int64_t> write_errors_{0};

  Queue queue_;
  std::thread writer_;  // last: started when everything above exists
};

}  // namespace crawl

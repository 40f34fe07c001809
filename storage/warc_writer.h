// WarcWriter: the WARC files of a crawl (--warc PREFIX): records appended
// to PREFIX-NNNNN.warc.gz.open, each file begun with a warcinfo record,
// closed past --warc-max-size (renamed to PREFIX-NNNNN.warc.gz, its CDXJ
// index PREFIX-NNNNN.cdxj written beside it). Internal to storage/: the
// WARC sink's writer thread owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/fetch_types.h"
#include "storage/file_system.h"
#include "storage/warc_record.h"

namespace crawl {

struct WarcWriterOptions {
  std::string prefix;                     // PREFIX of PREFIX-00000.warc.gz (a path)
  std::int64_t max_size = 1LL << 30;      // a file is closed once it is this large
  // The warcinfo record's fields (application/warc-fields): software,
  // format, the options in force, robots policy, operator, … in order.
  std::vector<std::pair<std::string, std::string>> info;
  FileSystem* fs = nullptr;               // null: posix_file_system()
};

// Not thread-safe: one thread (the WARC sink's writer) uses it.
//
// Failures are values: write() and close() return the message of the first
// failure (what and the path, e.g. "cannot write crawl-00000.warc.gz.open:
// No space left on device"); after one, the writer writes nothing more.
// A file cut by a failure keeps its .open name. The constructor throws
// std::runtime_error when the first file cannot be created (a directory
// that does not exist or is not writable), so that a crawl stops before it
// fetches anything.
class WarcWriter {
 public:
  explicit WarcWriter(WarcWriterOptions options);
  // Closes the current file (as close(); a failure is only logged).
  ~WarcWriter();
  WarcWriter(const WarcWriter&) = delete;
  WarcWriter& operator=(const WarcWriter&) = delete;

  // Appends the records of `result` (nothing when it has no exchange with
  // a response): per exchange, response, request (WARC-Concurrent-To the
  // response), then for the page's own exchange a metadata record (via,
  // outlinks, the redirect's target). Starts the next file first when the
  // current one is full.
  std::optional<std::string> write(const FetchResult& result);
  // Closes the current file: fsync, rename to .warc.gz, CDXJ beside it.
  std::optional<std::string> close();

  // The files closed so far (.warc.gz paths), in order.
  const std::vector<std::string>& closed_files() const { return closed_; }
  std::int64_t records() const { return records_; }

 private:
  std::optional<std::string> open_next();
  // Compresses `record` into one gzip member and appends it to the file.
  std::optional<std::string> append(const WarcRecord& record, const CdxjEntry* entry);
  std::optional<std::string> failed(std::string message);
  std::string file_name(int index, const char* suffix) const;

  WarcWriterOptions options_;
  FileSystem& fs_;
  int fd_ = -1;
  int index_ = -1;             // of the current file (-1: none open)
  std::string name_;           // its name without directory, e.g. crawl-00000.warc.gz
  std::uint64_t size_ = 0;     // bytes written to it
  std::vector<std::string> cdxj_;  // its index lines, unsorted
  std::vector<std::string> closed_;
  std::int64_t records_ = 0;
  std::string member_;  // the record being written, compressed (its capacity reused)
  std::optional<std::string> failure_;
};

}  // namespace crawl

// WarcWriter: the WARC files of a crawl (--warc PREFIX): records appended
// to PREFIX-NNNNN.warc.gz.open, each file begun with a warcinfo record,
// closed past --warc-max-size (renamed to PREFIX-NNNNN.warc.gz, its CDXJ
// index PREFIX-NNNNN.cdxj written beside it). While a file is open its
// index lines are appended, unsorted, to PREFIX-NNNNN.cdxj.open, so that a
// resumed crawl can continue the file (resume()). Internal to storage/: the
// WARC sink's writer thread owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <unordered_map>

#include "core/fetch_types.h"
#include "storage/file_system.h"
#include "storage/state_store.h"
#include "storage/warc_record.h"

namespace crawl {

struct WarcWriterOptions {
  std::string prefix;                     // PREFIX of PREFIX-00000.warc.gz (a path)
  std::int64_t max_size = 1LL << 30;      // a file is closed once it is this large
  int gzip_level = 1;                     // of the records' gzip members: 0 stored, 1 ISA-L, 2–12 libdeflate
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
  // outlinks, the redirect's target). Opens the next file first when none
  // is open (after close()).
  //
  // Revisits: a 304 is a revisit record of the server-not-modified profile;
  // a 200 whose payload digest equals that of the last 200 response
  // archived for its URL under this PREFIX (by this crawl or, from their
  // CDXJ indexes, by earlier ones) is a revisit record of the
  // identical-payload-digest profile, referring to that response: its HTTP
  // header without the payload (WARC-Truncated: length).
  std::optional<std::string> write(const FetchResult& result);
  // The current file has reached --warc-max-size: close() it before the
  // next write().
  bool full() const { return fd_ >= 0 && size_ >= static_cast<std::uint64_t>(options_.max_size); }
  // Where the archive stands: the current file and the bytes of complete
  // records in it, once flush() has written them and their index lines.
  ArchiveMark mark() const { return ArchiveMark{options_.prefix, name_, static_cast<std::int64_t>(size_)}; }
  // Writes the records still buffered (records are written in pieces of
  // about 1 MiB) and appends their index lines to the file's
  // PREFIX-NNNNN.cdxj.open.
  std::optional<std::string> flush();
  // Closes the current file: fsync, rename to .warc.gz, CDXJ beside it.
  // With `keep_open`, only closes it (it keeps its .open name and index:
  // records in it may be cut by a resumed crawl).
  std::optional<std::string> close(bool keep_open = false);

  // Before a crawl's first write: `marks` are the archive marks its state
  // committed last. With a mark for this PREFIX in a file still .open (a
  // crawl that stopped without closing it), every record after the mark is
  // discarded: the file is cut back to it and, when `continue_file` (the
  // crawl is resumed), continued; otherwise (--restart) closed. The .open
  // files begun after the mark (the one this writer began included) are
  // removed. Without such a mark, nothing changes.
  std::optional<std::string> resume(const std::vector<ArchiveMark>& marks, bool continue_file = true);

  // The files closed so far (.warc.gz paths), in order.
  const std::vector<std::string>& closed_files() const { return closed_; }
  std::int64_t records() const { return records_; }

 private:
  // The last 200 response archived for a URL (identical-payload-digest revisits).
  struct Original {
    std::string digest;  // its WARC-Payload-Digest, "sha1:…"
    std::string date;    // its WARC-Date
  };
  std::optional<std::string> open_next();
  // Opens the current file's index (.cdxj.open) for appending.
  std::optional<std::string> open_index();
  // Reads an index (a CDXJ file's lines) into originals_.
  void learn_originals(std::string_view index_text);
  void learn_original(const CdxjEntry& entry);
  // Compresses `record` into one gzip member and appends it to the file.
  // `level`: the compression level (-1: options_.gzip_level, or 0 for a small record).
  std::optional<std::string> append(const WarcRecord& record, const CdxjEntry* entry, int level = -1);
  std::optional<std::string> write_pending();
  static constexpr std::size_t kWriteSize = 1u << 20;
  std::optional<std::string> failed(std::string message);
  std::string file_name(int index, const char* suffix) const;

  WarcWriterOptions options_;
  FileSystem& fs_;
  int fd_ = -1;
  int index_ = -1;             // of the current file (-1: none open)
  std::string name_;           // its name without directory, e.g. crawl-00000.warc.gz
  std::uint64_t size_ = 0;     // bytes of records in it (written or pending)
  std::uint64_t on_disk_ = 0;  // bytes written to it: complete records
  std::vector<std::string> cdxj_;  // its index lines, unsorted
  int index_fd_ = -1;              // its .cdxj.open
  std::string index_pending_;      // lines not yet appended to it
  std::unordered_map<std::uint64_t, Original> originals_;  // by the URL's 64-bit hash
  std::vector<std::string> closed_;
  std::int64_t records_ = 0;
  std::string pending_;  // records compressed, not yet written (its capacity reused)
  std::optional<std::string> failure_;
};

}  // namespace crawl

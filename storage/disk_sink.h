// DiskSink: saves fetched pages as files under an output directory, in
// wget's layout (see disk_path.h), written by a single writer thread.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "storage/file_system.h"
#include "storage/queued_sink.h"

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
// Files appear atomically: bodies go to ".crawl/tmp/N.tmp" and are renamed
// into place (same file system); what a crash leaves there is removed when
// the next crawl opens out_dir.
//
// Conflicts lose nothing, and the index says where each page went:
//  - a regular file standing where a directory is needed (page /a, then
//    /a/b.html) moves to a/index.html (its index line keeps "a": a saved
//    path that is now a directory means its index.html, repeatedly);
//  - a target that is a directory gets target/index.html;
//  - a name that holds another URL's page (disk_path_for() is not
//    one-to-one: "dir/" and "dir/index.html", "/a,b" and "/a%2Cb"; and
//    names differing only in ASCII case count as one, as they are on macOS
//    and Windows) is not overwritten: the page goes to NAME.1, NAME.2, …
//    NAME.9 (wget's names for copies), then NAME~ and 16 hex digits of a
//    hash of the URL. Which URL holds which file is read back from
//    index.tsv when the sink opens, so a later crawl into out_dir writes
//    each URL over its own file again. A file no index line names is
//    overwritten, as wget -r does.
// Each target is checked to lie inside out_dir (lexically, and with symlinks
// resolved); existing symlinks on the way are refused, never followed.
// Index lines are written whole: ONE write(2) per line on an O_APPEND
// descriptor; after a short write or an error the file is truncated back to
// its size before the line (so this sink must be the only writer of
// out_dir/.crawl), and a full disk never leaves a torn line.
//
// Threads: store() is thread-safe and only queues a copy; one writer thread
// owns every file. Backpressure: store() blocks only when more than
// `max_queued_bytes` of results wait for the writer.
// Durability: flush() returns once every file is written, renamed and the
// index lines are handed to the OS (no fsync).
//
// Failures (see QueuedSink for what happens after one): where = the file or
// directory that could not be written, spelled from out_dir as the caller
// gave it ("site/127.0.0.1_8080/page/3.html", "site/.crawl/index.tsv");
// message = "cannot save URL: cannot write: No space left on device",
// "cannot store URL: …" for its index line, "cannot record the end of the
// run: …" for runs.tsv. Every error of the file system is one (ENOSPC, EIO,
// EDQUOT, EFBIG, EROFS, EACCES…), and so are the refusals of a single page
// (a path that would leave out_dir, a symlink or a non-file where the page
// goes): like SqliteSink's row refusals they stop the crawl, because
// failure() is the Sink's only way to the user and the exit code and a
// missing page would otherwise go unnoticed. The refused page still gets its
// index line, with "write: WHERE: reason" in the error field. Files and
// lines written before a failure stay as they are; a failed body leaves no
// temporary file behind and names no file in the index.
class DiskSink final : public QueuedSink {
 public:
  static constexpr std::size_t kDefaultMaxQueuedBytes = std::size_t{256} << 20;  // 256 MiB

  // Creates out_dir (and parents) and out_dir/.crawl, opens the index files
  // for appending, starts the writer. Throws std::runtime_error naming the
  // path and the reason when out_dir exists but is not a directory or when
  // any of these cannot be created or opened. `files` does every change to
  // files after that (tests pass a fault-injecting one); it must outlive the
  // sink.
  explicit DiskSink(std::filesystem::path out_dir,
                    std::size_t max_queued_bytes = kDefaultMaxQueuedBytes,
                    FileSystem& files = posix_file_system());
  // Flushes everything stored, stops and joins the writer, closes the files.
  ~DiskSink() override;

  DiskSink(const DiskSink&) = delete;
  DiskSink& operator=(const DiskSink&) = delete;

  // Inherited from QueuedSink, with these meanings here:
  //  begin_run()/end_run(): append the run-begin/run-end line after every
  //    page stored before; end_run() after a failure is tried once.
  //  store(): queues a copy of the result; returns without waiting.
  //  flush(): blocks until everything stored so far is on disk (see
  //    Durability) or has failed.
  //  written(): results with their index line appended; write_errors():
  //    bodies and lines not written; dropped(): results given up after the
  //    failure.

  // keep_state_in(): the crawl state is fed in order after the files are
  // written (a SqliteSink on OUT/.crawl/state.db or --state).

  // The absolute output directory.
  const std::filesystem::path& out_dir() const { return out_dir_; }

 private:
  // What could not be written (absolute path) and why.
  struct Problem {
    std::filesystem::path at;
    std::string what;
  };

  void write_batch(const Batch& batch) override;
  void write_result(const FetchResult& r);
  void write_run_line(const Item& item, const std::string& line);
  // Reads which URL holds which file from an existing index.tsv.
  void load_owners(const std::filesystem::path& index);
  // The key of the URL whose page the file `rel` (relative to out_dir_)
  // holds, if recorded.
  std::optional<std::uint64_t> owner_of(std::filesystem::path rel) const;
  // Writes `body` of the URL keyed `owner` for relative path `rel`, or a
  // copy's name beside it; sets `written` to the path actually used
  // (relative to out_dir_).
  std::optional<Problem> write_body(const std::filesystem::path& rel, std::uint64_t owner,
                                    const std::string& body, std::filesystem::path& written);
  std::optional<Problem> make_directory_at(const std::filesystem::path& dir);
  std::optional<Problem> move_file_below(const std::filesystem::path& dir);
  std::optional<Problem> write_file_atomically(const std::filesystem::path& target,
                                               const std::string& body);
  // Appends `line` and a newline in one write; nullopt or why not.
  std::optional<std::string> append_line(int fd, std::string line);
  // `path` (absolute, below out_dir_) as the user spells it.
  std::string shown(const std::filesystem::path& path) const;

  std::filesystem::path out_dir_;        // absolute
  std::filesystem::path canonical_dir_;  // out_dir_ with symlinks resolved
  std::filesystem::path shown_dir_;      // out_dir as given, normalized
  FileSystem& files_;
  int index_fd_ = -1;  // .crawl/index.tsv; writer thread only after construction
  int runs_fd_ = -1;   // .crawl/runs.tsv; writer thread only after construction
  std::uint64_t temp_counter_ = 0;  // writer thread only
  std::filesystem::path temp_dir_;  // out_dir/.crawl/tmp
  // Which URL's page each saved file holds: a hash of its path relative to
  // out_dir_ (ASCII case folded) → a hash of the URL (XXH3-64 both). Two
  // hashes rather than the strings: 20–40 bytes per page. Equal path hashes
  // only cost a needless copy name; only two URLs with equal hashes (one
  // chance in 2^64 per pair) whose pages map to one name would share a file.
  // Writer thread only after construction.
  boost::unordered_flat_map<std::uint64_t, std::uint64_t> owners_;
};

}  // namespace crawl

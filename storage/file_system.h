// FileSystem: every change DiskSink makes to files goes through this small
// interface (LevelDB's Env, reduced to what a sink does), so tests can wrap
// it and make the Nth operation fail. Reads (lstat, realpath) are not here.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace crawl {

// Each call is one POSIX call and returns its outcome as a value: an empty
// error_code on success, else the errno in std::generic_category() (so
// message() is the OS text, "No space left on device"). Nothing throws.
// EINTR is retried inside, never returned.
//
// Threads: implementations are as thread-safe as the POSIX calls they wrap;
// a wrapper that counts calls must be thread-safe as well. Ownership:
// descriptors returned by open() belong to the caller, who close()s them.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // open(2). On success `fd` is the new descriptor, else -1.
  virtual std::error_code open(const std::filesystem::path& path, int flags, mode_t mode,
                               int& fd) = 0;
  // ONE write(2) of up to `size` bytes; `written` is what it wrote (it may
  // be fewer than `size`: a short write, e.g. on a nearly full disk).
  virtual std::error_code write(int fd, const void* data, std::size_t size,
                                std::size_t& written) = 0;
  // close(2); the descriptor is gone even when it reports an error (NFS and
  // quotas report write errors late, here).
  virtual std::error_code close(int fd) = 0;
  // fstat(2)'s st_size.
  virtual std::error_code size(int fd, off_t& size) = 0;
  virtual std::error_code ftruncate(int fd, off_t length) = 0;
  // fsync(2): the file's data and metadata on the disk.
  virtual std::error_code sync(int fd) = 0;
  virtual std::error_code rename(const std::filesystem::path& from,
                                 const std::filesystem::path& to) = 0;
  virtual std::error_code mkdir(const std::filesystem::path& path, mode_t mode) = 0;
  virtual std::error_code rmdir(const std::filesystem::path& path) = 0;
  virtual std::error_code unlink(const std::filesystem::path& path) = 0;
};

// The real thing: plain POSIX calls. One instance for the process, never
// destroyed; thread-safe.
FileSystem& posix_file_system();

// Syncs the directory that holds `path` (open, sync, close through `fs`), so
// that the names created or renamed in it outlive a power failure (rename(2)
// is atomic, not durable). What failed, if anything.
std::error_code sync_parent_directory(FileSystem& fs, const std::filesystem::path& path);

// Writes all of `data` to `fd` through `fs`, write after write (short writes
// continue where they stopped). The first error, or EIO for a write that
// makes no progress; what was written before it stays written.
std::error_code write_all(FileSystem& fs, int fd, std::string_view data);

}  // namespace crawl

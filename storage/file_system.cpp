// The POSIX FileSystem: each method is the system call, errno as a value.
#include "storage/file_system.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace crawl {
namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

// Runs `call` until it does not fail with EINTR; returns its result.
template <typename Call>
auto retry_eintr(Call call) {
  for (;;) {
    const auto rc = call();
    if (rc >= 0 || errno != EINTR) return rc;
  }
}

class PosixFileSystem final : public FileSystem {
 public:
  std::error_code open(const std::filesystem::path& path, int flags, mode_t mode,
                       int& fd) override {
    fd = retry_eintr([&] { return ::open(path.c_str(), flags, mode); });
    return fd < 0 ? last_error() : std::error_code();
  }
  std::error_code write(int fd, const void* data, std::size_t size,
                        std::size_t& written) override {
    written = 0;
    const ssize_t n = retry_eintr([&] { return ::write(fd, data, size); });
    if (n < 0) return last_error();
    written = static_cast<std::size_t>(n);
    return {};
  }
  std::error_code close(int fd) override {
    // Never retried: on Linux the descriptor is released even on EINTR.
    return ::close(fd) == 0 ? std::error_code() : last_error();
  }
  std::error_code size(int fd, off_t& size) override {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return last_error();
    size = st.st_size;
    return {};
  }
  std::error_code ftruncate(int fd, off_t length) override {
    return retry_eintr([&] { return ::ftruncate(fd, length); }) == 0 ? std::error_code()
                                                                      : last_error();
  }
  std::error_code sync(int fd) override {
    return retry_eintr([&] { return ::fsync(fd); }) == 0 ? std::error_code() : last_error();
  }
  std::error_code rename(const std::filesystem::path& from,
                         const std::filesystem::path& to) override {
    return std::rename(from.c_str(), to.c_str()) == 0 ? std::error_code() : last_error();
  }
  std::error_code mkdir(const std::filesystem::path& path, mode_t mode) override {
    return ::mkdir(path.c_str(), mode) == 0 ? std::error_code() : last_error();
  }
  std::error_code rmdir(const std::filesystem::path& path) override {
    return ::rmdir(path.c_str()) == 0 ? std::error_code() : last_error();
  }
  std::error_code unlink(const std::filesystem::path& path) override {
    return ::unlink(path.c_str()) == 0 ? std::error_code() : last_error();
  }
};

}  // namespace

std::error_code write_all(FileSystem& fs, int fd, std::string_view data) {
  while (!data.empty()) {
    std::size_t written = 0;
    if (auto err = fs.write(fd, data.data(), data.size(), written)) return err;
    if (written == 0) return std::make_error_code(std::errc::io_error);
    data.remove_prefix(written);
  }
  return {};
}

std::error_code sync_parent_directory(FileSystem& fs, const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  int fd = -1;
  if (auto err = fs.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, fd)) return err;
  const std::error_code synced = fs.sync(fd);
  const std::error_code closed = fs.close(fd);
  return synced ? synced : closed;
}

FileSystem& posix_file_system() {
  static PosixFileSystem* const instance = new PosixFileSystem;  // never destroyed
  return *instance;
}

}  // namespace crawl

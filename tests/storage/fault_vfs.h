// FaultVfs: a SQLite VFS for tests whose Nth write or sync fails (a full
// disk, an I/O error), to check what a failure at every step leaves behind.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

namespace crawl::testing {

// A kind of file's real methods and FaultVfs's copy of them.
struct FaultVfsMethods {
  const sqlite3_io_methods* real = nullptr;
  sqlite3_io_methods copy{};
};

// FaultVfs: SQLite's default VFS under its own name, whose Nth xWrite or
// xSync (counted over every file, once armed) fails with a chosen code.
class FaultVfs {
 public:
  static constexpr const char* kName = "crawl-fault-test";
  static void install() {
    static const bool installed = [] {
      real_ = sqlite3_vfs_find(nullptr);
      vfs_ = *real_;
      vfs_.zName = kName;
      vfs_.pNext = nullptr;
      vfs_.xOpen = &open;
      return sqlite3_vfs_register(&vfs_, 0) == SQLITE_OK;
    }();
    ASSERT_TRUE(installed);
  }
  // The n-th xWrite/xSync from now on fails with `rc` (n >= 1).
  static void arm(int n, int rc) {
    rc_ = rc;
    hit_ = false;
    countdown_ = n;
  }
  static void disarm() { countdown_ = 0; }
  static bool hit() { return hit_; }

 private:
  static int open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out) {
    const int rc = real_->xOpen(real_, name, file, flags, out);
    // The unix VFS gives each kind of file (database, journal, WAL) its own
    // static methods; swap in a copy whose xWrite/xSync may fail and
    // otherwise call the real ones.
    if (file->pMethods != nullptr) file->pMethods = &wrap(file->pMethods).copy;
    return rc;
  }
  static FaultVfsMethods& wrap(const sqlite3_io_methods* real) {
    for (FaultVfsMethods& m : methods_) {
      if (m.real == real) return m;
      if (m.real == nullptr) {  // first open of this kind: the test opens in one thread
        m.copy = *real;
        m.copy.xWrite = &write;
        m.copy.xSync = &sync;
        m.real = real;
        return m;
      }
    }
    throw std::logic_error("FaultVfs: more kinds of file than expected");
  }
  static const sqlite3_io_methods& real(sqlite3_file* f) {
    for (const FaultVfsMethods& m : methods_) {
      if (&m.copy == f->pMethods) return *m.real;
    }
    std::abort();
  }
  static bool fault() {
    if (countdown_.load() <= 0 || --countdown_ != 0) return false;
    hit_ = true;
    return true;
  }
  static int write(sqlite3_file* f, const void* data, int n, sqlite3_int64 offset) {
    return fault() ? rc_.load() : real(f).xWrite(f, data, n, offset);
  }
  static int sync(sqlite3_file* f, int flags) {
    return fault() ? rc_.load() : real(f).xSync(f, flags);
  }

  static inline sqlite3_vfs vfs_{};
  static inline sqlite3_vfs* real_ = nullptr;
  static inline FaultVfsMethods methods_[4];
  static inline std::atomic<int> countdown_{0};
  static inline std::atomic<int> rc_{SQLITE_FULL};
  static inline std::atomic<bool> hit_{false};
};

}  // namespace crawl::testing

// Helpers shared by the integration tests: temp dirs, running the real
// `crawl` binary as a child process, reading the SQLite output.
#pragma once

#include <curl/curl.h>
#include <sqlite3.h>

#include <cctype>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/child_process.h"

namespace crawl::testing {

// True in the ASan and TSan builds, where the crawl binary runs several
// times slower and its RSS is inflated by shadow memory: heavy cases shrink
// their volume there (never their shape) and RSS bounds are the Release
// build's.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif

// `s` with every octet but RFC 3986's unreserved ones percent-encoded, as a
// query value (a redirect target in ?url=) needs.
inline std::string percent_encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// The Content-Encodings this libcurl decodes, of those the test server can
// send (its /<encoding>-bomb routes).
inline std::vector<std::string> accepted_encodings() {
  const curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
  std::vector<std::string> out;
  if (v->features & CURL_VERSION_LIBZ) out.insert(out.end(), {"gzip", "deflate"});
  if (v->features & CURL_VERSION_BROTLI) out.push_back("br");
#ifdef CURL_VERSION_ZSTD
  if (v->features & CURL_VERSION_ZSTD) out.push_back("zstd");
#endif
  return out;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// The tab-separated fields of `line` (index.tsv, runs.tsv).
inline std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos) return fields;
    start = tab + 1;
  }
}

// A fresh directory, removed with everything in it on destruction; under
// `base` (default: the system's temporary directory).
class TempDir {
 public:
  explicit TempDir(const std::filesystem::path& base = std::filesystem::temp_directory_path()) {
    std::random_device rd;
    path_ = base / ("crawl-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A RAM-backed temporary directory when there is one (/dev/shm), for fault
// loops that create hundreds of small databases: their fsyncs cost nothing.
inline std::filesystem::path memory_temp_base() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

// The real crawl binary as a child process (core/child_process.h), stdin
// from /dev/null, stdout/stderr captured to files in `dir`; killed and
// reaped on destruction if still running. `extra_env` ("NAME=value") is
// added to the inherited environment.
class CrawlProcess {
 public:
  CrawlProcess(const std::vector<std::string>& args, const std::filesystem::path& dir,
               std::vector<std::string> extra_env = {})
      : dir_(dir), child_(options(args, dir, std::move(extra_env))) {}
  void kill(int sig) { child_.signal(sig); }
  // Exit code, or 128+signal if killed by a signal.
  int wait() { return child_.wait().exit_code; }
  std::string out() const { return read_file(dir_ / "stdout.txt"); }
  std::string err() const { return read_file(dir_ / "stderr.txt"); }

 private:
  static ChildOptions options(const std::vector<std::string>& args, const std::filesystem::path& dir,
                              std::vector<std::string> extra_env) {
    ChildOptions o;
    o.argv = {CRAWL_BIN};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.out = ChildStream::file(dir / "stdout.txt");
    o.err = ChildStream::file(dir / "stderr.txt");
    o.extra_env = std::move(extra_env);
    return o;
  }

  std::filesystem::path dir_;
  ChildProcess child_;
};

struct RunResult {
  int code;
  std::string out, err;
};

inline RunResult run_crawl(const std::vector<std::string>& args, const std::filesystem::path& dir,
                           std::vector<std::string> extra_env = {}) {
  CrawlProcess p(args, dir, std::move(extra_env));
  int code = p.wait();
  return {code, p.out(), p.err()};
}

// Rows of a query as strings (NULL → "<null>"), for assertions.
inline std::vector<std::vector<std::string>> query(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    throw std::runtime_error("cannot open " + db.string());
  }
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> owner(h, sqlite3_close);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw std::runtime_error(sqlite3_errmsg(h));
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(st, sqlite3_finalize);
  std::vector<std::vector<std::string>> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        row.push_back("<null>");
      } else {
        const void* p = sqlite3_column_blob(st, i);
        row.emplace_back(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, i)));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace crawl::testing

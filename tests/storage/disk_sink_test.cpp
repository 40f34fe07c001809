// DiskSink: pages land at disk_path_for() paths with exact content, file /
// directory conflicts lose nothing, hostile URLs never write outside the
// output directory, every result gets an index line, no temp files remain.
#include "storage/disk_sink.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/disk_path.h"
#include "storage/file_system.h"

#include "tests/test_util.h"

namespace crawl {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing::TempDir;

using testing::read_file;

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

using testing::split_tabs;

// Every regular file below `dir`, relative, in generic form.
std::set<std::string> files_below(const fs::path& dir) {
  std::set<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.insert(fs::relative(e.path(), dir).generic_string());
  }
  return files;
}

FetchResult page(const std::string& url, std::string body, long status = 200) {
  FetchResult r;
  r.request.url = url;
  r.final_url = url;
  r.status = status;
  r.content_type = "text/html";
  r.body = std::move(body);
  r.fetched_at = std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + 13h + 5min + 1s + 123ms;
  return r;
}

FetchResult failed(const std::string& url, FetchErrc errc, std::string detail) {
  FetchResult r;
  r.request.url = url;
  r.final_url = url;
  r.error = make_error_code(errc);
  r.error_detail = std::move(detail);
  return r;
}

TEST(DiskSinkLayout, PagesLandAtTheirMappedPathsWithExactContent) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  const std::string binary("\0\x01\xff\xfe\r\n\0end", 10);
  const std::vector<std::pair<std::string, std::string>> pages = {
      {"http://127.0.0.1:8080/", "<html>root</html>"},
      {"http://127.0.0.1:8080/a/b.html?x=1", "query page"},
      {"https://Example.COM:443/dir/", "dir index"},
      {"http://example.com/img.png", binary},
      {"http://example.com/empty", ""},
  };
  {
    DiskSink sink(out);
    for (const auto& [url, body] : pages) sink.store(page(url, body));
    sink.flush();
    EXPECT_EQ(sink.write_errors(), 0);
    EXPECT_EQ(sink.out_dir(), out);
    // Visible after flush(), while the sink is still alive.
    EXPECT_EQ(read_file(out / "127.0.0.1_8080/index.html"), "<html>root</html>");
  }
  EXPECT_EQ(read_file(out / "127.0.0.1_8080/a/b.html?x=1"), "query page");
  EXPECT_EQ(read_file(out / "example.com/dir/index.html"), "dir index");
  EXPECT_EQ(read_file(out / "example.com/img.png"), binary);
  EXPECT_TRUE(fs::is_regular_file(out / "example.com/empty"));
  EXPECT_EQ(fs::file_size(out / "example.com/empty"), 0u);
  for (const auto& [url, body] : pages) {
    EXPECT_EQ(read_file(out / disk_path_for(url).value()), body) << url;
  }
}

TEST(DiskSinkLayout, OnlySuccessfulResponsesBecomeFiles) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  {
    DiskSink sink(out);
    sink.store(page("http://h/ok", "ok"));
    sink.store(page("http://h/missing", "not found page", 404));
    sink.store(page("http://h/moved", "", 301));
    sink.store(page("http://h/broken", "oops", 500));
    sink.store(failed("http://h/slow", FetchErrc::timeout, "timed out"));
    FetchResult truncated = page("http://h/huge", "partial");
    truncated.error = make_error_code(FetchErrc::too_large);
    sink.store(truncated);
  }
  const std::set<std::string> expected = {"h/ok", ".crawl/index.tsv", ".crawl/runs.tsv"};
  EXPECT_EQ(files_below(out), expected);
}

TEST(DiskSinkLayout, SameUrlStoredAgainIsOverwrittenWithTheLatest) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  DiskSink sink(out);
  sink.store(page("http://h/p", "first version, longer"));
  sink.flush();
  sink.store(page("http://h/p", "second"));
  sink.flush();
  EXPECT_EQ(read_file(out / "h/p"), "second");
}

TEST(DiskSinkConflicts, FileWhereADirectoryIsNeededMovesToIndexHtml) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  DiskSink sink(out);
  sink.store(page("http://h/a", "page a"));
  sink.flush();
  ASSERT_TRUE(fs::is_regular_file(out / "h/a"));
  sink.store(page("http://h/a/b.html", "page b"));
  sink.flush();
  EXPECT_EQ(sink.write_errors(), 0);
  EXPECT_TRUE(fs::is_directory(out / "h/a"));
  EXPECT_EQ(read_file(out / "h/a/index.html"), "page a");
  EXPECT_EQ(read_file(out / "h/a/b.html"), "page b");
}

TEST(DiskSinkConflicts, ConflictsInsideOneBatchAndSeveralLevelsDeep) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  {
    DiskSink sink(out);
    sink.store(page("http://h/x", "x"));
    sink.store(page("http://h/x/y", "y"));
    sink.store(page("http://h/x/y/z", "z"));
  }
  EXPECT_EQ(read_file(out / "h/x/index.html"), "x");
  EXPECT_EQ(read_file(out / "h/x/y/index.html"), "y");
  EXPECT_EQ(read_file(out / "h/x/y/z"), "z");
}

TEST(DiskSinkConflicts, TargetThatIsADirectoryGetsIndexHtml) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  DiskSink sink(out);
  sink.store(page("http://h/a/b.html", "b"));
  sink.flush();
  sink.store(page("http://h/a", "a, saved after its directory"));
  sink.flush();
  EXPECT_EQ(sink.write_errors(), 0);
  EXPECT_EQ(read_file(out / "h/a/index.html"), "a, saved after its directory");
  EXPECT_EQ(read_file(out / "h/a/b.html"), "b");
  const auto lines = read_lines(out / ".crawl/index.tsv");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(split_tabs(lines[1])[4], "h/a/index.html") << "index names the path really used";
}

TEST(DiskSinkSafety, HostileUrlsNeverWriteOutsideTheOutputDirectory) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  std::vector<std::string> urls = {
      "http://h/../../etc/passwd",     "http://h/%2e%2e/%2e%2e/x",
      "http://h/a%2Fb",                "http://h/a/%2F/b",
      "http://h/..%2F..%2Fx",          "http://h//abs",
      "http://h/..%5C..%5Cx",          "http://h/a%00b",
      "http://h/%2e%2e",               "http://h/%2e%2e/",
      "http://h/a/b/../../../../x",    "http://h/?../../x",
      "http://h/a?/../../../x",        "http://../x",
      "http://%2e%2e/x",               "http://%2F/x",
      "http://.crawl/index.tsv",       "http://.crawl/runs.tsv",
      "http://h/a%0A%0Db",             "http://h/" + std::string(1000, 'x'),
      "http://h/" + std::string(300, '.'),
      "http://h/a?" + std::string(500, '/'),
      "http://h/.x.tmp.1",             "http://h/%2F..%2F..%2F..%2Ftmp%2Fpwned",
  };
  for (int c = 0; c < 256; ++c) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    urls.push_back(std::string("http://h/") + buf + "/" + buf + buf);
  }
  {
    DiskSink sink(out);
    for (const auto& url : urls) sink.store(page(url, "hostile " + url));
    EXPECT_EQ(sink.flush(), std::nullopt) << "every hostile URL maps to a safe path";
  }
  // Nothing but "out" appeared next to the output directory.
  std::set<std::string> siblings;
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    siblings.insert(e.path().filename().string());
  }
  EXPECT_EQ(siblings, std::set<std::string>{"out"});
  // Every file really lies inside out, and .crawl was not overwritten.
  const fs::path real_out = fs::canonical(out);
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    const fs::path rel = fs::canonical(e.path()).lexically_relative(real_out);
    EXPECT_NE(*rel.begin(), "..") << e.path();
    EXPECT_FALSE(e.is_symlink()) << e.path();
  }
  const auto lines = read_lines(out / ".crawl/index.tsv");
  EXPECT_EQ(lines.size(), urls.size());
  for (const auto& line : lines) EXPECT_EQ(split_tabs(line).size(), 6u) << line;
  EXPECT_TRUE(read_lines(out / ".crawl/runs.tsv").empty());
}

// A refused page is a failure (see disk_sink.h), named by the path refused,
// and still gets its index line.
TEST(DiskSinkSafety, SymlinkInsideTheOutputDirectoryIsNotFollowed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http://h/x", "h"},        // escape via the host directory
      {"http://g/d/y", "g/d"},    // escape via a sub-directory
      {"http://g/d", "g/d"},      // would replace the link
  };
  for (const auto& [url, link] : cases) {
    SCOPED_TRACE(url);
    TempDir tmp;
    const fs::path out = tmp.path() / "out";
    const fs::path elsewhere = tmp.path() / "elsewhere";
    fs::create_directories(out);
    fs::create_directories(elsewhere);
    fs::create_directory_symlink(elsewhere, out / "h");
    fs::create_directories(out / "g");
    fs::create_directory_symlink(elsewhere, out / "g" / "d");
    {
      DiskSink sink(out);
      sink.store(page(url, "escape"));
      sink.store(page("http://k/later", "dropped once failed"));
      const auto failure = sink.flush();
      ASSERT_TRUE(failure.has_value());
      EXPECT_EQ(failure->where, (out / link).string());
      EXPECT_EQ(failure->message, "cannot save " + url + ": is a symbolic link (never followed)");
      EXPECT_EQ(sink.write_errors(), 1);
      EXPECT_EQ(sink.dropped(), 1);
      EXPECT_TRUE(sink.failed());
    }
    EXPECT_TRUE(fs::is_empty(elsewhere));
    EXPECT_FALSE(fs::exists(out / "k"));
    const auto lines = read_lines(out / ".crawl/index.tsv");
    ASSERT_EQ(lines.size(), 1u);
    const auto f = split_tabs(lines[0]);
    EXPECT_EQ(f[4], "-");
    EXPECT_EQ(f[5].rfind("write: ", 0), 0u) << lines[0];
  }
}

TEST(DiskSinkSafety, UrlWithoutADiskPathIsAFailure) {
  for (const std::string url : {"not a url", "file:///etc/passwd"}) {
    TempDir tmp;
    DiskSink sink(tmp.path() / "out");
    sink.store(page(url, "x"));
    const auto failure = sink.flush();
    ASSERT_TRUE(failure.has_value()) << url;
    EXPECT_EQ(failure->where, (tmp.path() / "out").string());
    EXPECT_NE(failure->message.find("has no disk path"), std::string::npos) << failure->message;
  }
}

TEST(DiskSinkIndex, OneLinePerResultIncludingErrors) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  {
    DiskSink sink(out);
    sink.store(page("http://h/ok", "ok"));
    sink.store(page("http://h/missing", "nope", 404));
    sink.store(failed("http://h/slow", FetchErrc::timeout, "timed out\tafter\n5 s"));
    FetchResult redirected = page("http://h/old", "new");
    redirected.final_url = "http://h/new";
    sink.store(redirected);
  }
  const auto lines = read_lines(out / ".crawl/index.tsv");
  ASSERT_EQ(lines.size(), 4u);
  const std::vector<std::vector<std::string>> expected = {
      {"2026-11-22T13:05:01.123Z", "200", "http://h/ok", "http://h/ok", "h/ok", "-"},
      {"2026-11-22T13:05:01.123Z", "404", "http://h/missing", "http://h/missing", "-", "-"},
      {"1970-01-01T00:00:00.000Z", "0", "http://h/slow", "http://h/slow", "-",
       "timeout: timed out after 5 s"},
      {"2026-11-22T13:05:01.123Z", "200", "http://h/old", "http://h/new", "h/old", "-"},
  };
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(split_tabs(lines[i]), expected[i]);
}

TEST(DiskSinkIndex, WriteFailureIsAFailureAndRecordedInTheIndex) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  fs::create_directories(out / "h");
  ASSERT_EQ(::mkfifo((out / "h" / "fifo").c_str(), 0644), 0);
  DiskSink sink(out);
  sink.store(page("http://h/fine", "fine"));
  EXPECT_EQ(sink.flush(), std::nullopt);
  sink.store(page("http://h/fifo", "cannot replace a fifo"));
  const auto failure = sink.flush();
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->where, (out / "h/fifo").string());
  EXPECT_EQ(failure->message, "cannot save http://h/fifo: exists and is not a regular file");
  EXPECT_EQ(sink.failure(), failure);
  EXPECT_EQ(sink.write_errors(), 1);
  EXPECT_EQ(sink.written(), 1);
  EXPECT_EQ(read_file(out / "h/fine"), "fine");
  const auto lines = read_lines(out / ".crawl/index.tsv");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(split_tabs(lines[1])[4], "-");
  EXPECT_EQ(split_tabs(lines[1])[5], "write: " + (out / "h/fifo").string() +
                                         ": exists and is not a regular file");
}

TEST(DiskSinkFailures, WhereIsSpelledAsTheOutputDirectoryWasGiven) {
  TempDir tmp;
  const fs::path cwd = fs::current_path();
  fs::current_path(tmp.path());
  fs::create_directories("site/h");
  ASSERT_EQ(::mkfifo("site/h/fifo", 0644), 0);
  {
    DiskSink sink("site/./");
    sink.store(page("http://h/fifo", "x"));
    const auto failure = sink.flush();
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->where, "site/h/fifo");
  }
  fs::current_path(cwd);
}

TEST(DiskSinkIndex, RunsAreRecordedInRunsTsvAndAppendedAcrossSinks) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  for (int run = 0; run < 2; ++run) {
    DiskSink sink(out);
    RunInfo info;
    info.mode = run == 0 ? "threads" : "fibers";
    info.concurrency = 8;
    info.urls_file = "urls.txt";
    info.settings = "delay=0\tper_host=2";
    sink.begin_run(info);
    sink.store(page("http://h/" + std::to_string(run), "x"));
    RunSummary s;
    s.pages = 4;
    s.bytes = 100;
    s.errors = 1;
    s.errors_by_kind = {{"timeout", 1}};
    s.elapsed_s = 2;
    s.outcome = crawl::RunOutcome::completed;
    sink.end_run(s);
  }
  const auto lines = read_lines(out / ".crawl/runs.tsv");
  ASSERT_EQ(lines.size(), 4u);
  auto f = split_tabs(lines[0]);
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[0], "run-begin");
  EXPECT_EQ(f[2], "threads");
  EXPECT_EQ(f[3], "8");
  EXPECT_EQ(f[4], "urls.txt");
  EXPECT_EQ(f[5], "delay=0 per_host=2");
  f = split_tabs(lines[1]);
  ASSERT_EQ(f.size(), 9u);
  EXPECT_EQ(f[0], "run-end");
  EXPECT_EQ(f[2], "completed");
  EXPECT_EQ(f[3], "4");
  EXPECT_EQ(f[4], "100");
  EXPECT_EQ(f[5], "1");
  EXPECT_EQ(std::stod(f[7]), 2.0);
  EXPECT_EQ(f[8], R"({"timeout":1})");
  EXPECT_EQ(split_tabs(lines[2])[2], "fibers");
  EXPECT_EQ(read_lines(out / ".crawl/index.tsv").size(), 2u);
}

TEST(DiskSinkAtomicity, NoTempFilesRemainAfterFlush) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  DiskSink sink(out);
  for (int i = 0; i < 200; ++i) {
    sink.store(page("http://h/d" + std::to_string(i % 7) + "/p" + std::to_string(i),
                    std::string(1000 + i, 'x')));
  }
  sink.store(page("http://h/d1", "conflict"));  // forces a move aside, too
  sink.flush();
  EXPECT_EQ(sink.write_errors(), 0);
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << e.path();
    EXPECT_EQ(name.find(".move."), std::string::npos) << e.path();
  }
  EXPECT_EQ(read_file(out / "h/d1/index.html"), "conflict");
  EXPECT_EQ(files_below(out).size(), 200u + 1 + 2);
}

// What a crash (kill -9) leaves half-written is in .crawl/tmp, never in the
// tree, and the next sink on the directory removes it.
TEST(DiskSinkAtomicity, PartlyWrittenFilesOfACrashAreRemovedByTheNextCrawl) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  fs::create_directories(out / ".crawl" / "tmp");
  {
    std::ofstream(out / ".crawl" / "tmp" / "7.tmp") << "half a page";
  }
  DiskSink sink(out);
  sink.store(page("http://h/a", "whole"));
  sink.flush();
  EXPECT_TRUE(fs::is_empty(out / ".crawl" / "tmp"));
  EXPECT_EQ(read_file(out / "h/a"), "whole");
}

TEST(DiskSinkConcurrency, ManyThreadsStoringAllArrive) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  {
    DiskSink sink(out, /*max_queued_bytes=*/64 * 1024);  // exercise backpressure too
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&sink, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string url =
              "http://127.0.0.1/t" + std::to_string(t) + "/p" + std::to_string(i);
          sink.store(page(url, url + std::string(4096, '.')));
        }
      });
    }
    for (auto& th : threads) th.join();
    sink.flush();
    EXPECT_EQ(sink.write_errors(), 0);
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      // Built with += : GCC 12 -O2 gives a false -Wrestrict on "t" + to_string().
      std::string rel = "t";
      rel += std::to_string(t);
      rel += "/p";
      rel += std::to_string(i);
      ASSERT_EQ(read_file(out / "127.0.0.1" / rel),
                "http://127.0.0.1/" + rel + std::string(4096, '.'));
    }
  }
  EXPECT_EQ(read_lines(out / ".crawl/index.tsv").size(),
            static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(DiskSinkOpen, OutputPathThatIsAFileThrowsNamingIt) {
  TempDir tmp;
  const fs::path file = tmp.path() / "plain-file";
  std::ofstream(file) << "x";
  try {
    DiskSink sink(file);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a directory"), std::string::npos) << e.what();
  }
  try {
    DiskSink sink(file / "below");
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

TEST(DiskSinkOpen, CreatesMissingParentsAndAcceptsAnExistingDirectory) {
  TempDir tmp;
  const fs::path out = tmp.path() / "a" / "b" / "c";
  { DiskSink sink(out); }
  EXPECT_TRUE(fs::is_directory(out / ".crawl"));
  { DiskSink sink(out); }  // existing directory: fine
}

TEST(DiskSinkOpen, TrailingSlashAndDotsInTheOutputPathAreNormalized) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  DiskSink sink(tmp.path() / "x" / ".." / "out" / "");
  EXPECT_EQ(sink.out_dir(), out);
  sink.store(page("http://h/a", "a"));
  sink.flush();
  EXPECT_EQ(sink.write_errors(), 0);
  EXPECT_EQ(read_file(out / "h/a"), "a");
}

// The real file system, with the Nth operation (once armed) failing with
// ENOSPC or EIO, or, for a write, writing only half and reporting success.
class FaultyFileSystem final : public FileSystem {
 public:
  enum class Fault { enospc, eio, short_write };

  void arm(int n, Fault fault) {
    std::lock_guard lock(mutex_);
    countdown_ = n;
    fault_ = fault;
    hit_.reset();
  }
  void disarm() {
    std::lock_guard lock(mutex_);
    countdown_ = 0;
  }
  // The path of the operation that failed (rename: its target), if any.
  std::optional<fs::path> hit() const {
    std::lock_guard lock(mutex_);
    return hit_;
  }

  std::error_code open(const fs::path& path, int flags, mode_t mode, int& fd) override {
    fd = -1;
    if (auto ec = tick(path)) return ec;
    auto ec = real_.open(path, flags, mode, fd);
    std::lock_guard lock(mutex_);
    if (!ec) fd_paths_[fd] = path;
    return ec;
  }
  std::error_code write(int fd, const void* data, std::size_t size, std::size_t& written) override {
    written = 0;
    if (auto ec = tick(path_of(fd), size > 1)) return ec;
    if (short_write_now_) {
      short_write_now_ = false;
      return real_.write(fd, data, size / 2, written);
    }
    return real_.write(fd, data, size, written);
  }
  std::error_code close(int fd) override {
    const fs::path path = path_of(fd);
    {
      std::lock_guard lock(mutex_);
      fd_paths_.erase(fd);
    }
    if (auto ec = tick(path)) {
      real_.close(fd);  // as close(2): the descriptor is gone anyway
      return ec;
    }
    return real_.close(fd);
  }
  std::error_code size(int fd, off_t& size) override {
    if (auto ec = tick(path_of(fd))) return ec;
    return real_.size(fd, size);
  }
  std::error_code ftruncate(int fd, off_t length) override {
    if (auto ec = tick(path_of(fd))) return ec;
    return real_.ftruncate(fd, length);
  }
  std::error_code sync(int fd) override {
    if (auto ec = tick(path_of(fd))) return ec;
    return real_.sync(fd);
  }
  std::error_code rename(const fs::path& from, const fs::path& to) override {
    if (auto ec = tick(to)) return ec;
    return real_.rename(from, to);
  }
  std::error_code mkdir(const fs::path& path, mode_t mode) override {
    if (auto ec = tick(path)) return ec;
    return real_.mkdir(path, mode);
  }
  std::error_code rmdir(const fs::path& path) override {
    if (auto ec = tick(path)) return ec;
    return real_.rmdir(path);
  }
  std::error_code unlink(const fs::path& path) override {
    if (auto ec = tick(path)) return ec;
    return real_.unlink(path);
  }

 private:
  fs::path path_of(int fd) {
    std::lock_guard lock(mutex_);
    const auto it = fd_paths_.find(fd);
    return it == fd_paths_.end() ? fs::path() : it->second;
  }
  // Counts one operation; the error to return when it is the one to fail
  // (a short write is not an error: it sets short_write_now_).
  std::error_code tick(const fs::path& path, bool can_be_short = false) {
    std::lock_guard lock(mutex_);
    if (countdown_ <= 0 || --countdown_ != 0) return {};
    hit_ = path;
    switch (fault_) {
      case Fault::eio: return {EIO, std::generic_category()};
      case Fault::short_write:
        if (can_be_short) {
          short_write_now_ = true;
          return {};
        }
        [[fallthrough]];
      case Fault::enospc: break;
    }
    return {ENOSPC, std::generic_category()};
  }

  FileSystem& real_ = posix_file_system();
  mutable std::mutex mutex_;  // guards everything below
  int countdown_ = 0;
  Fault fault_ = Fault::enospc;
  bool short_write_now_ = false;
  std::optional<fs::path> hit_;
  std::map<int, fs::path> fd_paths_;
};

// The file a line of index.tsv names, resolving a directory (the page was
// moved below a directory later) to its index.html.
fs::path saved_file(const fs::path& out, const std::string& rel) {
  fs::path p = out / rel;
  while (fs::is_directory(p)) p /= "index.html";
  return p;
}

// A small crawl: 20 results in 4 flushed groups, with nested directories,
// a page that must move below a directory, a directory target and a 404.
std::vector<FetchResult> fault_workload() {
  const std::vector<std::string> paths = {
      "/",        "/a/b/c.html", "/a/b/d.html", "/x",         "/missing",
      "/x/y",     "/a/e/f/g",    "/d/",         "/d/h.html",  "/q?id=1",
      "/q?id=2",  "/m/n/o/p/q",  "/x/z",        "/a/b/",      "/s%20t",
      "/u",       "/u/v/w",      "/k/l",        "/k/l/m",     "/last"};
  std::vector<FetchResult> out;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string url = "http://127.0.0.1:8080" + paths[i];
    out.push_back(page(url, "body of " + url + std::string(100 + i * 37, 'x'),
                       paths[i] == "/missing" ? 404 : 200));
  }
  return out;
}

// Fails the Nth file operation of a small crawl, for every N, each way:
// failure() names the file and the OS error, nothing is torn (every line
// whole, every file the index names complete, no temporary file left) and
// nothing flushed before the failure is lost.
TEST(DiskSinkFaults, FailingTheNthFileOperationTearsNothingAndIsReported) {
  using Fault = FaultyFileSystem::Fault;
  const auto results = fault_workload();
  std::map<std::string, std::string> body_of;
  for (const auto& r : results) body_of[r.request.url] = r.body;
  for (const Fault fault : {Fault::enospc, Fault::eio, Fault::short_write}) {
    bool reached_the_end = false;
    for (int n = 1; n < 1000 && !reached_the_end; ++n) {
      SCOPED_TRACE("fault " + std::to_string(static_cast<int>(fault)) + " at operation " + std::to_string(n));
      TempDir tmp(testing::memory_temp_base());
      const fs::path out = tmp.path() / "out";
      FaultyFileSystem files;
      std::size_t flushed_ok = 0;  // results of the groups flushed without a failure
      {
        DiskSink sink(out, DiskSink::kDefaultMaxQueuedBytes, files);
        files.arm(n, fault);
        RunInfo info;
        info.mode = "threads";
        sink.begin_run(info);
        for (std::size_t g = 0; g < 4; ++g) {
          for (std::size_t i = g * 5; i < g * 5 + 5; ++i) sink.store(results[i]);
          if (!sink.flush()) flushed_ok = g * 5 + 5;
        }
        const auto failure = sink.end_run(RunSummary{});
        const auto hit = files.hit();
        files.disarm();
        reached_the_end = !hit;
        if (hit && fault != Fault::short_write) {
          EXPECT_TRUE(failure.has_value()) << *hit;
        }
        if (failure) {
          ASSERT_TRUE(hit.has_value()) << failure->where << ": " << failure->message;
          const fs::path where = failure->where;
          // The failing operation was on the file named, in its directory,
          // or on its body's temporary file in .crawl/tmp.
          EXPECT_TRUE(where == *hit || where.parent_path() == hit->parent_path() ||
                      hit->parent_path() == out / ".crawl" / "tmp")
              << failure->where << " vs " << *hit;
          // A short write only shows in an index line; other operations
          // fail with ENOSPC in that mode.
          const std::string expected = fault == Fault::eio ? "Input/output error" : "No space left on device";
          const bool short_line = fault == Fault::short_write &&
                                  failure->message.find("wrote only") != std::string::npos;
          EXPECT_TRUE(short_line || failure->message.find(expected) != std::string::npos)
              << failure->message << " (" << failure->where << ")";
        }
      }
      // Whole lines only.
      const std::string index = read_file(out / ".crawl/index.tsv");
      EXPECT_TRUE(index.empty() || index.back() == '\n') << index;
      std::set<std::string> indexed;
      for (const auto& line : read_lines(out / ".crawl/index.tsv")) {
        const auto f = split_tabs(line);
        ASSERT_EQ(f.size(), 6u) << line;
        ASSERT_TRUE(body_of.count(f[2])) << line;
        indexed.insert(f[2]);
        if (f[4] != "-") {
          EXPECT_EQ(read_file(saved_file(out, f[4])), body_of[f[2]]) << line;
        }
      }
      const std::string runs = read_file(out / ".crawl/runs.tsv");
      EXPECT_TRUE(runs.empty() || runs.back() == '\n') << runs;
      for (const auto& line : read_lines(out / ".crawl/runs.tsv")) {
        const std::size_t fields = split_tabs(line).size();
        EXPECT_TRUE(fields == 6 || fields == 9) << line;
      }
      // Nothing flushed before the failure is lost.
      for (std::size_t i = 0; i < flushed_ok; ++i) {
        const FetchResult& r = results[i];
        EXPECT_TRUE(indexed.count(r.request.url)) << r.request.url;
        if (r.status == 200) {
          EXPECT_EQ(read_file(saved_file(out, disk_path_for(r.request.url)->string())), r.body)
              << r.request.url;
        }
      }
      if (reached_the_end) {
        EXPECT_EQ(indexed.size(), results.size());
      }
      for (const auto& e : fs::recursive_directory_iterator(out)) {
        const std::string name = e.path().filename().string();
        EXPECT_EQ(name.find(".tmp."), std::string::npos) << e.path();
        EXPECT_EQ(name.find(".move."), std::string::npos) << e.path();
      }
    }
    EXPECT_TRUE(reached_the_end) << "the workload has more operations than the loop's bound";
  }
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::split_tabs;
using testing::TempDir;

// URL → the file its index line names (a directory there: its index.html).
std::map<std::string, std::string> saved_paths(const fs::path& out) {
  std::map<std::string, std::string> paths;
  for (const auto& line : read_lines(out / ".crawl/index.tsv")) {
    const auto f = split_tabs(line);
    if (f.size() == 6 && f[4] != "-") paths[f[2]] = f[4];
  }
  return paths;
}

// Stores the pages in order, each with its own body, in one sink; then
// checks that every page is on disk whole, each in its own file, at the path
// its (last) index line names. Returns URL → saved path.
std::map<std::string, std::string> store_and_check(const fs::path& out, const std::vector<std::string>& urls) {
  {
    DiskSink sink(out);
    for (const auto& url : urls) sink.store(page(url, "body of " + url));
    EXPECT_EQ(sink.flush(), std::nullopt);
    EXPECT_EQ(sink.write_errors(), 0);
  }
  const auto paths = saved_paths(out);
  std::set<std::string> files;
  for (const auto& url : urls) {
    SCOPED_TRACE(url);
    const auto it = paths.find(url);
    if (it == paths.end()) {
      ADD_FAILURE() << "no file in the index";
      continue;
    }
    const fs::path file = saved_file(out, it->second);
    EXPECT_EQ(read_file(file), "body of " + url) << it->second;
    EXPECT_TRUE(files.insert(file.lexically_relative(out).generic_string()).second) << "shared: " << file;
  }
  return paths;
}

// disk_path_for() maps "/q%3Fa=1" to a name of its own: '?' in a path
// segment is escaped, so the first '?' of a name is always the query's.
TEST(DiskSinkCollisions, EncodedQuestionMarkAndQueryAreTwoNames) {
  TempDir tmp;
  const auto paths = store_and_check(tmp.path() / "out", {"http://h/q?a=1", "http://h/q%3Fa=1"});
  EXPECT_EQ(paths.at("http://h/q?a=1"), "h/q?a=1");
  EXPECT_EQ(paths.at("http://h/q%3Fa=1"), "h/q%3Fa=1");
}

// wget's layout names both "dir/" and "dir/index.html" dir/index.html; the
// second one stored gets wget's name for a second copy, whichever it is.
TEST(DiskSinkCollisions, DirectoryAndItsIndexHtmlKeepBoth) {
  for (const bool slash_first : {true, false}) {
    SCOPED_TRACE(slash_first);
    TempDir tmp;
    const std::string slash = "http://h/dir/", index = "http://h/dir/index.html";
    const auto paths = store_and_check(tmp.path() / "out", slash_first ? std::vector{slash, index}
                                                                        : std::vector{index, slash});
    EXPECT_EQ(paths.at(slash_first ? slash : index), "h/dir/index.html");
    EXPECT_EQ(paths.at(slash_first ? index : slash), "h/dir/index.html.1");
  }
}

// Names that differ only in ASCII case are one file on macOS and Windows:
// counted as one everywhere, so a mirror survives being copied there.
TEST(DiskSinkCollisions, CaseVariantsKeepEveryPage) {
  TempDir tmp;
  const auto paths = store_and_check(
      tmp.path() / "out", {"http://h/Page", "http://h/page", "http://h/PAGE", "http://h/D/x", "http://h/d/X"});
  EXPECT_EQ(paths.at("http://h/Page"), "h/Page");
  EXPECT_EQ(paths.at("http://h/page"), "h/page.1");
  EXPECT_EQ(paths.at("http://h/PAGE"), "h/PAGE.2");
  EXPECT_EQ(paths.at("http://h/D/x"), "h/D/x");
  EXPECT_EQ(paths.at("http://h/d/X"), "h/d/X.1");
}

// A page "a" and a page below "a/": the file moves to a/index.html (its
// index line keeps "a"), and "a/" itself, wget's a/index.html too, gets the
// copy's name. In the other order "a" finds a directory and its index.html
// taken, and becomes "a.1".
TEST(DiskSinkCollisions, FileAndDirectoryOfTheSameNameKeepEveryPage) {
  {
    TempDir tmp;
    const fs::path out = tmp.path() / "out";
    const auto paths = store_and_check(out, {"http://h/a", "http://h/a/b", "http://h/a/"});
    EXPECT_EQ(paths.at("http://h/a"), "h/a");
    EXPECT_EQ(read_file(out / "h/a/index.html"), "body of http://h/a");
    EXPECT_EQ(paths.at("http://h/a/b"), "h/a/b");
    EXPECT_EQ(paths.at("http://h/a/"), "h/a/index.html.1");
  }
  {
    TempDir tmp;
    const auto paths = store_and_check(tmp.path() / "out", {"http://h/a/", "http://h/a/b", "http://h/a"});
    EXPECT_EQ(paths.at("http://h/a/"), "h/a/index.html");
    EXPECT_EQ(paths.at("http://h/a"), "h/a.1");
  }
}

// "?p=/x" and "?p=%2Fx" (and "/a,b" and "/a%2Cb") are different URLs that
// the layout writes alike.
TEST(DiskSinkCollisions, EncodingVariantsKeepBoth) {
  TempDir tmp;
  const auto paths = store_and_check(
      tmp.path() / "out", {"http://h/s?p=/x", "http://h/s?p=%2Fx", "http://h/a,b", "http://h/a%2Cb"});
  EXPECT_EQ(paths.at("http://h/s?p=/x"), "h/s?p=%2Fx");
  EXPECT_EQ(paths.at("http://h/s?p=%2Fx"), "h/s?p=%2Fx.1");
  EXPECT_EQ(paths.at("http://h/a,b"), "h/a,b");
  EXPECT_EQ(paths.at("http://h/a%2Cb"), "h/a,b.1");
}

// A URL stored again (a later batch) goes back to its own file, in this
// sink and in a later one, which reads the owners back from index.tsv.
TEST(DiskSinkCollisions, EachUrlKeepsItsFileAcrossStoresAndCrawls) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  store_and_check(out, {"http://h/dir/", "http://h/dir/index.html", "http://h/a", "http://h/a/b", "http://h/a/",
                        "http://h/P", "http://h/p"});
  {
    DiskSink sink(out);  // a later crawl, in reverse order
    for (const std::string url : {"http://h/p", "http://h/P", "http://h/a/", "http://h/a", "http://h/dir/index.html",
                                  "http://h/dir/"}) {
      sink.store(page(url, "second " + url));
    }
    EXPECT_EQ(sink.flush(), std::nullopt);
  }
  EXPECT_EQ(read_file(out / "h/dir/index.html"), "second http://h/dir/");
  EXPECT_EQ(read_file(out / "h/dir/index.html.1"), "second http://h/dir/index.html");
  EXPECT_EQ(read_file(out / "h/a/index.html"), "second http://h/a");
  EXPECT_EQ(read_file(out / "h/a/index.html.1"), "second http://h/a/");
  EXPECT_EQ(read_file(out / "h/P"), "second http://h/P");
  EXPECT_EQ(read_file(out / "h/p.1"), "second http://h/p");
  EXPECT_EQ(read_file(out / "h/a/b"), "body of http://h/a/b");
  EXPECT_FALSE(fs::exists(out / "h/dir/index.html.2"));
  EXPECT_FALSE(fs::exists(out / "h/p.2"));
  EXPECT_FALSE(fs::exists(out / "h/a.1"));
  // The last line of each URL names the file that has its latest body.
  for (const auto& [url, rel] : saved_paths(out)) {
    EXPECT_EQ(read_file(saved_file(out, rel)), (url == "http://h/a/b" ? "body of " : "second ") + url) << url;
  }
}

// A file no index line names (one the user put there, or a page whose crawl
// was killed before its index line) is overwritten, as wget -r does.
TEST(DiskSinkCollisions, FileNoIndexLineNamesIsOverwritten) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  fs::create_directories(out / "h");
  testing::write_file(out / "h/x", "left by a killed crawl");
  const auto paths = store_and_check(out, {"http://h/x"});
  EXPECT_EQ(paths.at("http://h/x"), "h/x");
}

// Sixteen URLs for one name (its case variants): .1 to .9, then a hash of
// the URL; every page kept.
TEST(DiskSinkCollisions, ManyUrlsForOneNameAllGetAName) {
  std::vector<std::string> urls;
  for (int bits = 0; bits < 16; ++bits) {
    std::string name = "abcd";
    for (int i = 0; i < 4; ++i) {
      if (bits & (1 << i)) name[i] = static_cast<char>(name[i] - 'a' + 'A');
    }
    urls.push_back("http://h/" + name);
  }
  TempDir tmp;
  const auto paths = store_and_check(tmp.path() / "out", urls);
  EXPECT_EQ(paths.at(urls[0]), "h/abcd");
  EXPECT_EQ(paths.at(urls[1]), "h/Abcd.1");
  EXPECT_EQ(paths.at(urls[9]), "h/AbcD.9");
  const std::string hashed = paths.at(urls[10]);
  EXPECT_EQ(hashed.size(), std::string("h/aBcD~").size() + 16) << hashed;
  EXPECT_EQ(hashed.substr(0, 7), "h/aBcD~");
}

}  // namespace
}  // namespace crawl

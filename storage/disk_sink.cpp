#include "storage/disk_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <fstream>
#include <stdexcept>
#include <system_error>
#include <variant>
#include <utility>

#include "core/ascii.h"
#include "core/hash.h"
#include "storage/disk_path.h"
#include "storage/sink_util.h"

namespace crawl {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxTempAttempts = 100;

// Names tried for a page whose name another URL's page has: NAME.1 …
// NAME.9 (wget's numbering of copies), then NAME~HASH of the URL.
constexpr int kMaxNumberedCopies = 9;

constexpr char kHexDigits[] = "0123456789ABCDEF";

// The key of a saved path in owners_: ASCII letters folded, so that names
// differing only in case count as one (they are one file on macOS's and
// Windows' file systems, and a mirror must survive being copied there).
std::uint64_t path_key(std::string_view rel) {
  return stable_hash64(ascii_lowercase(rel));
}

// The owner a URL is recorded as: the URL as its index line spells it.
std::uint64_t url_key(std::string_view url) { return stable_hash64(tsv_field(url)); }

// `name` with the n-th suffix: "NAME.N" for n <= kMaxNumberedCopies, then
// "NAME~" and 16 hex digits of the URL's key.
std::string copy_name(const std::string& name, int n, std::uint64_t url) {
  if (n <= kMaxNumberedCopies) return name + "." + std::to_string(n);
  std::string out = name + "~";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHexDigits[(url >> shift) & 0xF];
  return out;
}


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

DiskSink::DiskSink(fs::path out_dir, std::size_t max_queued_bytes, FileSystem& files)
    : QueuedSink(out_dir.string(), max_queued_bytes), files_(files) {
  std::error_code ec;
  out_dir_ = fs::absolute(out_dir, ec).lexically_normal();
  if (ec) {
    throw std::runtime_error("output directory '" + out_dir.string() + "': " + ec.message());
  }
  // "out/" normalizes to "out/" (empty file name); drop it so that paths
  // below compare component by component.
  if (!out_dir_.has_filename() && out_dir_.has_relative_path()) out_dir_ = out_dir_.parent_path();
  shown_dir_ = out_dir.lexically_normal();
  if (!shown_dir_.has_filename() && shown_dir_.has_relative_path()) shown_dir_ = shown_dir_.parent_path();
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
  // Bodies are written here and renamed into place: what a crash (kill -9)
  // leaves half-written is in this directory, never in the tree, and is
  // removed by the next crawl.
  temp_dir_ = meta / "tmp";
  fs::create_directory(temp_dir_, ec);
  if (ec || !fs::is_directory(temp_dir_)) {
    throw std::runtime_error("cannot create '" + temp_dir_.string() +
                             "': " + (ec ? ec.message() : "exists and is not a directory"));
  }
  std::size_t leftovers = 0;
  for (const auto& entry : fs::directory_iterator(temp_dir_, ec)) {
    std::error_code ignored;
    leftovers += fs::remove(entry.path(), ignored);
  }
  if (leftovers > 0) spdlog::info("{}: removed {} partly written files of an earlier crawl", temp_dir_.string(), leftovers);
  // O_APPEND: each write(2) lands whole at the end; O_CLOEXEC: nothing
  // exec'ed later inherits the descriptor.
  const auto open_append = [&](const fs::path& path) {
    int fd = -1;
    if (const auto err = files_.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644, fd)) {
      throw std::runtime_error("cannot open '" + path.string() + "' for appending: " + err.message());
    }
    return fd;
  };
  load_owners(meta / "index.tsv");
  index_fd_ = open_append(meta / "index.tsv");
  try {
    runs_fd_ = open_append(meta / "runs.tsv");
  } catch (...) {
    files_.close(index_fd_);
    throw;
  }
  start_writer();
}

DiskSink::~DiskSink() {
  stop_writer();
  for (const int fd : {index_fd_, runs_fd_}) {
    if (const auto ec = files_.close(fd)) {
      spdlog::error("{}: cannot close the .crawl index: {}", shown_dir_.string(), ec.message());
    }
  }
}

std::string DiskSink::shown(const fs::path& path) const {
  const fs::path rel = path.lexically_relative(out_dir_);
  if (rel.empty() || rel == ".") return shown_dir_.string();
  return (shown_dir_ / rel).lexically_normal().string();
}

void DiskSink::write_batch(const Batch& batch) {
  for (const auto& entry : batch) {
    if (!should_write(entry.item)) continue;
    if (const auto* page = std::get_if<Page>(&entry.item)) {
      if (page->store_page) write_result(page->result);
    } else if (const auto* begin = std::get_if<BeginRun>(&entry.item)) {
      const RunInfo& i = begin->info;
      write_run_line(entry.item, "run-begin\t" + iso8601_utc(i.started_at) + '\t' +
                                     tsv_field(i.mode) + '\t' + std::to_string(i.concurrency) +
                                     '\t' + tsv_field(i.urls_file) + '\t' + tsv_field(i.settings));
    } else if (std::holds_alternative<EndRun>(entry.item)) {
      const RunSummary& s = std::get<EndRun>(entry.item).summary;
      const std::string per_s =
          s.elapsed_s > 0 ? std::to_string(static_cast<double>(s.pages) / s.elapsed_s) : "-";
      write_run_line(entry.item, "run-end\t" + iso8601_utc(s.finished_at) + '\t' +
                                     tsv_field(to_string(s.outcome)) + '\t' + std::to_string(s.pages) +
                                     '\t' + std::to_string(s.bytes) + '\t' + std::to_string(s.errors) +
                                     '\t' + std::to_string(s.elapsed_s) + '\t' + per_s + '\t' +
                                     tsv_field(json_count_object(s.errors_by_kind)));
    }
    // The state hears of a page only once its file and index line are
    // written: after a crash, a page the state calls done is on disk.
    if (!failed() || std::holds_alternative<EndRun>(entry.item)) forward(entry.item);
  }
}

void DiskSink::write_run_line(const Item& item, const std::string& line) {
  if (const auto why = append_line(runs_fd_, line)) {
    fail(shown(out_dir_ / ".crawl" / "runs.tsv"), describe(item) + ": " + *why);
  }
}

void DiskSink::write_result(const FetchResult& r) {
  std::string saved = "-";
  std::string error = r.error_string();
  std::optional<Problem> problem;
  if (r.ok() && r.status >= 200 && r.status < 300) {
    fs::path written;
    if (const auto rel = disk_path_for(r.request.url)) {
      problem = write_body(*rel, url_key(r.request.url), r.body, written);
    } else {
      problem = Problem{out_dir_, "URL has no disk path (not an absolute http(s) URL)"};
    }
    if (problem) {
      // The body's failure comes first: it is the one the user must see.
      fail(shown(problem->at), "cannot save " + r.request.url + ": " + problem->what);
      error = "write: " + shown(problem->at) + ": " + problem->what;
    } else {
      saved = written.generic_string();
      owners_[path_key(saved)] = url_key(r.request.url);
    }
  }
  const auto why = append_line(index_fd_, iso8601_utc(r.fetched_at) + '\t' + std::to_string(r.status) +
                                              '\t' + tsv_field(r.request.url) + '\t' +
                                              tsv_field(r.final_url) + '\t' + tsv_field(saved) +
                                              '\t' + tsv_field(error));
  if (why) {
    fail(shown(out_dir_ / ".crawl" / "index.tsv"), "cannot store " + r.request.url + ": " + *why);
  } else if (!problem) {
    count_written(1);
  }
}

void DiskSink::load_owners(const fs::path& index) {
  std::error_code ec;
  if (!fs::exists(index, ec)) return;
  std::ifstream in(index, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + index.string() + "'");
  // fetched_at \t status \t url \t final_url \t saved \t error; a later
  // line for the same file wins, as it did on disk.
  for (std::string line; std::getline(in, line);) {
    std::string_view rest = line;
    std::string_view fields[5];
    std::size_t n = 0;
    for (; n < 5; ++n) {
      const std::size_t tab = rest.find('\t');
      if (tab == std::string_view::npos) break;
      fields[n] = rest.substr(0, tab);
      rest.remove_prefix(tab + 1);
    }
    if (n < 5 || fields[4] == "-" || fields[4].empty()) continue;
    owners_[path_key(fields[4])] = stable_hash64(fields[2]);
  }
  if (in.bad()) throw std::runtime_error("cannot read '" + index.string() + "'");
}

std::optional<std::uint64_t> DiskSink::owner_of(fs::path rel) const {
  for (;;) {
    if (const auto it = owners_.find(path_key(rel.generic_string())); it != owners_.end()) {
      return it->second;
    }
    // A page moved below a directory (page "/a" saved as "a", then "/a/b"
    // needed a directory "a") is still recorded under its old name.
    if (rel.filename() != "index.html" || !rel.has_parent_path()) return std::nullopt;
    rel = rel.parent_path();
  }
}

std::optional<DiskSink::Problem> DiskSink::write_body(const fs::path& rel, std::uint64_t owner,
                                                      const std::string& body, fs::path& written) {
  if (!is_safe_relative(rel) || !is_within((out_dir_ / rel).lexically_normal(), out_dir_)) {
    return Problem{out_dir_, "path '" + rel.string() + "' would leave the output directory"};
  }
  // Walk down, creating directories; a regular file in the way becomes
  // dir/index.html. Symlinks are refused, never followed.
  fs::path dir = out_dir_;
  fs::path parent_rel;
  for (const fs::path& part : rel.parent_path()) {
    dir /= part;
    parent_rel /= part;
    if (auto problem = make_directory_at(dir)) return problem;
  }
  const std::string name = rel.filename().string();
  // The first name that is free or this URL's own: the mapped name, then
  // its numbered copies. A name is taken when the index records another
  // URL's page there (in any letter case); a file nobody recorded is
  // overwritten, as wget -r does (a page written by a crawl killed before
  // its index line, a file of the user's).
  for (int n = 0; n <= kMaxNumberedCopies + 1; ++n) {
    fs::path target_rel = parent_rel / (n == 0 ? name : copy_name(name, n, owner));
    fs::path target = out_dir_ / target_rel;
    std::error_code ec;
    fs::file_status st = fs::symlink_status(target, ec);
    // A directory stands there: the page is its index.html (wget's name for
    // a directory's page).
    while (fs::is_directory(st)) {
      target /= "index.html";
      target_rel /= "index.html";
      st = fs::symlink_status(target, ec);
    }
    if (fs::is_symlink(st)) return Problem{target, "is a symbolic link (never followed)"};
    if (fs::exists(st) && !fs::is_regular_file(st)) {
      return Problem{target, "exists and is not a regular file"};
    }
    if (const auto holder = owner_of(target_rel); holder && *holder != owner) {
      spdlog::debug("disk sink: '{}' holds another URL's page; trying the next name",
                    target_rel.generic_string());
      continue;
    }
    // Defence in depth: with every symlink resolved, the directory we are
    // about to write into must still be inside the output directory.
    const fs::path real_parent = fs::weakly_canonical(target.parent_path(), ec);
    if (ec || !is_within(real_parent, canonical_dir_)) {
      return Problem{target, "resolves outside the output directory"};
    }
    written = target_rel;
    return write_file_atomically(target, body);
  }
  return Problem{out_dir_ / rel, "the pages of " + std::to_string(kMaxNumberedCopies + 2) +
                                     " other URLs already have this name and its copies' names"};
}

// Makes sure `dir` is a directory, moving a regular file that stands there
// to dir/index.html.
std::optional<DiskSink::Problem> DiskSink::make_directory_at(const fs::path& dir) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  if (fs::is_directory(st)) return std::nullopt;
  if (!fs::exists(st)) {
    if (const auto err = files_.mkdir(dir, 0777)) {
      return Problem{dir, "cannot create the directory: " + err.message()};
    }
    return std::nullopt;
  }
  if (fs::is_symlink(st)) return Problem{dir, "is a symbolic link (never followed)"};
  if (!fs::is_regular_file(st)) {
    return Problem{dir, "exists and is neither a directory nor a regular file"};
  }
  return move_file_below(dir);
}

// Page "/a" was saved as file "a" and now "/a/b" needs a directory "a": the
// file becomes a/index.html. Undone on failure, so the page is never lost.
std::optional<DiskSink::Problem> DiskSink::move_file_below(const fs::path& dir) {
  const fs::path aside =
      dir.parent_path() / ("." + dir.filename().string() + ".move." + std::to_string(++temp_counter_));
  if (const auto err = files_.rename(dir, aside)) {
    return Problem{dir, "cannot move the page aside to make room for a directory: " + err.message()};
  }
  if (const auto err = files_.mkdir(dir, 0777)) {
    files_.rename(aside, dir);  // put the page back
    return Problem{dir, "cannot create the directory: " + err.message()};
  }
  if (const auto err = files_.rename(aside, dir / "index.html")) {
    files_.rmdir(dir);
    files_.rename(aside, dir);  // put the page back
    return Problem{dir / "index.html", "cannot move the page into place: " + err.message()};
  }
  // The page keeps its owner, recorded under its old name (owner_of()).
  owners_.erase(path_key((dir / "index.html").lexically_relative(out_dir_).generic_string()));
  spdlog::debug("disk sink: moved '{}' to '{}/index.html' to make room for a directory",
                dir.string(), dir.string());
  return std::nullopt;
}

std::optional<DiskSink::Problem> DiskSink::write_file_atomically(const fs::path& target,
                                                                 const std::string& body) {
  fs::path temp;
  int fd = -1;
  std::error_code err;
  for (int attempt = 0; attempt < kMaxTempAttempts; ++attempt) {
    temp = temp_dir_ / (std::to_string(++temp_counter_) + ".tmp");
    err = files_.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644, fd);
    if (err != std::errc::file_exists) break;
  }
  if (err) return Problem{target, "cannot create a temporary file: " + err.message()};
  const auto give_up = [&](const std::string& what) {
    files_.unlink(temp);
    return Problem{target, what};
  };
  if ((err = write_all(files_, fd, body))) {
    files_.close(fd);
    return give_up("cannot write: " + err.message());
  }
  // close() reports what NFS and quotas report late.
  if ((err = files_.close(fd))) return give_up("cannot close: " + err.message());
  if ((err = files_.rename(temp, target))) return give_up("cannot rename into place: " + err.message());
  return std::nullopt;
}

std::optional<std::string> DiskSink::append_line(int fd, std::string line) {
  line += '\n';
  off_t before = 0;
  if (const auto err = files_.size(fd, before)) return "cannot read its size: " + err.message();
  std::size_t n = 0;
  const auto err = files_.write(fd, line.data(), line.size(), n);
  if (!err && n == line.size()) return std::nullopt;
  std::string why = err ? err.message()
                        : "wrote only " + std::to_string(n) + " of " + std::to_string(line.size()) +
                              " bytes";
  // Whatever part of the line landed goes: a reader never sees half a line.
  if (const auto undo = files_.ftruncate(fd, before)) {
    why += "; cannot remove the partial line: " + undo.message();
  }
  return why;
}

}  // namespace crawl

// WarcWriter: WARC files, their rotation and their CDXJ indexes (see the header).
#include "storage/warc_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>

#include "core/ascii.h"
#include "core/digest.h"
#include "core/hash.h"
#include "core/time_text.h"
#include "web/links.h"

namespace crawl {

namespace {

bool has_header_section(const std::string& response) { return http_head_size(response) != std::string_view::npos; }

std::string mime_of(std::string_view content_type) {
  std::string mime(content_type.substr(0, content_type.find(';')));
  while (!mime.empty() && (mime.back() == ' ' || mime.back() == '\t')) mime.pop_back();
  return ascii_lowercase(mime);
}

// Whether a response's payload is compressed already: a Content-Encoding
// (gzip, br, zstd, …), or a type whose format is (images but SVG, audio,
// video, archives, WOFF fonts).
bool already_compressed(std::string_view head, std::string_view mime) {
  const std::string_view encoding = http_field(head, "Content-Encoding");
  if (!encoding.empty() && !ascii_iequals(encoding, "identity")) return true;
  if (mime.starts_with("image/")) return mime != "image/svg+xml" && mime != "image/bmp" && mime != "image/x-icon";
  if (mime.starts_with("audio/") || mime.starts_with("video/")) return true;
  for (const std::string_view type : {"application/zip", "application/gzip", "application/x-gzip", "application/zstd",
                                      "application/x-bzip2", "application/x-xz", "application/x-7z-compressed",
                                      "application/vnd.rar", "font/woff", "font/woff2"})
    if (mime == type) return true;
  return false;
}

// Header values must not break the record's header: CR and LF become spaces.
std::string field_value(std::string_view v) {
  std::string out(v);
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

// WARC-Date to the second (as WARC 1.0 readers expect, and as a CDXJ
// timestamp keeps it): "2026-12-02T03:52:59Z".
std::string warc_date(std::chrono::system_clock::time_point tp) {
  std::string date = iso8601_utc(tp);  // …T03:52:59.123Z
  if (date.size() == 24 && date[19] == '.') date.erase(19, 4);
  return date;
}

// "20261202035259" → "2026-12-02T03:52:59Z" (a CDXJ timestamp as a WARC-Date).
std::string date_of_timestamp(std::string_view t) {
  if (t.size() < 14) return {};
  std::string d;
  d.append(t.substr(0, 4)).append("-").append(t.substr(4, 2)).append("-").append(t.substr(6, 2));
  d.append("T").append(t.substr(8, 2)).append(":").append(t.substr(10, 2)).append(":").append(t.substr(12, 2));
  return d + "Z";
}

// The files PREFIX-NNNNN<suffix> beside `prefix`, by NNNNN.
std::map<int, std::filesystem::path> files_of(const std::string& prefix, std::string_view suffix) {
  std::map<int, std::filesystem::path> found;
  const std::filesystem::path p(prefix);
  const std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  const std::string stem = p.filename().string() + "-";
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(stem) || !name.ends_with(suffix) || name.size() < stem.size() + 5 + suffix.size())
      continue;
    const std::string_view digits(name.data() + stem.size(), name.size() - stem.size() - suffix.size());
    int index = 0;
    const auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (err == std::errc() && ptr == digits.data() + digits.size()) found.emplace(index, it->path());
  }
  return found;
}

// Calls f(line, entry) for each line of a CDXJ index that parse_cdxj_line() reads.
template <typename F>
void for_each_cdxj_entry(std::string_view text, F&& f) {
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (const auto entry = parse_cdxj_line(line)) f(line, *entry);
  }
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

WarcWriter::WarcWriter(WarcWriterOptions options)
    : options_(std::move(options)), fs_(options_.fs ? *options_.fs : posix_file_system()) {
  // What earlier crawls archived under this prefix: identical payloads become revisits.
  for (const auto& [index, path] : files_of(options_.prefix, ".cdxj")) learn_originals(read_text(path));
  if (auto error = open_next()) throw std::runtime_error("--warc " + options_.prefix + ": " + *error);
}

void WarcWriter::learn_originals(std::string_view text) {
  for_each_cdxj_entry(text, [this](std::string_view, const CdxjEntry& e) { learn_original(e); });
}

void WarcWriter::learn_original(const CdxjEntry& e) {
  if (e.status != 200 || e.mime == "warc/revisit" || e.digest.empty()) return;
  originals_[url_fingerprint(e.url)] = Original{"sha1:" + e.digest, date_of_timestamp(e.date)};
}

WarcWriter::~WarcWriter() {
  if (auto error = close()) spdlog::error("{}", *error);
}

std::string WarcWriter::file_name(int index, const char* suffix) const {
  char number[16];
  std::snprintf(number, sizeof number, "-%05d", index);
  return options_.prefix + number + suffix;
}

std::optional<std::string> WarcWriter::failed(std::string message) {
  if (!failure_) failure_ = std::move(message);
  return failure_;
}

std::optional<std::string> WarcWriter::open_next() {
  if (failure_) return failure_;
  // Files of an earlier crawl with the same prefix are never overwritten.
  int index = index_ + 1;
  std::error_code ec;
  while (std::filesystem::exists(file_name(index, ".warc.gz"), ec) ||
         std::filesystem::exists(file_name(index, ".warc.gz.open"), ec))
    ++index;
  const std::string path = file_name(index, ".warc.gz.open");
  int fd = -1;
  if (auto err = fs_.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644, fd))
    return failed("cannot create " + path + ": " + err.message());
  fd_ = fd;
  index_ = index;
  name_ = std::filesystem::path(file_name(index, ".warc.gz")).filename().string();
  size_ = 0;
  on_disk_ = 0;
  cdxj_.clear();
  index_pending_.clear();
  pending_.clear();
  if (auto error = open_index()) return error;
  std::string block;
  for (const auto& [name, value] : options_.info) block += name + ": " + field_value(value) + "\r\n";
  WarcRecord info;
  info.type = "warcinfo";
  info.fields = {{"WARC-Record-ID", warc_record_id()},
                 {"WARC-Date", warc_date(std::chrono::system_clock::now())},
                 {"WARC-Filename", name_},
                 {"Content-Type", "application/warc-fields"},
                 {"WARC-Block-Digest", sha1_digest(block)}};
  info.head = block;
  return append(info, nullptr);
}

std::optional<std::string> WarcWriter::open_index() {
  const std::string path = file_name(index_, ".cdxj.open");
  if (auto err = fs_.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644, index_fd_))
    return failed("cannot create " + path + ": " + err.message());
  return std::nullopt;
}

std::optional<std::string> WarcWriter::flush() {
  if (failure_) return failure_;
  if (fd_ >= 0 && !pending_.empty())
    if (auto error = write_pending()) return error;
  if (index_pending_.empty() || index_fd_ < 0) return std::nullopt;
  if (auto err = write_all(fs_, index_fd_, index_pending_))
    return failed("cannot write " + file_name(index_, ".cdxj.open") + ": " + err.message());
  index_pending_.clear();
  return std::nullopt;
}

std::optional<std::string> WarcWriter::append(const WarcRecord& record, const CdxjEntry* entry, int level) {
  if (failure_) return failure_;
  const std::size_t start = pending_.size();
  // A record under 1 KiB (a request, a redirect's metadata) is stored at
  // levels 2-12: libdeflate's set-up, about 10 µs, would buy a hundred
  // bytes. Level 1 writes small records with codes made once (~1 µs).
  if (level < 0)
    level = record.head.size() + record.tail.size() < 1024 && options_.gzip_level != 1 ? 0 : options_.gzip_level;
  append_gzip_record(record, pending_, level);
  const std::size_t length = pending_.size() - start;
  if (entry) {
    CdxjEntry e = *entry;
    e.offset = size_;
    e.length = length;
    e.filename = name_;
    cdxj_.push_back(cdxj_line(e));
    index_pending_ += cdxj_.back();
    index_pending_ += '\n';
  }
  size_ += length;
  ++records_;
  if (pending_.size() >= kWriteSize) return write_pending();
  return std::nullopt;
}

std::optional<std::string> WarcWriter::write_pending() {
  if (failure_) return failure_;
  if (auto err = write_all(fs_, fd_, pending_)) {
    // The file ends at its last complete record (the pending ones are cut
    // off whole; a resumed crawl would cut them too).
    fs_.ftruncate(fd_, static_cast<off_t>(on_disk_));
    return failed("cannot write " + file_name(index_, ".warc.gz.open") + ": " + err.message());
  }
  pending_.clear();
  on_disk_ = size_;
  return std::nullopt;
}

std::optional<std::string> WarcWriter::write(const FetchResult& r) {
  if (failure_) return failure_;
  if (!r.wire || r.wire->empty()) return std::nullopt;
  if (fd_ < 0)
    if (auto error = open_next()) return error;
  const auto& wire = *r.wire;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    const WireExchange& x = wire[i];
    if (x.request.empty() || !has_header_section(x.response)) continue;  // no response: nothing to archive
    const std::string date = warc_date(x.sent_at);
    const std::string response_id = warc_record_id();
    // Without a Content-Encoding the payload is the body curl delivered:
    // the result's (not copied by the capture), or on a failed transfer the
    // exchange's own copy of it.
    const bool result_payload = x.payload_in_result() && i + 1 == wire.size();
    const HttpMessage m =
        http_message(x.response, result_payload ? std::string_view(r.body) : std::string_view(x.body), x.payload_from_curl);
    // The final exchange's payload is most often the body as stored (no
    // Content-Encoding, not cut): its digest is computed once already.
    const bool stored_body =
        i + 1 == wire.size() && !r.body_digest.empty() && (result_payload || m.payload() == r.body);
    const std::string payload_digest = stored_body ? r.body_digest : sha1_digest(m.payload());
    std::string truncated = x.truncated;
    if (truncated.empty() && !m.complete) truncated = "unspecified";  // the server's chunked framing was cut
    // The body was delivered but could not be read back (a spilled body).
    if (truncated.empty() && result_payload && r.status <= 0) truncated = "unspecified";

    const int status = http_status(m.head);
    // A 304 to our conditional request: a revisit record, the
    // server-not-modified profile (WARC 1.1 6.7.2): the 304's header, no
    // payload (the copy it confirms was archived by an earlier crawl). A 304
    // to a request that asked nothing confirms no copy: a plain response.
    const bool not_modified = status == 304 && (!http_field(x.request, "If-None-Match").empty() ||
                                                 !http_field(x.request, "If-Modified-Since").empty());
    // A 200 with the payload archived last for this URL: a revisit record,
    // the identical-payload-digest profile (6.7.1), its header only.
    const std::uint64_t url_key = url_fingerprint(x.url);
    const Original* original = nullptr;
    if (status == 200 && truncated.empty() && !m.payload().empty())
      if (const auto it = originals_.find(url_key); it != originals_.end() && it->second.digest == payload_digest)
        original = &it->second;
    WarcRecord response;
    response.type = not_modified || original ? "revisit" : "response";
    response.fields = {{"WARC-Record-ID", response_id},
                       {"WARC-Date", date},
                       {"WARC-Target-URI", field_value(x.url)}};
    if (!x.ip.empty()) response.fields.emplace_back("WARC-IP-Address", x.ip);
    if (not_modified) {
      response.fields.emplace_back("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified");
      response.fields.emplace_back("WARC-Refers-To-Target-URI", field_value(x.url));
      // The capture it confirms: the payload archived last for this URL
      // under this prefix (its first capture, when later ones were
      // identical-payload revisits), where replay finds the body.
      if (const auto it = originals_.find(url_key); it != originals_.end())
        response.fields.emplace_back("WARC-Refers-To-Date", it->second.date);
    } else if (original) {
      response.fields.emplace_back("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest");
      response.fields.emplace_back("WARC-Refers-To-Target-URI", field_value(x.url));
      response.fields.emplace_back("WARC-Refers-To-Date", original->date);
      truncated = "length";
    }
    response.fields.emplace_back("Content-Type", "application/http; msgtype=response");
    response.head = m.head;
    if (!original) response.tail = m.payload();
    response.fields.emplace_back("WARC-Block-Digest", Sha1().update(response.head).update(response.tail).digest());
    if (!not_modified) response.fields.emplace_back("WARC-Payload-Digest", payload_digest);
    if (!truncated.empty()) response.fields.emplace_back("WARC-Truncated", truncated);
    CdxjEntry entry;
    entry.url = x.url;
    entry.date = date;
    entry.mime = not_modified || original ? "warc/revisit" : mime_of(http_field(m.head, "Content-Type"));
    entry.status = status;
    if (!not_modified) entry.digest = payload_digest.substr(5);  // base32 only, as pywb and warcio write it
    if (status == 200 && !original && truncated.empty() && !m.payload().empty())
      originals_[url_key] = Original{payload_digest, date};
    // A payload compressed already (a Content-Encoding, an image, an
    // archive) would not shrink: its record is stored in the gzip member
    // uncompressed (level 0: a copy and a CRC), not compressed again.
    const bool compressed = response.tail.size() >= 512 && already_compressed(m.head, entry.mime);
    if (auto error = append(response, &entry, compressed ? 0 : -1)) return error;

    WarcRecord request;
    request.type = "request";
    request.fields = {{"WARC-Record-ID", warc_record_id()},
                      {"WARC-Date", date},
                      {"WARC-Target-URI", field_value(x.url)}};
    if (!x.ip.empty()) request.fields.emplace_back("WARC-IP-Address", x.ip);
    request.fields.emplace_back("WARC-Concurrent-To", response_id);
    request.fields.emplace_back("Content-Type", "application/http; msgtype=request");
    request.fields.emplace_back("WARC-Block-Digest", sha1_digest(x.request));
    request.head = x.request;
    if (auto error = append(request, nullptr)) return error;

    if (i + 1 != wire.size()) continue;
    // What the crawl learnt from the page, as Heritrix writes it: the
    // page that led here (via), its links (outlink), a redirect's target.
    // Appended in place: a page has dozens of links, and a string for each
    // (twice: parsed, then joined) was most of this thread's allocations.
    std::string block;
    block.reserve(128 + r.links.size() * 2);
    if (!r.request.referrer.empty()) block.append("via: ").append(field_value(r.request.referrer)).append("\r\n");
    block.append("hopsFromSeed: ").append(std::to_string(r.request.depth)).append("\r\n");
    block.append("fetchTimeMs: ").append(std::to_string(static_cast<long long>(r.elapsed_ms))).append("\r\n");
    if (r.request.kind != RequestKind::robots)
      for (const auto& target : r.redirects) block.append("outlink: ").append(field_value(target)).append("\r\n");
    std::string nofollow;  // after the followed ones
    for_each_page_link(r.links, [&](std::string_view url, bool is_nofollow) {
      (is_nofollow ? nofollow : block).append("outlink: ").append(url).append(is_nofollow ? " nofollow\r\n" : "\r\n");
    });
    block += nofollow;
    WarcRecord metadata;
    metadata.type = "metadata";
    metadata.fields = {{"WARC-Record-ID", warc_record_id()},
                       {"WARC-Date", date},
                       {"WARC-Target-URI", field_value(x.url)},
                       {"WARC-Concurrent-To", response_id},
                       {"Content-Type", "application/warc-fields"},
                       {"WARC-Block-Digest", sha1_digest(block)}};
    metadata.head = block;
    if (auto error = append(metadata, nullptr)) return error;
  }
  return std::nullopt;
}

std::optional<std::string> WarcWriter::close(bool keep_open) {
  if (fd_ < 0) return failure_;
  auto index_error = flush();
  const int fd = fd_;
  fd_ = -1;
  pending_.clear();
  const std::string open_path = file_name(index_, ".warc.gz.open");
  const std::string index_open_path = file_name(index_, ".cdxj.open");
  if (index_fd_ >= 0) {
    if (auto err = fs_.close(index_fd_); err && !index_error)
      index_error = failed("cannot close " + index_open_path + ": " + err.message());
    index_fd_ = -1;
  }
  if (failure_ || keep_open) {
    fs_.close(fd);
    cdxj_.clear();
    return failure_;  // the file keeps its .open name (and its .cdxj.open)
  }
  if (auto err = fs_.sync(fd)) {
    fs_.close(fd);
    return failed("cannot sync " + open_path + ": " + err.message());
  }
  if (auto err = fs_.close(fd)) return failed("cannot close " + open_path + ": " + err.message());
  // The index first, so that a .warc.gz always has its .cdxj.
  std::sort(cdxj_.begin(), cdxj_.end());
  std::string index;
  for (const auto& line : cdxj_) index += line + "\n";
  const std::string cdxj_path = file_name(index_, ".cdxj");
  const std::string cdxj_tmp = file_name(index_, ".cdxj.tmp");
  int cfd = -1;
  if (auto err = fs_.open(cdxj_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644, cfd))
    return failed("cannot create " + cdxj_tmp + ": " + err.message());
  if (auto err = write_all(fs_, cfd, index)) {
    fs_.close(cfd);
    return failed("cannot write " + cdxj_tmp + ": " + err.message());
  }
  if (auto err = fs_.sync(cfd)) {
    fs_.close(cfd);
    return failed("cannot sync " + cdxj_tmp + ": " + err.message());
  }
  if (auto err = fs_.close(cfd)) return failed("cannot close " + cdxj_tmp + ": " + err.message());
  if (auto err = fs_.rename(cdxj_tmp, cdxj_path)) return failed("cannot rename " + cdxj_tmp + ": " + err.message());
  const std::string path = file_name(index_, ".warc.gz");
  if (auto err = fs_.rename(open_path, path)) return failed("cannot rename " + open_path + ": " + err.message());
  // Both names on the disk: a closed file stays closed, with its index,
  // through a power failure (resume() finds a file under either name).
  if (auto err = sync_parent_directory(fs_, path))
    return failed("cannot sync the directory of " + path + ": " + err.message());
  fs_.unlink(index_open_path);  // a leftover would only be ignored
  closed_.push_back(path);
  cdxj_.clear();
  return std::nullopt;
}

std::optional<std::string> WarcWriter::resume(const std::vector<ArchiveMark>& marks, bool continue_file) {
  if (failure_) return failure_;
  const auto mark = std::find_if(marks.begin(), marks.end(), [&](const ArchiveMark& m) { return m.prefix == options_.prefix; });
  if (mark == marks.end()) return std::nullopt;
  const auto open_warcs = files_of(options_.prefix, ".warc.gz.open");
  int mark_index = -1;  // of the mark's file, closed or .open
  for (const auto& [index, path] : files_of(options_.prefix, ".warc.gz"))
    if (path.filename().string() == mark->file) mark_index = index;
  for (const auto& [index, path] : open_warcs)
    if (path.filename().string() == mark->file + ".open") mark_index = index;
  const bool mark_open = mark_index >= 0 && open_warcs.count(mark_index);
  // Not resumed (a new batch, --restart) and the file was closed: complete.
  if (!mark_open && !continue_file) return std::nullopt;
  if (mark_index < 0) {
    spdlog::warn("--warc {}: {}, where the interrupted crawl's archive stood, is gone: a new file is begun",
                 options_.prefix, mark->file);
    return std::nullopt;
  }
  // The file this writer began holds a warcinfo record only; the .open
  // files begun after the mark, records of fetches that were not committed.
  const int began = index_;
  if (auto error = close(/*keep_open=*/true)) return error;
  fs_.unlink(file_name(began, ".warc.gz.open"));
  fs_.unlink(file_name(began, ".cdxj.open"));
  for (const auto& [index, path] : open_warcs) {
    if (index <= mark_index || index == began) continue;
    fs_.unlink(path);
    fs_.unlink(file_name(index, ".cdxj.open"));
    spdlog::info("--warc {}: removed {}: it held only records of fetches not committed", options_.prefix,
                 path.string());
  }
  index_ = mark_index;
  if (!mark_open) return open_next();  // the mark's file was closed: complete
  const std::string path = file_name(mark_index, ".warc.gz.open");
  int fd = -1;
  if (auto err = fs_.open(path, O_WRONLY | O_CLOEXEC, 0644, fd)) return failed("cannot open " + path + ": " + err.message());
  off_t size = 0;
  if (auto err = fs_.size(fd, size)) {
    fs_.close(fd);
    return failed("cannot read the size of " + path + ": " + err.message());
  }
  if (size < mark->offset) {
    spdlog::warn("--warc {}: {} ends at byte {}, before its last committed record ({}): records were lost "
                 "(the system stopped before they reached the disk)", options_.prefix, path, size, mark->offset);
  } else if (size > mark->offset) {
    if (auto err = fs_.ftruncate(fd, mark->offset)) {
      fs_.close(fd);
      return failed("cannot cut " + path + " back to its last committed record: " + err.message());
    }
    spdlog::info("--warc {}: continuing {} from its last committed record (byte {}; {} bytes after it dropped)",
                 options_.prefix, path, mark->offset, static_cast<long long>(size - mark->offset));
    size = mark->offset;
  }
  if (::lseek(fd, size, SEEK_SET) < 0) {
    const std::error_code err(errno, std::generic_category());
    fs_.close(fd);
    return failed("cannot seek in " + path + ": " + err.message());
  }
  fd_ = fd;
  name_ = mark->file;
  size_ = on_disk_ = static_cast<std::uint64_t>(size);
  cdxj_.clear();
  index_pending_.clear();
  // The index lines of the records kept; the file's index is rewritten with them.
  const std::string index_path = file_name(mark_index, ".cdxj.open");
  for_each_cdxj_entry(read_text(index_path), [this](std::string_view line, const CdxjEntry& e) {
    if (e.offset + e.length > size_) return;
    learn_original(e);
    cdxj_.emplace_back(line);
    index_pending_.append(line).append("\n");
  });
  if (auto err = fs_.open(index_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644, index_fd_))
    return failed("cannot create " + index_path + ": " + err.message());
  if (auto error = flush()) return error;
  if (continue_file) return std::nullopt;
  // --restart: the abandoned crawl's file is closed as it stood at its mark.
  if (auto error = close()) return error;
  return open_next();
}

}  // namespace crawl

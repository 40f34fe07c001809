// WarcWriter: WARC files, their rotation and their CDXJ indexes (see the header).
#include "storage/warc_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "core/digest.h"
#include "core/time_text.h"
#include "web/links.h"

namespace crawl {

namespace {

bool has_header_section(const std::string& response) {
  return response.find("\r\n\r\n") != std::string::npos || response.find("\n\n") != std::string::npos;
}

std::string mime_of(std::string_view content_type) {
  std::string mime(content_type.substr(0, content_type.find(';')));
  while (!mime.empty() && (mime.back() == ' ' || mime.back() == '\t')) mime.pop_back();
  std::transform(mime.begin(), mime.end(), mime.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return mime;
}

// Header values must not break the record's header: CR and LF become spaces.
std::string field_value(std::string_view v) {
  std::string out(v);
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

}  // namespace

WarcWriter::WarcWriter(WarcWriterOptions options)
    : options_(std::move(options)), fs_(options_.fs ? *options_.fs : posix_file_system()) {
  if (auto error = open_next()) throw std::runtime_error("--warc " + options_.prefix + ": " + *error);
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
  cdxj_.clear();
  std::string block;
  for (const auto& [name, value] : options_.info) block += name + ": " + field_value(value) + "\r\n";
  WarcRecord info;
  info.type = "warcinfo";
  info.fields = {{"WARC-Record-ID", warc_record_id()},
                 {"WARC-Date", iso8601_utc(std::chrono::system_clock::now())},
                 {"WARC-Filename", name_},
                 {"Content-Type", "application/warc-fields"},
                 {"WARC-Block-Digest", sha1_digest(block)}};
  info.head = block;
  return append(info, nullptr);
}

std::optional<std::string> WarcWriter::append(const WarcRecord& record, const CdxjEntry* entry) {
  if (failure_) return failure_;
  member_.clear();
  append_gzip_record(record, member_);
  const std::string& member = member_;
  const std::string path = file_name(index_, ".warc.gz.open");
  std::size_t done = 0;
  while (done < member.size()) {
    std::size_t written = 0;
    if (auto err = fs_.write(fd_, member.data() + done, member.size() - done, written))
      return failed("cannot write " + path + ": " + err.message());
    if (written == 0) return failed("cannot write " + path + ": no byte written");
    done += written;
  }
  if (entry) {
    CdxjEntry e = *entry;
    e.offset = size_;
    e.length = member.size();
    e.filename = name_;
    cdxj_.push_back(cdxj_line(e));
  }
  size_ += member.size();
  ++records_;
  return std::nullopt;
}

std::optional<std::string> WarcWriter::write(const FetchResult& r) {
  if (failure_) return failure_;
  if (!r.wire || r.wire->empty()) return std::nullopt;
  if (fd_ < 0 || size_ >= static_cast<std::uint64_t>(options_.max_size)) {
    if (fd_ >= 0)
      if (auto error = close()) return error;
    if (auto error = open_next()) return error;
  }
  const auto& wire = *r.wire;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    const WireExchange& x = wire[i];
    if (x.request.empty() || !has_header_section(x.response)) continue;  // no response: nothing to archive
    const std::string date = iso8601_utc(x.sent_at);
    const std::string response_id = warc_record_id();
    const HttpMessage m = http_message(x.response, x.body);
    const std::string payload_digest = sha1_digest(m.payload());
    std::string truncated = x.truncated;
    if (truncated.empty() && !m.complete) truncated = "unspecified";  // the server's chunked framing was cut

    const int status = http_status(m.head);
    // A 304 to our conditional request: a revisit record, the
    // server-not-modified profile (WARC 1.1 6.7.2): the 304's header, no
    // payload (the copy it confirms was archived by an earlier crawl).
    const bool not_modified = status == 304;
    WarcRecord response;
    response.type = not_modified ? "revisit" : "response";
    response.fields = {{"WARC-Record-ID", response_id},
                       {"WARC-Date", date},
                       {"WARC-Target-URI", field_value(x.url)}};
    if (!x.ip.empty()) response.fields.emplace_back("WARC-IP-Address", x.ip);
    if (not_modified) {
      response.fields.emplace_back("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified");
      response.fields.emplace_back("WARC-Refers-To-Target-URI", field_value(x.url));
    }
    response.fields.emplace_back("Content-Type", "application/http; msgtype=response");
    response.fields.emplace_back("WARC-Block-Digest", Sha1().update(m.head).update(m.payload()).digest());
    if (!not_modified) response.fields.emplace_back("WARC-Payload-Digest", payload_digest);
    if (!truncated.empty()) response.fields.emplace_back("WARC-Truncated", truncated);
    response.head = m.head;
    response.tail = m.payload();
    CdxjEntry entry;
    entry.url = x.url;
    entry.date = date;
    entry.mime = not_modified ? "warc/revisit" : mime_of(http_field(m.head, "Content-Type"));
    entry.status = status;
    if (!not_modified) entry.digest = payload_digest.substr(5);  // base32 only, as pywb and warcio write it
    if (auto error = append(response, &entry)) return error;

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
    std::string block;
    if (!r.request.referrer.empty()) block += "via: " + field_value(r.request.referrer) + "\r\n";
    block += "hopsFromSeed: " + std::to_string(r.request.depth) + "\r\n";
    block += "fetchTimeMs: " + std::to_string(static_cast<long long>(r.elapsed_ms)) + "\r\n";
    if (r.request.kind != RequestKind::robots)
      for (const auto& target : r.redirects) block += "outlink: " + field_value(target) + "\r\n";
    if (!r.links.empty())
      if (const auto links = parse_page_links(r.links)) {
        for (const auto& link : links->links) block += "outlink: " + link + "\r\n";
        for (const auto& link : links->nofollow_links) block += "outlink: " + link + " nofollow\r\n";
      }
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

std::optional<std::string> WarcWriter::close() {
  if (fd_ < 0) return failure_;
  const int fd = fd_;
  fd_ = -1;
  const std::string open_path = file_name(index_, ".warc.gz.open");
  if (failure_) {
    fs_.close(fd);
    return failure_;  // the cut file keeps its .open name
  }
  if (::fsync(fd) != 0) {
    const std::error_code err(errno, std::generic_category());
    fs_.close(fd);
    return failed("cannot sync " + open_path + ": " + err.message());
  }
  if (auto err = fs_.close(fd)) return failed("cannot close " + open_path + ": " + err.message());
  // The index first, so that a .warc.gz always has its .cdxj.
  std::sort(cdxj_.begin(), cdxj_.end());
  std::string index;
  for (const auto& line : cdxj_) index += line + "\n";
  const std::string cdxj_path = file_name(index_, ".cdxj");
  const std::string cdxj_tmp = cdxj_path + ".open";
  int cfd = -1;
  if (auto err = fs_.open(cdxj_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644, cfd))
    return failed("cannot create " + cdxj_tmp + ": " + err.message());
  std::size_t done = 0;
  while (done < index.size()) {
    std::size_t written = 0;
    if (auto err = fs_.write(cfd, index.data() + done, index.size() - done, written); err || written == 0) {
      fs_.close(cfd);
      return failed("cannot write " + cdxj_tmp + ": " + (err ? err.message() : std::string("no byte written")));
    }
    done += written;
  }
  if (auto err = fs_.close(cfd)) return failed("cannot close " + cdxj_tmp + ": " + err.message());
  if (auto err = fs_.rename(cdxj_tmp, cdxj_path)) return failed("cannot rename " + cdxj_tmp + ": " + err.message());
  const std::string path = file_name(index_, ".warc.gz");
  if (auto err = fs_.rename(open_path, path)) return failed("cannot rename " + open_path + ": " + err.message());
  closed_.push_back(path);
  cdxj_.clear();
  return std::nullopt;
}

}  // namespace crawl

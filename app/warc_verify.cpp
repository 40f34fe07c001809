// `crawl warc-verify`: reads WARC files back and checks records, digests and
// the CDXJ index (see the header).
#include "app/warc_verify.h"

#include <zlib.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "app/subcommand.h"
#include "core/digest.h"
#include "storage/warc_record.h"

namespace crawl {

namespace {

struct RecordSeen {
  std::string type;
  std::string uri;
  std::string payload_digest;
  std::uint64_t length = 0;  // of its gzip member
};

class FileCheck {
 public:
  explicit FileCheck(std::string path) : path_(std::move(path)) {}

  bool run() {
    read_records();
    if (errors_ == 0) check_index();
    if (errors_ == 0) {
      std::cout << path_ << ": " << records_.size() << " records (";
      bool first = true;
      for (const auto& [type, n] : by_type_) {
        std::cout << (first ? "" : ", ") << type << " " << n;
        first = false;
      }
      std::cout << "), " << index_lines_ << " index lines: OK\n";
    }
    return errors_ == 0;
  }

 private:
  void error(const std::string& message) {
    ++errors_;
    if (errors_ <= 20) std::cerr << "crawl warc-verify: " << path_ << ": " << message << "\n";
  }

  void read_records() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      error("cannot open: " + std::string(std::strerror(errno)));
      return;
    }
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
      error("zlib: inflateInit2 failed");
      return;
    }
    std::vector<char> input(1 << 20);
    std::string record;
    char out[1 << 16];
    std::uint64_t consumed = 0;      // compressed bytes of the file used so far
    std::uint64_t member_start = 0;  // offset of the member being read
    bool in_member = false;
    for (;;) {
      in.read(input.data(), static_cast<std::streamsize>(input.size()));
      const auto got = static_cast<std::size_t>(in.gcount());
      if (got == 0) break;
      zs.next_in = reinterpret_cast<Bytef*>(input.data());
      zs.avail_in = static_cast<uInt>(got);
      while (zs.avail_in > 0) {
        if (!in_member) {
          member_start = consumed + (got - zs.avail_in);
          in_member = true;
        }
        zs.next_out = reinterpret_cast<Bytef*>(out);
        zs.avail_out = sizeof out;
        const int rc = inflate(&zs, Z_NO_FLUSH);
        record.append(out, sizeof out - zs.avail_out);
        if (rc == Z_STREAM_END) {
          const std::uint64_t end = consumed + (got - zs.avail_in);
          check_record(record, member_start, end - member_start);
          record.clear();
          inflateReset(&zs);
          in_member = false;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
          error("offset " + std::to_string(member_start) + ": not gzip data (" + (zs.msg ? zs.msg : "zlib error") + ")");
          inflateEnd(&zs);
          return;
        }
        if (errors_ > 20) break;
      }
      consumed += got;
    }
    inflateEnd(&zs);
    if (in_member) error("offset " + std::to_string(member_start) + ": the last gzip member is cut short");
    if (records_.empty()) error("no records");
  }

  void check_record(const std::string& text, std::uint64_t offset, std::uint64_t length) {
    const std::string at = "record at offset " + std::to_string(offset);
    const std::size_t head_end = text.find("\r\n\r\n");
    if (!text.starts_with("WARC/1.1\r\n") || head_end == std::string::npos) {
      error(at + ": not a WARC/1.1 record header");
      return;
    }
    std::map<std::string, std::string> fields;
    std::size_t pos = text.find("\r\n") + 2;
    while (pos < head_end + 2) {
      const std::size_t eol = text.find("\r\n", pos);
      const std::string line = text.substr(pos, eol - pos);
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        fields[name] = value;
      }
      pos = eol + 2;
    }
    RecordSeen seen;
    seen.type = fields["warc-type"];
    seen.uri = fields["warc-target-uri"];
    seen.length = length;
    const std::string what = at + " (" + seen.type + (seen.uri.empty() ? "" : " " + seen.uri) + ")";
    std::uint64_t content_length = 0;
    try {
      content_length = std::stoull(fields.at("content-length"));
    } catch (...) {
      error(what + ": no Content-Length");
      return;
    }
    const std::size_t block_start = head_end + 4;
    if (text.size() != block_start + content_length + 4 || text.compare(text.size() - 4, 4, "\r\n\r\n") != 0) {
      error(what + ": Content-Length " + std::to_string(content_length) + " but the member holds " +
            std::to_string(text.size() - block_start) + " bytes after the header (block + CRLF CRLF expected)");
      return;
    }
    const std::string_view block(text.data() + block_start, content_length);
    if (fields.contains("warc-block-digest")) {
      const std::string computed = sha1_digest(block);
      if (computed != fields["warc-block-digest"])
        error(what + ": WARC-Block-Digest " + fields["warc-block-digest"] + ", the block's is " + computed);
    }
    if (fields.contains("warc-payload-digest")) {
      seen.payload_digest = fields["warc-payload-digest"];
      // A revisit record holds no payload (its digest is the original's).
      const std::size_t head_size = http_head_size(block);
      const std::string_view payload = head_size == std::string_view::npos ? std::string_view() : block.substr(head_size);
      if (seen.type != "revisit")
        if (const std::string computed = sha1_digest(payload); computed != seen.payload_digest)
          error(what + ": WARC-Payload-Digest " + seen.payload_digest + ", the payload's is " + computed);
    }
    if (records_.empty() && seen.type != "warcinfo") error(what + ": the first record is not a warcinfo record");
    ++by_type_[seen.type];
    records_.emplace(offset, std::move(seen));
  }

  void check_index() {
    const std::string suffix = ".warc.gz";
    if (!path_.ends_with(suffix)) {
      error("not a closed .warc.gz file: no CDXJ index to check");
      return;
    }
    const std::string index_path = path_.substr(0, path_.size() - suffix.size()) + ".cdxj";
    std::ifstream in(index_path);
    if (!in) {
      error("no CDXJ index " + index_path);
      return;
    }
    const std::string name = std::filesystem::path(path_).filename().string();
    std::string line, previous;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      const std::string at = index_path + ":" + std::to_string(number) + ": ";
      if (line < previous) error(at + "not sorted");
      previous = line;
      const auto entry = parse_cdxj_line(line);
      if (!entry) {
        error(at + "not a CDXJ line");
        continue;
      }
      ++index_lines_;
      const auto it = records_.find(entry->offset);
      if (entry->filename != name) {
        error(at + "filename " + entry->filename + ", expected " + name);
      } else if (it == records_.end()) {
        error(at + "offset " + std::to_string(entry->offset) + " is not the start of a record");
      } else if (it->second.type != "response" && it->second.type != "revisit") {
        error(at + "offset " + std::to_string(entry->offset) + " is a " + it->second.type + " record");
      } else if (it->second.uri != entry->url) {
        error(at + "url " + entry->url + ", the record's is " + it->second.uri);
      } else if (it->second.length != entry->length) {
        error(at + "length " + std::to_string(entry->length) + ", the record's gzip member is " +
              std::to_string(it->second.length) + " bytes");
      } else if (!entry->digest.empty() && "sha1:" + entry->digest != it->second.payload_digest) {
        error(at + "digest " + entry->digest + ", the record's is " + it->second.payload_digest);
      }
    }
    std::size_t responses = 0;
    for (const char* type : {"response", "revisit"})
      if (const auto it = by_type_.find(type); it != by_type_.end()) responses += it->second;
    if (index_lines_ != responses)
      error(index_path + ": " + std::to_string(index_lines_) + " lines for " + std::to_string(responses) +
            " response records");
  }

  std::string path_;
  std::map<std::uint64_t, RecordSeen> records_;
  std::map<std::string, std::size_t> by_type_;
  std::size_t index_lines_ = 0;
  int errors_ = 0;
};

}  // namespace

int warc_verify_main(int argc, const char* const* argv) {
  CLI::App app{"Read WARC files written by crawl --warc back and check their records, digests and CDXJ index",
               "crawl warc-verify"};
  std::vector<std::string> files;
  app.add_option("FILE", files, "PREFIX-NNNNN.warc.gz files")->required();
  if (auto code = parse_subcommand(app, "warc-verify", argc, argv)) return *code;
  bool ok = true;
  for (const auto& file : files) ok = FileCheck(file).run() && ok;
  return ok ? 0 : 1;
}

}  // namespace crawl

// WARC records: serialization into gzip members, HTTP messages, SURT, CDXJ.
#include "storage/warc_record.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "core/ascii.h"
#include "core/json_text.h"

namespace crawl {

namespace {

// A libdeflate compressor at one level, per thread (it holds several
// hundred KiB of tables: allocated once, not per record).
class Compressor {
 public:
  explicit Compressor(int level) : c_(libdeflate_alloc_compressor(level)) {
    if (!c_) throw std::runtime_error("libdeflate: cannot allocate a compressor (level " + std::to_string(level) + ")");
  }
  ~Compressor() { libdeflate_free_compressor(c_); }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  // Appends `in` as one gzip member (RFC 1952) to `out`.
  void gzip(std::string_view in, std::string& out) {
    const std::size_t start = out.size();
    const std::size_t bound = libdeflate_gzip_compress_bound(c_, in.size());
    out.resize(start + bound);
    const std::size_t n = libdeflate_gzip_compress(c_, in.data(), in.size(), out.data() + start, bound);
    if (n == 0) throw std::runtime_error("libdeflate: gzip compression failed");
    out.resize(start + n);
  }

 private:
  libdeflate_compressor* c_;
};

// What the small records of a crawl look like (a request record, a metadata
// record's outlinks, an HTTP header section, a little HTML): the symbol
// frequencies of the Huffman codes small members are written with.
constexpr std::string_view kSmallRecordSample =
    "WARC/1.1\r\nWARC-Type: request\r\nWARC-Record-ID: <urn:uuid:3f0e8a4c-7d1b-4b9e-9a51-2c6f0d7e8b13>\r\n"
    "WARC-Date: 2026-12-02T11:22:33.456Z\r\nWARC-Target-URI: https://www.example.org/docs/current/index.html\r\n"
    "WARC-IP-Address: 192.0.2.10\r\nWARC-Concurrent-To: <urn:uuid:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d>\r\n"
    "Content-Type: application/http; msgtype=request\r\nWARC-Block-Digest: sha1:MZXW6YTBOI5DQMJRGQ2DMNZYHEYTAMBS\r\n"
    "Content-Length: 187\r\n\r\nGET /docs/current/index.html HTTP/1.1\r\nHost: www.example.org\r\n"
    "User-Agent: crawl/1.0 (+https://example.org/bot)\r\nAccept: */*\r\nAccept-Encoding: gzip, br, zstd\r\n"
    "If-None-Match: \"5f3a-61c2b0e4\"\r\nIf-Modified-Since: Wed, 02 Dec 2026 10:00:00 GMT\r\n\r\n\r\n\r\n"
    "WARC/1.1\r\nWARC-Type: metadata\r\nContent-Type: application/warc-fields\r\n"
    "via: https://www.example.org/docs/\r\nhopsFromSeed: 2\r\nfetchTimeMs: 12\r\n"
    "outlink: https://www.example.org/docs/current/tutorial-start.html\r\n"
    "outlink: https://www.example.org/docs/current/sql-select.html\r\n"
    "outlink: https://www.example.org/docs/current/functions-string.html\r\n"
    "outlink: https://www.example.org/about/contact/ nofollow\r\n"
    "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Wed, 02 Dec 2026 11:22:33 GMT\r\n"
    "Content-Type: text/html; charset=utf-8\r\nContent-Length: 14823\r\nConnection: keep-alive\r\n"
    "Last-Modified: Tue, 01 Dec 2026 08:00:00 GMT\r\nETag: \"61c2b0e4-39e7\"\r\nAccept-Ranges: bytes\r\n\r\n"
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Chapter 2. The SQL Language</title>"
    "<link rel=\"stylesheet\" href=\"stylesheet.css\" type=\"text/css\"></head><body><div class=\"navheader\">"
    "<a accesskey=\"p\" href=\"index.html\">Prev</a> <a href=\"tutorial-concepts.html\" title=\"2.2. Concepts\">"
    "Next</a></div><p>This chapter provides an overview of how to use SQL to perform simple operations.</p>";

// Level 1, the default: ISA-L's fastest deflate (igzip), 1.9 times
// libdeflate's level 1 on HTML for members 6% larger (400 PostgreSQL manual
// pages: 365 MB/s against 193). One buffer, one gzip member, like libdeflate;
// should its output not fit the bound (data that does not compress), the
// member is libdeflate's instead.
//
// A member under kSmallMember bytes (a request record, most metadata
// records) is written at ISA-L's level 0 with Huffman codes made once from
// kSmallRecordSample: level 1 builds codes for every member, ~4 µs that
// dominate a 500-byte record (0.9 µs against 5.7, members 12% larger).
//
// Larger members (responses) are written at ISA-L's level 0 too, with codes
// learnt from the crawl's own responses: building codes per member was half
// of level 1's time in a crawl, and a site's pages share their symbol
// frequencies. Large members are written at level 1 while the histograms
// of the first kLearnMembers that compress are taken; then codes are made
// from them, and every kSampleEvery-th member that compresses adds its
// histogram to the next set, which replaces the codes once it holds
// kLearnMembers samples (so the codes follow a crawl from one kind of text
// to another; a histogram costs about a level-1 compression, ~1 µs a
// member amortized). PostgreSQL manual pages: 22 µs against 32, members 2%
// larger. A member those codes fit badly (binary data not recognised as
// compressed) is written again at level 1 and the smaller kept.
class FastCompressor {
 public:
  static constexpr std::size_t kSmallMember = 4096;
  static constexpr int kLearnMembers = 8;
  static constexpr int kSampleEvery = 32;
  static constexpr std::size_t kSampleBytes = 64 * 1024;  // of a member, histogrammed

  FastCompressor() : level_buf_(ISAL_DEF_LVL1_DEFAULT), fallback_(1) {
    isal_huff_histogram histogram{};
    isal_update_histogram(reinterpret_cast<std::uint8_t*>(const_cast<char*>(kSmallRecordSample.data())),
                          static_cast<int>(kSmallRecordSample.size()), &histogram);
    if (isal_create_hufftables(&small_codes_, &histogram) != 0)
      throw std::runtime_error("ISA-L: cannot make the Huffman codes for small records");
  }

  void gzip(std::string_view in, std::string& out) {
    if (in.size() > UINT32_MAX / 2) return fallback_.gzip(in, out);  // ISA-L counts in 32 bits
    const std::size_t start = out.size();
    if (in.size() < kSmallMember) {
      if (!deflate(in, out, &small_codes_)) fallback_.gzip(in, out);
      return;
    }
    const bool sample = !learnt_ || ++large_members_ % kSampleEvery == 0;
    if (learnt_ && deflate(in, out, &learnt_codes_)) {
      const std::size_t written = out.size() - start;
      if (compresses(in, written)) {
        if (sample) learn(in);
        return;
      }
      // The codes fit badly: level 1's own codes, if smaller.
      std::string own;
      if (deflate(in, own, nullptr) && own.size() < written) out.replace(start, written, own);
      return;
    }
    if (!deflate(in, out, nullptr)) return fallback_.gzip(in, out);
    if (sample && compresses(in, out.size() - start)) learn(in);
  }

 private:
  // Bytes that did not shrink by an eighth (noise, data compressed already)
  // teach the codes nothing about the text they are for.
  static bool compresses(std::string_view in, std::size_t written) { return written < in.size() - in.size() / 8; }

  void learn(std::string_view in) {
    isal_update_histogram(reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data())),
                          static_cast<int>(std::min(in.size(), kSampleBytes)), &learning_);
    if (++samples_ < kLearnMembers) return;
    isal_hufftables codes{};
    if (isal_create_hufftables(&codes, &learning_) == 0) {
      learnt_codes_ = codes;
      learnt_ = true;
    }
    learning_ = isal_huff_histogram{};
    samples_ = 0;
  }

  // Appends `in` as one gzip member: at level 0 with `codes`, or at level 1
  // (null). false (out unchanged) when ISA-L fails or overflows the bound.
  bool deflate(std::string_view in, std::string& out, const isal_hufftables* codes) {
    const std::size_t start = out.size();
    // Stored blocks at worst: 5 bytes a 64 KiB block, the gzip header and trailer.
    const std::size_t bound = in.size() + in.size() / 8 + 1024;
    out.resize(start + bound);
    isal_zstream z;
    isal_deflate_stateless_init(&z);
    if (codes) {
      z.level = 0;
      z.hufftables = const_cast<isal_hufftables*>(codes);
    } else {
      z.level = 1;
      z.level_buf = level_buf_.data();
      z.level_buf_size = static_cast<std::uint32_t>(level_buf_.size());
    }
    z.gzip_flag = IGZIP_GZIP;
    z.end_of_stream = 1;
    z.flush = NO_FLUSH;
    z.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<std::uint32_t>(in.size());
    z.next_out = reinterpret_cast<std::uint8_t*>(out.data() + start);
    z.avail_out = static_cast<std::uint32_t>(bound);
    if (isal_deflate_stateless(&z) != COMP_OK || z.avail_in != 0) {
      out.resize(start);
      return false;
    }
    out.resize(start + z.total_out);
    return true;
  }

  std::vector<std::uint8_t> level_buf_;
  isal_hufftables small_codes_{};
  isal_hufftables learnt_codes_{};   // valid once learnt_
  bool learnt_ = false;
  isal_huff_histogram learning_{};   // the samples taken since the codes were made
  int samples_ = 0;                  // in learning_
  std::uint64_t large_members_ = 0;  // written since the codes were first made
  Compressor fallback_;
};

// The header lines of `head` after its status line: (line start, line end without CRLF).
template <typename F>
void for_each_field_line(std::string_view head, F&& f) {
  std::size_t pos = head.find('\n');
  while (pos != std::string_view::npos && pos + 1 < head.size()) {
    const std::size_t start = pos + 1;
    std::size_t end = head.find('\n', start);
    std::size_t stop = end == std::string_view::npos ? head.size() : end;
    std::string_view line = head.substr(start, stop - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) return;
    f(start, line);
    pos = end;
  }
}

// De-chunks `body` (RFC 9112 7.1). `complete` false when it ends early.
std::string dechunk(std::string_view body, bool& complete) {
  std::string out;
  out.reserve(body.size());
  std::size_t pos = 0;
  for (;;) {
    const std::size_t eol = body.find('\n', pos);
    if (eol == std::string_view::npos) break;
    std::string_view line = body.substr(pos, eol - pos);
    std::uint64_t size = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (ec != std::errc() || ptr == line.data()) break;
    pos = eol + 1;
    if (size == 0) {
      complete = true;  // trailer fields (if any) are dropped
      return out;
    }
    if (size > body.size() - pos) {
      out.append(body.substr(pos));
      break;
    }
    out.append(body.substr(pos, size));
    pos += size;
    if (body.substr(pos, 2) == "\r\n") pos += 2;
    else if (body.substr(pos, 1) == "\n") pos += 1;
    else break;
  }
  complete = false;
  return out;
}

}  // namespace

void append_gzip_record(const WarcRecord& record, std::string& out, int level) {
  // One per level used (a writer alternates: level 0 for payloads compressed already).
  thread_local std::array<std::unique_ptr<Compressor>, 13> compressors;
  thread_local std::unique_ptr<FastCompressor> fast;
  if (level < 0 || level >= static_cast<int>(compressors.size()))
    throw std::invalid_argument("gzip level " + std::to_string(level) + " is not in 0-12");
  auto& compressor = compressors[static_cast<std::size_t>(level)];
  if (level == 1 && !fast) fast = std::make_unique<FastCompressor>();
  if (level != 1 && !compressor) compressor = std::make_unique<Compressor>(level);
  // libdeflate compresses one buffer: the record is laid out whole first
  // (a copy of the block, a few µs, against the compression's tens).
  thread_local std::string text;
  text.clear();
  text.reserve(256 + record.head.size() + record.tail.size());
  text += "WARC/1.1\r\nWARC-Type: ";
  text += record.type;
  text += "\r\n";
  for (const auto& [name, value] : record.fields) text.append(name).append(": ").append(value).append("\r\n");
  text += "Content-Length: " + std::to_string(record.head.size() + record.tail.size()) + "\r\n\r\n";
  text += record.head;
  text += record.tail;
  text += "\r\n\r\n";
  if (level == 1)
    fast->gzip(text, out);
  else
    compressor->gzip(text, out);
  if (text.capacity() > (8u << 20)) std::string().swap(text);  // a huge record's buffer is not kept
}

std::string gzip_record(const WarcRecord& record, int level) {
  std::string out;
  append_gzip_record(record, out, level);
  return out;
}

std::string warc_record_id() {
  // Random bytes for 64 ids at a time: OpenSSL's generator checks the
  // process id on every call (a getpid system call, three per page). crawl
  // never forks without exec, so no two processes share a pool.
  thread_local std::array<unsigned char, 1024> pool;
  thread_local std::size_t used = pool.size();
  if (used == pool.size()) {
    if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1)
      throw std::runtime_error("OpenSSL RAND_bytes failed");
    used = 0;
  }
  unsigned char b[16];
  std::copy_n(pool.begin() + static_cast<std::ptrdiff_t>(used), sizeof b, b);
  used += sizeof b;
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "<urn:uuid:";
  text.reserve(47);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += kHex[b[i] >> 4];
    text += kHex[b[i] & 0x0f];
  }
  text += '>';
  return text;
}

std::size_t http_head_size(std::string_view message) {
  for (std::size_t lf = message.find('\n'); lf != std::string_view::npos; lf = message.find('\n', lf + 1)) {
    if (lf + 1 < message.size() && message[lf + 1] == '\n') return lf + 2;
    if (lf + 2 < message.size() && message[lf + 1] == '\r' && message[lf + 2] == '\n') return lf + 3;
  }
  return std::string_view::npos;
}

int http_status(std::string_view head) {
  if (!head.starts_with("HTTP/")) return 0;
  const std::size_t sp = head.find(' ');
  if (sp == std::string_view::npos || sp + 4 > head.size()) return 0;
  int status = 0;
  const auto [ptr, ec] = std::from_chars(head.data() + sp + 1, head.data() + sp + 4, status);
  return ec == std::errc() && ptr == head.data() + sp + 4 ? status : 0;
}

std::string_view http_field(std::string_view head, std::string_view name) {
  std::string_view found;
  bool done = false;
  for_each_field_line(head, [&](std::size_t, std::string_view line) {
    if (done) return;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !ascii_iequals(line.substr(0, colon), name)) return;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    found = value;
    done = true;
  });
  return found;
}

HttpMessage http_message(std::string_view head, std::string_view body, bool decoded) {
  HttpMessage m;
  m.head = std::string(head);
  const std::string_view te = http_field(head, "Transfer-Encoding");
  m.chunked = ascii_lowercase(te).find("chunked") != std::string::npos;
  m.body = body;
  if (!m.chunked) return m;
  m.decoded = decoded;
  if (!decoded) m.dechunked = dechunk(body, m.complete);
  // Rename the field in place (same line, new name): the record's block
  // no longer carries the chunked coding.
  std::size_t at = std::string::npos;
  for_each_field_line(m.head, [&](std::size_t start, std::string_view line) {
    if (at == std::string::npos && line.size() >= 18 && ascii_iequals(line.substr(0, 17), "Transfer-Encoding") &&
        line[17] == ':')
      at = start;
  });
  if (at != std::string::npos) m.head.replace(at, 17, "X-Crawl-Transfer-Encoding");
  return m;
}

std::string surt(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::string(url);
  const auto& u = *parsed;
  std::string host = ascii_lowercase(u.encoded_host());
  if (host.starts_with("www.")) host.erase(0, 4);
  std::string out;
  if (!host.empty() && host.front() == '[') {
    out = host;
  } else {
    std::size_t end = host.size();
    for (;;) {
      const std::size_t dot = host.rfind('.', end == 0 ? 0 : end - 1);
      if (dot == std::string::npos || end == 0) {
        out += host.substr(0, end);
        break;
      }
      out += host.substr(dot + 1, end - dot - 1);
      out += ',';
      end = dot;
    }
  }
  const std::string scheme(u.scheme());
  if (u.has_port()) {
    const auto port = u.port();
    if (!((scheme == "http" && port == "80") || (scheme == "https" && port == "443"))) {
      out += ':';
      out += port;
    }
  }
  out += ')';
  const std::string path = ascii_lowercase(u.encoded_path());
  out += path.empty() ? "/" : path;
  if (u.has_query()) {
    const std::string query = ascii_lowercase(u.encoded_query());
    std::vector<std::string> args;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t amp = query.find('&', pos);
      args.push_back(query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos));
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
    std::sort(args.begin(), args.end());
    out += '?';
    for (std::size_t i = 0; i < args.size(); ++i) out += (i ? "&" : "") + args[i];
  }
  return out;
}

std::string cdxj_line(const CdxjEntry& e) {
  std::string stamp;
  for (const char c : e.date) {
    if (c >= '0' && c <= '9') stamp += c;
    if (stamp.size() == 14) break;
  }
  boost::json::object o;
  o["url"] = e.url;
  if (!e.mime.empty()) o["mime"] = e.mime;
  if (e.status > 0) o["status"] = std::to_string(e.status);
  if (!e.digest.empty()) o["digest"] = e.digest;
  o["length"] = std::to_string(e.length);
  o["offset"] = std::to_string(e.offset);
  o["filename"] = e.filename;
  return surt(e.url) + " " + stamp + " " + to_json_compact(o);
}

std::optional<CdxjEntry> parse_cdxj_line(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(line.substr(sp2 + 1), ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const auto str = [&](const char* key) -> std::string {
    const auto* p = o.if_contains(key);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  const auto number = [&](const char* key, std::uint64_t& out) {
    const std::string s = str(key);
    const auto [ptr, err] = std::from_chars(s.data(), s.data() + s.size(), out);
    return err == std::errc() && ptr == s.data() + s.size() && !s.empty();
  };
  CdxjEntry e;
  e.url = str("url");
  e.date = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  e.mime = str("mime");
  e.digest = str("digest");
  e.filename = str("filename");
  std::uint64_t status = 0;
  if (o.contains("status") && number("status", status)) e.status = static_cast<int>(status);
  if (e.url.empty() || e.filename.empty() || !number("length", e.length) || !number("offset", e.offset))
    return std::nullopt;
  return e;
}

}  // namespace crawl

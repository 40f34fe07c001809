// WARC/1.1 records (ISO 28500:2017) as crawl writes and reads them: one
// record serialized as one gzip member (ISA-L at level 1, else libdeflate), the digests (sha1 + base32), record
// ids, the HTTP message taken apart (chunked framing removed), SURT keys and
// CDXJ lines. Pure functions of their input; thread-safe. Internal to
// storage/ (the WARC writer, `crawl warc-verify`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crawl {

// One record before serialization. Its block is `head` followed by `tail`
// (an HTTP header section and its payload, kept apart so a large body is
// neither copied nor joined to be hashed or compressed).
struct WarcRecord {
  std::string type;  // WARC-Type: warcinfo, request, response, metadata, revisit
  // The named fields after WARC-Type, in order (WARC-Record-ID,
  // WARC-Date, …); Content-Length is added from the block.
  std::vector<std::pair<std::string, std::string>> fields;
  std::string_view head;
  std::string_view tail;
};

// "WARC/1.1\r\nWARC-Type: …\r\n<fields>Content-Length: N\r\n\r\n<block>\r\n\r\n"
// compressed as ONE gzip member (RFC 1952), so a reader can seek to the
// record's offset and inflate it alone, at compression `level` (0: stored;
// 1: ISA-L's igzip, the fastest; 2 … 12: libdeflate's, 12 the smallest). Throws std::runtime_error when compression
// fails (out of memory).
std::string gzip_record(const WarcRecord& record, int level = 6);
// The same, appended to `out` (whose capacity a writer reuses).
void append_gzip_record(const WarcRecord& record, std::string& out, int level = 6);

// A fresh WARC-Record-ID: "<urn:uuid:…>", a random (version 4) UUID from
// OpenSSL's generator.
std::string warc_record_id();

// A response as it went over the wire, taken apart for its record.
struct HttpMessage {
  std::string head;       // the header section, through its empty line
  std::string_view body;  // the body given to http_message()
  std::string dechunked;  // when chunked: the body without its framing
  // The body, transfer coding removed, content coding kept.
  std::string_view payload() const { return chunked && !decoded ? std::string_view(dechunked) : body; }
  bool chunked = false; // it came with Transfer-Encoding: chunked (head says so as X-Crawl-Transfer-Encoding)
  bool decoded = false; // the body given had its chunked framing removed already
  bool complete = true; // false: the chunked framing ended early (a truncated body) or was broken
};

// Splits `head` (status line and header lines) and `body` (as received;
// it must outlive the result, whose payload may be a view of it).
// With Transfer-Encoding: chunked, the framing is removed (chunk extensions
// and trailer fields dropped) and the field renamed
// `X-Crawl-Transfer-Encoding`, so that the record's block is the message as
// sent minus the transfer coding, and a reader does not de-chunk it again.
// `decoded`: `body` is the payload already (curl removed the framing; see
// WireExchange::payload_from_curl): only the field is renamed.
HttpMessage http_message(std::string_view head, std::string_view body, bool decoded = false);

// The size of an HTTP message's header section through the empty line that
// ends it ("\r\n\r\n", or lines ended by LF alone, which RFC 9112 lets a
// recipient accept), std::string_view::npos when it has none.
std::size_t http_head_size(std::string_view message);

// The status code of an HTTP status line ("HTTP/1.1 200 OK" → 200), 0 if none.
int http_status(std::string_view head);
// The value of the first header field `name` (any case) of a header
// section, "" if none.
std::string_view http_field(std::string_view head, std::string_view name);

// Sort-friendly URI Reordering Transform, as warcio.js writes it (its
// getSurt): "http://www.Example.com:8080/a?b=2&a=1" →
// "com,example:8080)/a?a=1&b=2" (lowercased, leading "www." dropped, host
// labels reversed — an IPv4 address's too —, default port dropped, query
// arguments sorted).
std::string surt(std::string_view url);

// The fields of one CDXJ line: "SURT TIMESTAMP14 {JSON}".
struct CdxjEntry {
  std::string url;
  std::string date;  // the record's WARC-Date (ISO 8601)
  std::string mime;
  int status = 0;
  std::string digest;  // the payload digest's base32, without "sha1:" (as pywb and warcio write it)
  std::uint64_t length = 0;  // bytes of the gzip member
  std::uint64_t offset = 0;  // of the gzip member in the file
  std::string filename;      // the WARC file's name (no directory)
};
std::string cdxj_line(const CdxjEntry& entry);
// The entry of a line written by cdxj_line(), nullopt for any other text.
std::optional<CdxjEntry> parse_cdxj_line(std::string_view line);

}  // namespace crawl

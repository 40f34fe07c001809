// The WARC record writer: base32 and SHA-1 digests (RFC 4648 test vectors,
// FIPS 180 "abc"), one gzip member per record, chunked framing removed,
// SURT keys and CDXJ lines, and WarcWriter's files (warcinfo first,
// rotation, .open renamed, CDXJ offsets) read back with zlib.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/digest.h"
#include "storage/warc_record.h"
#include "storage/warc_sink.h"
#include "storage/warc_writer.h"
#include "tests/gzip_members.h"
#include "tests/test_util.h"

namespace crawl {
namespace {

using testing::gzip_members;

TEST(WarcDigest, Rfc4648Sec10Base32Vectors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""}, {"f", "MY"}, {"fo", "MZXQ"}, {"foo", "MZXW6"}, {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"}};  // the RFC's vectors without their '=' padding
  for (const auto& [in, out] : cases) {
    SCOPED_TRACE(in);
    EXPECT_EQ(base32(in), out);
  }
}

TEST(WarcDigest, Sha1OfAbcIsFips180Vector) {
  // SHA-1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d
  const std::string raw("\xa9\x99\x3e\x36\x47\x06\x81\x6a\xba\x3e\x25\x71\x78\x50\xc2\x6c\x9c\xd0\xd8\x9d", 20);
  EXPECT_EQ(sha1_digest("abc"), "sha1:" + base32(raw));
  EXPECT_EQ(sha1_digest(""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
}

TEST(WarcDigest, PiecesHashLikeTheWhole) {
  EXPECT_EQ(Sha1().update("HTTP/1.1 200 OK\r\n\r\n").update("body").digest(),
            sha1_digest("HTTP/1.1 200 OK\r\n\r\nbody"));
}

TEST(WarcRecord, OneGzipMemberPerRecordWithContentLengthOfTheBlock) {
  WarcRecord r;
  r.type = "response";
  r.fields = {{"WARC-Record-ID", warc_record_id()}, {"WARC-Target-URI", "http://127.0.0.1/"}};
  r.head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";
  r.tail = "hello";
  const std::string one = gzip_record(r);
  const std::string two = one + gzip_record(r);
  const auto got = gzip_members(two);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].length, one.size());
  const std::string& text = got[0].text;
  EXPECT_TRUE(text.starts_with("WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:")) << text;
  const std::size_t block = text.find("\r\n\r\n") + 4;
  EXPECT_NE(text.find("Content-Length: " + std::to_string(r.head.size() + 5) + "\r\n"), std::string::npos);
  EXPECT_EQ(text.substr(block), std::string(r.head) + "hello\r\n\r\n");
}

// Level 1 is ISA-L's igzip, the others libdeflate's: every level's member,
// read by a third inflater (zlib), is the same record text, for text that
// compresses, bytes that do not (ISA-L's output may not fit its bound: then
// libdeflate's member), nothing, and several MiB.
TEST(WarcRecord, EveryLevelIsOneMemberOfTheSameRecordText) {
  std::string html;
  while (html.size() < 100'000) html += "<p><a href=\"/docs/" + std::to_string(html.size()) + ".html\">a link</a> and text\n";
  std::string noise(300'000, '\0');
  std::uint64_t x = 88172645463325252ULL;
  for (char& c : noise) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte += static_cast<char>(i);
  // Under 4 KiB, level 1 writes with its fixed small-record codes: bytes of any value, too.
  for (const std::string& tail : {std::string(), html, noise, std::string(3u << 20, 'z'), std::string("short"),
                                  noise.substr(0, 3000), every_byte, html.substr(0, 3900)}) {
    WarcRecord r;
    r.type = "response";
    r.fields = {{"WARC-Record-ID", "<urn:uuid:00000000-0000-4000-8000-000000000000>"}};
    r.head = "HTTP/1.1 200 OK\r\n\r\n";
    r.tail = tail;
    std::string reference;
    for (int level = 0; level <= 12; ++level) {
      const std::string member = gzip_record(r, level);
      const auto got = gzip_members(member);
      ASSERT_EQ(got.size(), 1u) << "level " << level << ", " << tail.size() << " bytes";
      EXPECT_EQ(got[0].length, member.size());
      if (level == 0) reference = got[0].text;
      EXPECT_EQ(got[0].text, reference) << "level " << level << ", " << tail.size() << " bytes";
    }
    EXPECT_EQ(reference.size(), reference.find("\r\n\r\n") + 4 + r.head.size() + tail.size() + 4);
  }
}

// Level 1 writes responses with Huffman codes learnt from the responses
// before them (this thread's): after many HTML pages, every member is still
// one gzip member of exactly its record, HTML compresses as well as with
// libdeflate's level 2 (within 5%) once the codes have followed them, and bytes the learnt codes fit badly (noise,
// a JSON document after HTML) are not written larger than with codes of
// their own; then the codes follow the new kind of text.
TEST(WarcRecord, LearntCodesKeepEveryRecordExactAndFollowTheText) {
  std::uint64_t x = 88172645463325252ULL;
  const auto next = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  const auto page = [&](int n) {
    std::string html = "<!DOCTYPE html><html><head><title>Page " + std::to_string(n) + "</title></head><body>";
    while (html.size() < 12'000)
      html += "<p>Section " + std::to_string(next() % 1000) + " of the <a href=\"/docs/page-" +
              std::to_string(next() % 5000) + ".html\">manual</a> explains the <code>option</code>.</p>\n";
    return html + "</body></html>";
  };
  std::string noise(20'000, '\0');
  for (char& c : noise) c = static_cast<char>(next());
  std::string json = "[";
  while (json.size() < 20'000) json += "{\"id\":" + std::to_string(next() % 100000) + ",\"w\":" + std::to_string(next() % 97) + "},";
  json += "{}]";
  WarcRecord r;
  r.type = "response";
  r.fields = {{"WARC-Record-ID", "<urn:uuid:00000000-0000-4000-8000-000000000000>"}};
  r.head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n";
  const auto round_trip = [&](const std::string& tail, int level) {
    r.tail = tail;
    const std::string member = gzip_record(r, level);
    const auto got = gzip_members(member);
    EXPECT_EQ(got.size(), 1u);
    if (got.size() == 1) {
      EXPECT_EQ(got[0].length, member.size());
      EXPECT_TRUE(got[0].text.ends_with(std::string(r.head) + tail + "\r\n\r\n")) << tail.size() << " bytes";
    }
    return member.size();
  };
  // Whatever this thread compressed before (other tests' text), the codes
  // follow these pages within kLearnMembers samples, one in 32 members.
  std::size_t learnt = 0, own = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string html = page(i);
    const std::size_t level1 = round_trip(html, 1);
    const std::size_t level2 = round_trip(html, 2);  // libdeflate's level 2: codes of its own per member
    if (i < 300) continue;
    learnt += level1;
    own += level2;
  }
  EXPECT_LT(learnt, own * 21 / 20) << "level 1 " << learnt << " bytes, level 2 " << own;
  // Noise: stored (or close to it) rather than blown up by codes made for HTML.
  EXPECT_LT(round_trip(noise, 1), noise.size() + noise.size() / 50);
  std::size_t json_bytes = 0;
  for (int i = 0; i < 200; ++i) json_bytes += round_trip(json, 1);
  EXPECT_LT(json_bytes / 200, json.size() / 2);
  for (int i = 0; i < 20; ++i) round_trip(page(i), 1);
}

// A request record (most records are small) is compressed, not only framed.
TEST(WarcRecord, ASmallRecordIsCompressedAtTheDefaultLevel) {
  WarcRecord r;
  r.type = "request";
  r.fields = {{"WARC-Record-ID", "<urn:uuid:3f0e8a4c-7d1b-4b9e-9a51-2c6f0d7e8b13>"},
              {"WARC-Date", "2026-12-02T11:22:33Z"},
              {"WARC-Target-URI", "http://127.0.0.1:8080/docs/index.html"},
              {"Content-Type", "application/http; msgtype=request"}};
  r.head = "GET /docs/index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: crawl\r\nAccept: */*\r\n\r\n";
  const std::string member = gzip_record(r, 1);
  const auto got = gzip_members(member);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_LT(member.size(), got[0].text.size() * 9 / 10) << got[0].text.size() << " bytes of text";
}

TEST(WarcRecord, RecordIdsAreVersion4UuidsAndDistinct) {
  const std::string a = warc_record_id(), b = warc_record_id();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 47u) << a;  // <urn:uuid:8-4-4-4-12>
  EXPECT_EQ(a.substr(0, 10), "<urn:uuid:");
  EXPECT_EQ(a[24], '4');
}

TEST(WarcHttp, ChunkedFramingIsRemovedAndTheFieldRenamed) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n";
  const HttpMessage m = http_message(head, "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  EXPECT_TRUE(m.chunked);
  EXPECT_TRUE(m.complete);
  EXPECT_EQ(m.payload(), "hello world");
  EXPECT_EQ(m.head, "HTTP/1.1 200 OK\r\nX-Crawl-Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n");
  EXPECT_EQ(http_status(m.head), 200);
  EXPECT_EQ(http_field(m.head, "content-type"), "text/plain");
}

TEST(WarcHttp, TheHeaderSectionEndsAtItsEmptyLineWhateverItsLineEnds) {
  EXPECT_EQ(http_head_size("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"), 25u);
  EXPECT_EQ(http_head_size("HTTP/1.1 200 OK\nA: b\n\nbody"), 22u);
  EXPECT_EQ(http_head_size("HTTP/1.1 200 OK\nA: b\n\r\nbody"), 23u);  // mixed, as lenient parsers take it
  EXPECT_EQ(http_head_size("HTTP/1.1 200 OK\r\nA: b\r\n"), std::string_view::npos);
  EXPECT_EQ(http_head_size(""), std::string_view::npos);
  EXPECT_EQ(http_head_size("HTTP/1.1 204 No Content\r\n\r\n"), 27u);
}

TEST(WarcHttp, ACutChunkedBodyKeepsWhatArrivedAndSaysIncomplete) {
  const HttpMessage m = http_message("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "a\r\n01234");
  EXPECT_FALSE(m.complete);
  EXPECT_EQ(m.payload(), "01234");
}

TEST(WarcHttp, ContentEncodingIsKept) {
  const std::string body("\x1f\x8b\x08", 3);
  const HttpMessage m = http_message("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", body);
  EXPECT_FALSE(m.chunked);
  EXPECT_EQ(m.payload(), std::string("\x1f\x8b\x08", 3));
}

TEST(WarcCdxj, SurtAsPywbWritesIt) {
  EXPECT_EQ(surt("http://www.Example.com/A/b?z=1&a=2"), "com,example)/a/b?a=2&z=1");
  // warcio.js reverses an IPv4 address like a name (Python's surt does not).
  EXPECT_EQ(surt("http://127.0.0.1:8080/page/1.html"), "1,0,0,127:8080)/page/1.html");
  EXPECT_EQ(surt("https://example.org:443/"), "org,example)/");
}

TEST(WarcCdxj, LineRoundTrips) {
  CdxjEntry e{"http://127.0.0.1:81/x", "2026-12-01T23:41:40.123Z", "text/html", 200, "ABC", 123, 456, "c-00000.warc.gz"};
  const std::string line = cdxj_line(e);
  EXPECT_TRUE(line.starts_with("1,0,0,127:81)/x 20261201234140 {")) << line;
  const auto back = parse_cdxj_line(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->url, e.url);
  EXPECT_EQ(back->status, 200);
  EXPECT_EQ(back->offset, 456u);
  EXPECT_EQ(back->length, 123u);
  EXPECT_EQ(back->digest, "ABC");
}

FetchResult page(const std::string& url, const std::string& body) {
  FetchResult r;
  r.request.url = url;
  r.final_url = url;
  r.status = 200;
  WireExchange x;
  x.url = url;
  x.ip = "127.0.0.1";
  x.request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  x.response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  x.body = body;
  r.wire = std::make_shared<const std::vector<WireExchange>>(std::vector<WireExchange>{x});
  return r;
}

TEST(WarcWriter, WarcinfoFirstRotationAndCdxjOffsets) {
  testing::TempDir dir;
  WarcWriterOptions o;
  o.prefix = (dir / "c").string();
  o.max_size = 2000;
  o.info = {{"software", "crawl test"}};
  {
    WarcWriter w(o);
    for (int i = 0; i < 6; ++i) {
      if (w.full()) {
        ASSERT_FALSE(w.close());
      }
      ASSERT_FALSE(w.write(page("http://127.0.0.1/" + std::to_string(i), std::string(800, 'x'))));
    }
    EXPECT_TRUE(std::filesystem::exists(dir / "c-00000.warc.gz"));  // closed once full
    ASSERT_FALSE(w.close());
    EXPECT_GE(w.closed_files().size(), 2u);
  }
  int files = 0, responses = 0;
  for (int n = 0; std::filesystem::exists(dir / ("c-0000" + std::to_string(n) + ".warc.gz")); ++n, ++files) {
    const std::string name = "c-0000" + std::to_string(n);
    EXPECT_FALSE(std::filesystem::exists(dir / (name + ".warc.gz.open")));
    const std::string data = testing::read_file(dir / (name + ".warc.gz"));
    const auto got = gzip_members(data);
    ASSERT_FALSE(got.empty());
    EXPECT_NE(got[0].text.find("WARC-Type: warcinfo"), std::string::npos);
    const std::string cdxj = testing::read_file(dir / (name + ".cdxj"));
    std::size_t lines = 0;
    for (std::size_t pos = 0; pos < cdxj.size(); pos = cdxj.find('\n', pos) + 1, ++lines) {
      const auto e = parse_cdxj_line(cdxj.substr(pos, cdxj.find('\n', pos) - pos));
      ASSERT_TRUE(e);
      bool found = false;
      for (const auto& m : got)
        if (m.offset == e->offset) {
          found = true;
          EXPECT_EQ(m.length, e->length);
          EXPECT_NE(m.text.find("WARC-Type: response\r\n"), std::string::npos);
          EXPECT_NE(m.text.find("WARC-Target-URI: " + e->url + "\r\n"), std::string::npos);
        }
      EXPECT_TRUE(found) << e->offset;
    }
    responses += static_cast<int>(lines);
  }
  EXPECT_GE(files, 2);
  EXPECT_EQ(responses, 6);
}

// A crawl killed after three pages, the state committed up to the second:
// the resumed writer removes the file it began, cuts the old one back to
// the mark, keeps the index lines of the records before it, and continues.
TEST(WarcWriter, ResumeCutsTheFileBackToTheMarkAndContinuesIt) {
  testing::TempDir dir;
  WarcWriterOptions o;
  o.prefix = (dir / "c").string();
  ArchiveMark mark;
  {
    WarcWriter w(o);
    ASSERT_FALSE(w.write(page("http://127.0.0.1/0", "zero")));
    ASSERT_FALSE(w.write(page("http://127.0.0.1/1", "one")));
    ASSERT_FALSE(w.flush());
    mark = w.mark();
    ASSERT_FALSE(w.write(page("http://127.0.0.1/2", "two, not committed")));
    ASSERT_FALSE(w.flush());
    ASSERT_FALSE(w.close(/*keep_open=*/true));  // as a kill leaves it
  }
  EXPECT_EQ(mark.file, "c-00000.warc.gz");
  EXPECT_GT(static_cast<std::int64_t>(std::filesystem::file_size(dir / "c-00000.warc.gz.open")), mark.offset);
  {
    WarcWriter w(o);
    EXPECT_TRUE(std::filesystem::exists(dir / "c-00001.warc.gz.open"));
    ASSERT_FALSE(w.resume({ArchiveMark{"other", "other-00000.warc.gz", 1}, mark}));
    EXPECT_FALSE(std::filesystem::exists(dir / "c-00001.warc.gz.open")) << "the file it began is removed";
    EXPECT_EQ(static_cast<std::int64_t>(std::filesystem::file_size(dir / "c-00000.warc.gz.open")), mark.offset);
    ASSERT_FALSE(w.write(page("http://127.0.0.1/3", "three")));
    ASSERT_FALSE(w.close());
  }
  const std::string data = testing::read_file(dir / "c-00000.warc.gz");
  std::vector<std::string> uris;
  for (const auto& m : gzip_members(data))
    if (m.text.find("WARC-Type: response\r\n") != std::string::npos)
      uris.push_back(m.text.substr(m.text.find("WARC-Target-URI: ") + 17, 18));
  EXPECT_EQ(uris, (std::vector<std::string>{"http://127.0.0.1/0", "http://127.0.0.1/1", "http://127.0.0.1/3"}));
  const std::string cdxj = testing::read_file(dir / "c-00000.cdxj");
  EXPECT_EQ(std::count(cdxj.begin(), cdxj.end(), '\n'), 3) << cdxj;
  EXPECT_EQ(cdxj.find("127.0.0.1/2"), std::string::npos) << cdxj;
  EXPECT_FALSE(std::filesystem::exists(dir / "c-00000.cdxj.open"));
}

// --restart: the abandoned crawl's file is cut back to its mark and closed
// (renamed, indexed); the new crawl writes a file of its own.
TEST(WarcWriter, ARestartClosesTheAbandonedFileAtItsMark) {
  testing::TempDir dir;
  WarcWriterOptions o;
  o.prefix = (dir / "c").string();
  ArchiveMark mark;
  {
    WarcWriter w(o);
    ASSERT_FALSE(w.write(page("http://127.0.0.1/0", "zero")));
    ASSERT_FALSE(w.flush());
    mark = w.mark();
    ASSERT_FALSE(w.write(page("http://127.0.0.1/1", "one, not committed")));
    ASSERT_FALSE(w.close(/*keep_open=*/true));
  }
  {
    WarcWriter w(o);
    ASSERT_FALSE(w.resume({mark}, /*continue_file=*/false));
    ASSERT_FALSE(w.write(page("http://127.0.0.1/2", "two")));
  }
  EXPECT_EQ(static_cast<std::int64_t>(std::filesystem::file_size(dir / "c-00000.warc.gz")), mark.offset);
  const std::string cdxj = testing::read_file(dir / "c-00000.cdxj");
  EXPECT_EQ(std::count(cdxj.begin(), cdxj.end(), '\n'), 1) << cdxj;
  EXPECT_NE(testing::read_file(dir / "c-00001.cdxj").find("127.0.0.1/2"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "c-00000.warc.gz.open"));
  EXPECT_FALSE(std::filesystem::exists(dir / "c-00001.warc.gz.open"));
}

// The last 200 archived for a URL under the prefix (from the closed files'
// indexes): the same payload again is a revisit referring to it.
TEST(WarcWriter, TheSamePayloadAgainIsAnIdenticalPayloadDigestRevisit) {
  testing::TempDir dir;
  WarcWriterOptions o;
  o.prefix = (dir / "c").string();
  {
    WarcWriter w(o);
    ASSERT_FALSE(w.write(page("http://127.0.0.1/same", "same body")));
    ASSERT_FALSE(w.write(page("http://127.0.0.1/changes", "before")));
  }
  {
    WarcWriter w(o);
    ASSERT_FALSE(w.write(page("http://127.0.0.1/same", "same body")));
    ASSERT_FALSE(w.write(page("http://127.0.0.1/changes", "after")));
  }
  const auto first = gzip_members(testing::read_file(dir / "c-00000.warc.gz"));
  const auto second = gzip_members(testing::read_file(dir / "c-00001.warc.gz"));
  ASSERT_GE(second.size(), 7u);
  const std::string& revisit = second[1].text;  // warcinfo, then /same's
  EXPECT_NE(revisit.find("WARC-Type: revisit\r\n"), std::string::npos) << revisit;
  EXPECT_NE(revisit.find("WARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest\r\n"),
            std::string::npos);
  EXPECT_NE(revisit.find("WARC-Truncated: length\r\n"), std::string::npos);
  EXPECT_EQ(revisit.find("same body"), std::string::npos) << "no payload";
  const std::string& original = first[1].text;
  const auto field = [](const std::string& text, const std::string& name) {
    const std::size_t at = text.find(name + ": ");
    return at == std::string::npos ? std::string() : text.substr(at + name.size() + 2, text.find("\r\n", at) - at - name.size() - 2);
  };
  EXPECT_EQ(field(revisit, "WARC-Refers-To-Date"), field(original, "WARC-Date"));
  EXPECT_EQ(field(revisit, "WARC-Payload-Digest"), field(original, "WARC-Payload-Digest"));
  EXPECT_EQ(field(original, "WARC-Date").size(), 20u) << "to the second, as the CDXJ timestamp keeps it";
  bool changed_is_response = false;
  for (const auto& m : second)
    if (m.text.find("WARC-Target-URI: http://127.0.0.1/changes\r\n") != std::string::npos &&
        m.text.find("WARC-Type: response\r\n") != std::string::npos)
      changed_is_response = true;
  EXPECT_TRUE(changed_is_response);
}

// A payload compressed already (here Content-Encoding: gzip) is stored in
// its member uncompressed rather than compressed again; a text page is
// compressed. Both read back byte for byte.
TEST(WarcWriter, AnAlreadyCompressedPayloadIsStoredNotCompressedAgain) {
  testing::TempDir dir;
  WarcWriterOptions o;
  o.prefix = (dir / "c").string();
  std::string noise(20000, '\0');
  std::uint32_t x = 12345;
  for (char& c : noise) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
  const std::string text(20000, 'a');
  {
    WarcWriter w(o);
    FetchResult gz = page("http://127.0.0.1/gz", noise);
    auto wire = *gz.wire;
    wire[0].response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: 20000\r\n\r\n";
    gz.wire = std::make_shared<const std::vector<WireExchange>>(wire);
    ASSERT_FALSE(w.write(gz));
    ASSERT_FALSE(w.write(page("http://127.0.0.1/text", text)));
  }
  const auto members = gzip_members(testing::read_file(dir / "c-00000.warc.gz"));
  ASSERT_GE(members.size(), 7u);  // warcinfo, then response, request, metadata per page
  EXPECT_NE(members[1].text.find(noise), std::string::npos);
  EXPECT_GT(members[1].length, noise.size()) << "stored: a copy of the payload in the member";
  EXPECT_NE(members[4].text.find(text), std::string::npos);
  EXPECT_LT(members[4].length, 1000u) << "a text page is compressed";
}

// The metadata record says what the crawl learnt from the page, as
// Heritrix writes it: where it came from, its depth, its links (followed
// ones, then nofollow ones), a redirect's target.
TEST(WarcWriter, TheMetadataRecordListsThePagesOutlinks) {
  testing::TempDir dir;
  WarcWriterOptions o;
  o.prefix = (dir / "c").string();
  {
    WarcWriter w(o);
    FetchResult r = page("http://127.0.0.1/a", "<a href=b>b</a>");
    r.request.referrer = "http://127.0.0.1/";
    r.request.depth = 2;
    r.links = "crawl-links 1 -\n+http://127.0.0.1/b\n-http://127.0.0.1/private\n+http://127.0.0.1/c";
    ASSERT_FALSE(w.write(r));
    FetchResult moved = page("http://127.0.0.1/old", "");
    moved.redirects = {"http://127.0.0.1/new"};
    ASSERT_FALSE(w.write(moved));
    FetchResult odd = page("http://127.0.0.1/odd", "");
    odd.links = "crawl-links 1 -\n+http://127.0.0.1/b\nnot a link line";
    ASSERT_FALSE(w.write(odd));
  }
  std::vector<std::string> metadata;
  for (const auto& m : gzip_members(testing::read_file(dir / "c-00000.warc.gz")))
    if (m.text.find("WARC-Type: metadata\r\n") != std::string::npos)
      metadata.push_back(m.text.substr(m.text.find("\r\n\r\n") + 4));
  ASSERT_EQ(metadata.size(), 3u);
  EXPECT_EQ(metadata[0],
            "via: http://127.0.0.1/\r\nhopsFromSeed: 2\r\nfetchTimeMs: 0\r\n"
            "outlink: http://127.0.0.1/b\r\noutlink: http://127.0.0.1/c\r\n"
            "outlink: http://127.0.0.1/private nofollow\r\n\r\n\r\n");
  EXPECT_EQ(metadata[1], "hopsFromSeed: 0\r\nfetchTimeMs: 0\r\noutlink: http://127.0.0.1/new\r\n\r\n\r\n");
  EXPECT_EQ(metadata[2], "hopsFromSeed: 0\r\nfetchTimeMs: 0\r\n\r\n\r\n") << "a list it cannot read: no outlinks";
}

TEST(WarcWriter, ADirectoryThatIsNotThereThrowsAtOnce) {
  testing::TempDir dir;
  WarcWriterOptions o;
  o.prefix = (dir / "missing" / "c").string();
  EXPECT_THROW(WarcWriter w(o), std::runtime_error);
}

// The real file system, every call passed on; a fake overrides the calls it changes.
class PassThrough : public FileSystem {
 public:
  std::error_code open(const std::filesystem::path& p, int flags, mode_t mode, int& fd) override {
    return posix_file_system().open(p, flags, mode, fd);
  }
  std::error_code write(int fd, const void* data, std::size_t size, std::size_t& written) override {
    return posix_file_system().write(fd, data, size, written);
  }
  std::error_code close(int fd) override { return posix_file_system().close(fd); }
  std::error_code size(int fd, off_t& size) override { return posix_file_system().size(fd, size); }
  std::error_code ftruncate(int fd, off_t length) override { return posix_file_system().ftruncate(fd, length); }
  std::error_code sync(int fd) override { return posix_file_system().sync(fd); }
  std::error_code rename(const std::filesystem::path& a, const std::filesystem::path& b) override {
    return posix_file_system().rename(a, b);
  }
  std::error_code mkdir(const std::filesystem::path& p, mode_t mode) override { return posix_file_system().mkdir(p, mode); }
  std::error_code rmdir(const std::filesystem::path& p) override { return posix_file_system().rmdir(p); }
  std::error_code unlink(const std::filesystem::path& p) override { return posix_file_system().unlink(p); }
};

// The disk fills up after `room` bytes: every write past it fails with ENOSPC.
class FullDisk final : public PassThrough {
 public:
  explicit FullDisk(std::size_t room) : room_(room) {}
  // As a disk that fills up: what fits is written, then ENOSPC.
  std::error_code write(int fd, const void* data, std::size_t size, std::size_t& written) override {
    if (used_ >= room_) {
      written = 0;
      return std::error_code(ENOSPC, std::generic_category());
    }
    size = std::min(size, room_ - used_);
    used_ += size;
    return PassThrough::write(fd, data, size, written);
  }

 private:
  std::size_t room_;
  std::size_t used_ = 0;  // the writer thread's only
};

// Records which paths were synced (a directory by its own path) and fails
// the sync of paths ending in `fail_suffix`.
class SyncLog final : public PassThrough {
 public:
  std::string fail_suffix = "\x01";  // none by default
  std::vector<std::string> synced;

  std::error_code open(const std::filesystem::path& p, int flags, mode_t mode, int& fd) override {
    auto err = PassThrough::open(p, flags, mode, fd);
    if (!err) paths_[fd] = p.string();
    return err;
  }
  std::error_code close(int fd) override {
    paths_.erase(fd);
    return PassThrough::close(fd);
  }
  std::error_code sync(int fd) override {
    const std::string path = paths_.count(fd) ? paths_[fd] : "?";
    if (path.ends_with(fail_suffix)) return std::error_code(EIO, std::generic_category());
    synced.push_back(path);
    return PassThrough::sync(fd);
  }

 private:
  std::map<int, std::string> paths_;  // the writer thread's only
};

// Closing a file makes it closed for good: its data, its index's data, and
// both names (the rename of .open, the index's) synced to the disk before
// close() reports success, so a power failure after it cannot leave a
// .warc.gz without its .cdxj, or an empty .cdxj.
TEST(WarcWriter, ClosingSyncsTheFileItsIndexAndTheirDirectory) {
  testing::TempDir dir;
  SyncLog log;
  WarcWriterOptions o;
  o.prefix = (dir / "c").string();
  o.fs = &log;
  WarcWriter w(o);
  ASSERT_FALSE(w.write(page("http://127.0.0.1/", "<html>hello</html>")));
  ASSERT_FALSE(w.close());
  const std::string d = dir.path().string();
  EXPECT_EQ(log.synced, (std::vector<std::string>{d + "/c-00000.warc.gz.open", d + "/c-00000.cdxj.tmp", d}));
  EXPECT_TRUE(std::filesystem::exists(dir / "c-00000.cdxj"));
  EXPECT_TRUE(std::filesystem::exists(dir / "c-00000.warc.gz"));
}

// An index that cannot be synced is a failure naming it; the file keeps its
// .open name (a resumed crawl continues it), no .cdxj claims to index it.
TEST(WarcWriter, AnIndexThatCannotBeSyncedIsAFailureAndTheFileStaysOpen) {
  testing::TempDir dir;
  SyncLog log;
  log.fail_suffix = ".cdxj.tmp";
  WarcWriterOptions o;
  o.prefix = (dir / "c").string();
  o.fs = &log;
  WarcWriter w(o);
  ASSERT_FALSE(w.write(page("http://127.0.0.1/", "<html>hello</html>")));
  const auto failure = w.close();
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->find("cannot sync"), std::string::npos) << *failure;
  EXPECT_NE(failure->find("c-00000.cdxj.tmp"), std::string::npos) << *failure;
  EXPECT_NE(failure->find("Input/output error"), std::string::npos) << *failure;
  EXPECT_TRUE(std::filesystem::exists(dir / "c-00000.warc.gz.open"));
  EXPECT_FALSE(std::filesystem::exists(dir / "c-00000.cdxj"));
}

TEST(WarcSink, ADiskThatFillsUpMidFileIsAStorageFailureNamingTheFile) {
  testing::TempDir dir;
  FullDisk disk(20000);
  WarcWriterOptions o;
  o.prefix = (dir / "c").string();
  o.fs = &disk;
  WarcSink sink(nullptr, o);
  // Bodies that do not compress: each page takes over 1,000 bytes of the 20,000.
  std::uint32_t x = 2463534242u;
  for (int i = 0; i < 50 && !sink.failed(); ++i) {
    std::string body(1000, '\0');
    for (char& c : body) c = static_cast<char>((x ^= x << 13, x ^= x >> 17, x ^= x << 5));
    sink.settle(page("http://127.0.0.1/" + std::to_string(i), body), true, UrlEffects{});
    sink.flush();
  }
  ASSERT_TRUE(sink.failed());
  const auto failure = sink.end_run(RunSummary{});
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->message.find("c-00000.warc.gz.open"), std::string::npos) << failure->message;
  EXPECT_NE(failure->message.find("No space left on device"), std::string::npos) << failure->message;
  EXPECT_TRUE(std::filesystem::exists(dir / "c-00000.warc.gz.open")) << "a cut file keeps its .open name";
  // It ends at its last complete record: every gzip member whole, nothing after.
  const std::string data = testing::read_file(dir / "c-00000.warc.gz.open");
  const auto members = gzip_members(data);
  ASSERT_FALSE(members.empty());
  EXPECT_EQ(members.back().offset + members.back().length, data.size());
  for (const auto& m : members) EXPECT_TRUE(m.text.ends_with("\r\n\r\n")) << m.offset;
}

}  // namespace
}  // namespace crawl

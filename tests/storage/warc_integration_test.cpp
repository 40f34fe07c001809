// End-to-end --warc: the real crawl binary crawls the test web server in
// each fetch mode, and every WARC file it writes is read back by an
// independent reader, warcio.js (tools/warcio/check.mjs, installed by
// setup.sh), and by `crawl warc-verify`: every record parses, block and
// payload digests recompute, payloads are the bytes the server sent
// (content coding kept, chunked framing removed), request and response are
// linked by WARC-Concurrent-To, CDXJ offsets point at the records, no file
// is left .open, files rotate at --warc-max-size; an unwritable directory
// stops the crawl with exit 3 before any request; a second batch archives
// unchanged pages as revisits (304: server-not-modified; an identical 200:
// identical-payload-digest, referring to the first batch's record); a crawl
// killed (-9) while writing resumes its file from the last committed record.
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <set>
#include <string>
#include <vector>

#include "app/run_stats.h"
#include "core/child_process.h"
#include "core/digest.h"
#include "storage/warc_record.h"
#include "tests/gzip_members.h"
#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

using testing::TempDir;
using testserver::Response;
using testserver::SiteOptions;
using testserver::TestServer;
namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kCheck = fs::path(CRAWL_SOURCE_DIR) / "tools/warcio/check.mjs";

using testing::gunzip;

// warcio.js's reading of `files`: path → records (check.mjs's JSON).
json::object warcio_read(const std::vector<fs::path>& files, const fs::path& dir) {
  ChildOptions o;
  o.argv = {"node", kCheck.string()};
  for (const auto& f : files) o.argv.push_back(f.string());
  o.search_path = true;
  o.out = ChildStream::file(dir / "warcio.json");
  o.err = ChildStream::file(dir / "warcio.err");
  ChildProcess node(o);
  const int code = node.wait().exit_code;
  EXPECT_EQ(code, 0) << testing::read_file(dir / "warcio.err");
  if (code != 0) return {};
  return json::parse(testing::read_file(dir / "warcio.json")).as_object();
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }
std::string header(const json::object& record, const char* name) {
  const auto& h = record.at("headers").as_object();
  const auto* v = h.if_contains(name);
  return v ? str(*v) : std::string();
}

// The response records of /big* in warcio's reading `all` (one file), each
// record's block digest checked on the way and its payload digest too.
std::vector<const json::object*> big_responses(const json::object& all) {
  std::vector<const json::object*> out;
  for (const auto& v : all.begin()->value().as_array()) {
    const json::object& rec = v.as_object();
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    if (str(rec.at("type")) != "response" || header(rec, "warc-target-uri").find("/big") == std::string::npos) continue;
    EXPECT_EQ(header(rec, "warc-payload-digest"), str(rec.at("payload_digest")));
    out.push_back(&rec);
  }
  return out;
}

std::vector<fs::path> files_with(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().string().ends_with(suffix)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class WarcTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!fs::exists(fs::path(CRAWL_SOURCE_DIR) / "tools/warcio/node_modules/warcio"))
      GTEST_FAIL() << "warcio.js is not installed: run ./setup.sh (npm ci in tools/warcio)";
  }
  testing::RunResult crawl(const std::vector<std::string>& urls, std::vector<std::string> extra) {
    std::string text;
    for (const auto& u : urls) text += u + "\n";
    testing::write_file(dir_ / "urls.txt", text);
    std::vector<std::string> args = {(dir_ / "urls.txt").string(), "--out", (dir_ / "crawl.db").string(),
                                     "--quiet", "--retries", "0", "--mode", GetParam()};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run_crawl(args, dir_.path());
  }
  TempDir dir_;
};

TEST_P(WarcTest, EveryRecordReadsBackWithWarcioAndMatchesWhatTheServerSent) {
  SiteOptions o;
  o.hosts = 2;
  o.pages_per_host = 6;
  o.page_size = 3000;
  TestServer server(o);
  Response known;
  known.body = "<html><body>exact bytes \x01\xff <a href=\"/page/1.html\">one</a></body></html>";
  server.set_response(0, "/known.html", known);
  const std::string root = server.root_url(0);
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  const auto r = crawl({root, server.root_url(1), root + "known.html", root + "gzip", root + "big?bytes=20000",
                        root + "big-chunked?bytes=20000", root + "redirect/1"},
                       {"--warc", (arc / "crawl").string(), "--max-depth", "3"});
  ASSERT_EQ(r.code, 0) << r.err;

  EXPECT_TRUE(files_with(arc, ".open").empty()) << "every file is closed and renamed at the end";
  const auto warcs = files_with(arc, ".warc.gz");
  ASSERT_EQ(warcs.size(), 1u);
  ASSERT_TRUE(fs::exists(arc / "crawl-00000.cdxj"));

  const json::object all = warcio_read(warcs, dir_.path());
  ASSERT_EQ(all.size(), 1u);
  const json::array& records = all.begin()->value().as_array();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(str(records[0].at("type")), "warcinfo");
  EXPECT_NE(str(records[0].at("text")).find("software: crawl/"), std::string::npos);

  std::map<std::string, const json::object*> responses_by_id, responses_by_url;
  std::map<std::int64_t, const json::object*> by_offset;
  int requests = 0, metadata = 0;
  for (const auto& v : records) {
    const json::object& rec = v.as_object();
    const std::string type = str(rec.at("type"));
    SCOPED_TRACE(type + " " + header(rec, "warc-target-uri"));
    by_offset[rec.at("offset").to_number<std::int64_t>()] = &rec;
    // Digests recomputed by node over the bytes warcio read.
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    EXPECT_EQ(rec.at("content_length").to_number<std::int64_t>(), rec.at("block_size").to_number<std::int64_t>());
    if (type == "warcinfo") continue;
    EXPECT_TRUE(header(rec, "warc-record-id").starts_with("<urn:uuid:"));
    EXPECT_FALSE(header(rec, "warc-date").empty());
    EXPECT_TRUE(header(rec, "warc-target-uri").starts_with("http://127.0.1."));
    if (type == "response") {
      EXPECT_EQ(header(rec, "warc-payload-digest"), str(rec.at("payload_digest")));
      EXPECT_EQ(header(rec, "warc-ip-address").substr(0, 8), "127.0.1.");
      EXPECT_GT(rec.at("http_status").to_number<int>(), 0);
      responses_by_id[header(rec, "warc-record-id")] = &rec;
      responses_by_url[header(rec, "warc-target-uri")] = &rec;
    } else if (type == "request") {
      ++requests;
    } else if (type == "metadata") {
      ++metadata;
      EXPECT_FALSE(header(rec, "warc-concurrent-to").empty());
    } else {
      ADD_FAILURE() << "unexpected record type " << type;
    }
  }
  // Request and response are linked; every response has its request.
  std::set<std::string> linked;
  for (const auto& v : records) {
    const json::object& rec = v.as_object();
    if (str(rec.at("type")) != "request") continue;
    const std::string to = header(rec, "warc-concurrent-to");
    ASSERT_TRUE(responses_by_id.contains(to)) << header(rec, "warc-target-uri");
    EXPECT_EQ(header(*responses_by_id[to], "warc-target-uri"), header(rec, "warc-target-uri"));
    linked.insert(to);
  }
  EXPECT_EQ(linked.size(), responses_by_id.size());
  EXPECT_EQ(requests, static_cast<int>(responses_by_id.size()));
  EXPECT_EQ(metadata, static_cast<int>(responses_by_id.size()));

  // The bytes the server sent.
  const auto payload_is = [&](const std::string& url, const std::string& bytes) {
    SCOPED_TRACE(url);
    ASSERT_TRUE(responses_by_url.contains(url));
    const json::object& rec = *responses_by_url[url];
    EXPECT_EQ(str(rec.at("payload_digest")), sha1_digest(bytes));
    EXPECT_EQ(rec.at("payload_size").to_number<std::size_t>(), bytes.size());
  };
  payload_is(root + "known.html", known.body);
  ASSERT_TRUE(responses_by_url.contains(root + "big?bytes=20000"));
  // The chunked body, de-chunked, is the same 20000 bytes the /big route sends with a Content-Length.
  EXPECT_EQ(str(responses_by_url[root + "big-chunked?bytes=20000"]->at("payload_digest")),
            str(responses_by_url[root + "big?bytes=20000"]->at("payload_digest")));
  EXPECT_EQ(responses_by_url[root + "big-chunked?bytes=20000"]->at("payload_size").to_number<int>(), 20000);
  const auto& chunked_headers = responses_by_url[root + "big-chunked?bytes=20000"]->at("http_headers").as_object();
  EXPECT_FALSE(chunked_headers.contains("transfer-encoding")) << "the framing is gone; the field renamed";
  EXPECT_TRUE(chunked_headers.contains("x-crawl-transfer-encoding"));
  // gzip: the payload is the gzip stream as sent; warcio decodes it to the page.
  {
    const json::object& g = *responses_by_url.at(root + "gzip");
    EXPECT_EQ(str(g.at("http_headers").at("content-encoding")), "gzip");
    EXPECT_NE(g.at("payload_sha1_hex"), g.at("content_sha1_hex")) << "content coding kept in the record";
    EXPECT_GT(g.at("content_size").to_number<int>(), g.at("payload_size").to_number<int>());
  }
  // A redirect: its response is archived with its Location.
  EXPECT_TRUE(responses_by_url.contains(root + "redirect/1"));
  EXPECT_TRUE(responses_by_url.contains(root + "robots.txt")) << "robots.txt is a fetch too";

  // The CDXJ index: sorted, one line per response, each at its record.
  const std::string cdxj = testing::read_file(arc / "crawl-00000.cdxj");
  std::size_t lines = 0;
  std::string previous;
  for (std::size_t pos = 0; pos < cdxj.size();) {
    const std::size_t eol = cdxj.find('\n', pos);
    const std::string line = cdxj.substr(pos, eol - pos);
    pos = eol + 1;
    ++lines;
    EXPECT_LE(previous, line);
    previous = line;
    const auto e = parse_cdxj_line(line);
    ASSERT_TRUE(e) << line;
    EXPECT_EQ(e->filename, "crawl-00000.warc.gz");
    ASSERT_TRUE(by_offset.contains(static_cast<std::int64_t>(e->offset))) << line;
    const json::object& rec = *by_offset[static_cast<std::int64_t>(e->offset)];
    EXPECT_EQ(str(rec.at("type")), "response");
    EXPECT_EQ(header(rec, "warc-target-uri"), e->url);
    EXPECT_EQ("sha1:" + e->digest, header(rec, "warc-payload-digest"));
  }
  EXPECT_EQ(lines, responses_by_id.size());

  // And crawl's own reader agrees.
  const auto verify = testing::run_crawl({"warc-verify", warcs[0].string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

TEST_P(WarcTest, FilesRotateAtMaxSizeAndEachHasItsIndex) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 30;
  o.page_size = 4000;
  TestServer server(o);
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  // At the smallest (slowest) compression level, which must read back the same.
  const auto r = crawl(server.root_urls(), {"--warc", (arc / "c").string(), "--warc-max-size", "8k",
                                            "--warc-gzip-level", "12", "--max-depth", "100"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(files_with(arc, ".open").empty());
  const auto warcs = files_with(arc, ".warc.gz");
  ASSERT_GE(warcs.size(), 3u);
  std::set<std::string> urls;
  const json::object all = warcio_read(warcs, dir_.path());
  for (const auto& w : warcs) {
    SCOPED_TRACE(w.string());
    const std::string name = w.filename().string();
    EXPECT_TRUE(fs::exists(arc / (name.substr(0, name.size() - 8) + ".cdxj")));
    EXPECT_LT(fs::file_size(w), 8 * 1024 + 64 * 1024) << "closed soon after passing the size";
    const json::array& records = all.at(w.string()).as_array();
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(str(records[0].at("type")), "warcinfo") << "each file starts with its warcinfo";
    for (const auto& v : records) {
      const json::object& rec = v.as_object();
      EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
      if (str(rec.at("type")) == "response") urls.insert(header(rec, "warc-target-uri"));
    }
  }
  for (const auto& url : server.site_urls()) EXPECT_TRUE(urls.contains(url)) << url;
  std::vector<std::string> args = {"warc-verify"};
  for (const auto& w : warcs) args.push_back(w.string());
  const auto verify = testing::run_crawl(args, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

// A 304 to a request that asked nothing (no If-None-Match, no
// If-Modified-Since) confirms no earlier copy: it is archived as what it is,
// a response record, not a revisit referring to a capture that does not
// exist (the crawl counts it as a protocol error of its URL).
TEST_P(WarcTest, A304ToAnUnconditionalRequestIsAResponseRecord) {
  SiteOptions o;
  o.hosts = 1;
  TestServer server(o);
  Response bogus;
  bogus.status = 304;
  bogus.body.clear();
  server.set_response(0, "/bogus304", bogus);
  const std::string url = server.root_url(0) + "bogus304";
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  const auto r = crawl({url}, {"--warc", (arc / "c").string(), "--max-depth", "0"});
  ASSERT_EQ(r.code, 4) << r.err;  // the protocol error
  const json::object all = warcio_read({arc / "c-00000.warc.gz"}, dir_.path());
  int responses = 0;
  for (const auto& v : all.begin()->value().as_array()) {
    const json::object& rec = v.as_object();
    if (header(rec, "warc-target-uri") != url || str(rec.at("type")) == "request" || str(rec.at("type")) == "metadata")
      continue;
    EXPECT_EQ(str(rec.at("type")), "response");
    EXPECT_EQ(rec.at("http_status").to_number<int>(), 304);
    EXPECT_EQ(header(rec, "warc-profile"), "");
    EXPECT_EQ(header(rec, "warc-refers-to-target-uri"), "");
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    EXPECT_EQ(header(rec, "warc-payload-digest"), str(rec.at("payload_digest")));
    ++responses;
  }
  EXPECT_EQ(responses, 1);
  EXPECT_EQ(testing::read_file(arc / "c-00000.cdxj").find("warc/revisit"), std::string::npos);
  const auto verify = testing::run_crawl({"warc-verify", (arc / "c-00000.warc.gz").string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

// What servers send besides the textbook: an interim response (103 Early
// Hints) before the final one, and header lines ended by LF alone. The
// record holds the final response (status 200, its own fields, not the
// 103's Link), its payload found after the header section however its
// lines end; warcio.js (tools/warcio/check.mjs) and crawl warc-verify
// both read it back.
TEST_P(WarcTest, AnInterimResponseIsLeftOutAndBareLineFeedsAreKept) {
  SiteOptions o;
  o.hosts = 1;
  TestServer server(o);
  const std::string root = server.root_url(0);
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  const auto r = crawl({root + "early-hints", root + "bare-lf"}, {"--warc", (arc / "c").string(), "--max-depth", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json::object all = warcio_read({arc / "c-00000.warc.gz"}, dir_.path());
  std::set<std::string> urls;
  for (const auto& v : all.begin()->value().as_array()) {
    const json::object& rec = v.as_object();
    if (str(rec.at("type")) != "response") continue;
    const std::string url = header(rec, "warc-target-uri");
    urls.insert(url);
    if (url != root + "early-hints" && url != root + "bare-lf") continue;
    SCOPED_TRACE(url);
    EXPECT_EQ(rec.at("http_status").to_number<int>(), 200);
    const json::object& fields = rec.at("http_headers").as_object();
    EXPECT_FALSE(fields.contains("link")) << "the 103's field is not the final response's";
    EXPECT_EQ(str(fields.at("content-type")), "text/html");
    EXPECT_EQ(std::to_string(rec.at("payload_size").to_number<std::int64_t>()), str(fields.at("content-length")));
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    EXPECT_EQ(header(rec, "warc-payload-digest"), str(rec.at("payload_digest")));
    // warcio.js finds the end of an HTTP header section by CRLF CRLF only
    // (its readToDoubleCRLF): its own reading of the bare-LF payload is not
    // compared (Python's warcio and jwarc take LF line ends, as RFC 9112 allows).
    if (url == root + "early-hints") {
      EXPECT_EQ(rec.at("payload_sha1_hex"), rec.at("content_sha1_hex")) << "no content coding: warcio reads the same payload";
    }
  }
  EXPECT_TRUE(urls.contains(root + "early-hints"));
  EXPECT_TRUE(urls.contains(root + "bare-lf"));
  EXPECT_TRUE(urls.contains(root + "page/1.html")) << "the early-hints page's link was followed";
  EXPECT_TRUE(urls.contains(root + "page/2.html")) << "the bare-LF page's link was followed";
  const auto verify = testing::run_crawl({"warc-verify", (arc / "c-00000.warc.gz").string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

// A second batch over the same database asks conditionally; each 304 is a
// revisit record of the server-not-modified profile, in a new file (the
// first batch's is never overwritten), indexed as warc/revisit.
TEST_P(WarcTest, A304IsARevisitRecordOfTheServerNotModifiedProfile) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 5;
  o.validators = true;
  TestServer server(o);
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  ASSERT_EQ(crawl(server.root_urls(), {"--warc", (arc / "c").string(), "--max-depth", "100"}).code, 0);
  const auto r = crawl(server.root_urls(), {"--warc", (arc / "c").string(), "--max-depth", "100"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(fs::exists(arc / "c-00001.warc.gz")) << "batch 2 writes a file of its own";
  std::map<std::string, std::string> captured_at;  // batch 1: URL → its response's WARC-Date
  const json::object first = warcio_read({arc / "c-00000.warc.gz"}, dir_.path());
  for (const auto& v : first.begin()->value().as_array())
    if (str(v.as_object().at("type")) == "response")
      captured_at[header(v.as_object(), "warc-target-uri")] = header(v.as_object(), "warc-date");
  const json::object all = warcio_read({arc / "c-00001.warc.gz"}, dir_.path());
  const json::array& records = all.begin()->value().as_array();
  std::set<std::string> revisited;
  for (const auto& v : records) {
    const json::object& rec = v.as_object();
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    if (str(rec.at("type")) != "revisit") continue;
    EXPECT_EQ(header(rec, "warc-profile"), "http://netpreserve.org/warc/1.1/revisit/server-not-modified");
    EXPECT_EQ(header(rec, "warc-refers-to-target-uri"), header(rec, "warc-target-uri"));
    ASSERT_TRUE(captured_at.contains(header(rec, "warc-target-uri")));
    EXPECT_EQ(header(rec, "warc-refers-to-date"), captured_at[header(rec, "warc-target-uri")]) << "the capture it confirms";
    EXPECT_EQ(rec.at("http_status").to_number<int>(), 304);
    revisited.insert(header(rec, "warc-target-uri"));
  }
  for (const auto& url : server.site_urls()) EXPECT_TRUE(revisited.contains(url)) << url;
  const std::string cdxj = testing::read_file(arc / "c-00001.cdxj");
  EXPECT_NE(cdxj.find("\"mime\":\"warc/revisit\""), std::string::npos) << cdxj;
  const auto verify = testing::run_crawl({"warc-verify", (arc / "c-00000.warc.gz").string(),
                                          (arc / "c-00001.warc.gz").string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

// A 503 that is retried is archived too, with the body it came with (the
// capture does not copy a body without Content-Encoding: the writer takes
// the result's), then the 200 of the retry.
TEST_P(WarcTest, ARetriedAnswerIsArchivedWithTheBodyItCameWith) {
  TestServer server(SiteOptions{});
  Response flaky;
  flaky.body = "<html><body>up again</body></html>";
  flaky.fail_first = 1;
  flaky.fail_retry_after = "1";
  server.set_response(0, "/flaky.html", flaky);
  const std::string url = server.root_url(0) + "flaky.html";
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  const auto r = crawl({url}, {"--warc", (arc / "c").string(), "--max-depth", "0", "--retries", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json::object all = warcio_read({arc / "c-00000.warc.gz"}, dir_.path());
  std::map<int, const json::object*> by_status;
  for (const auto& v : all.begin()->value().as_array()) {
    const json::object& rec = v.as_object();
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    if (str(rec.at("type")) != "response" || header(rec, "warc-target-uri") != url) continue;
    EXPECT_EQ(header(rec, "warc-payload-digest"), str(rec.at("payload_digest")));
    by_status[rec.at("http_status").to_number<int>()] = &rec;
  }
  ASSERT_EQ(by_status.size(), 2u);
  ASSERT_TRUE(by_status.contains(503));
  const json::object& failed = *by_status[503];
  EXPECT_GT(failed.at("payload_size").to_number<int>(), 0);
  EXPECT_EQ(str(failed.at("http_headers").at("content-length")), std::to_string(failed.at("payload_size").to_number<int>()));
  ASSERT_TRUE(by_status.contains(200));
  EXPECT_EQ(str(by_status[200]->at("payload_digest")), sha1_digest(flaky.body));
}

// A response whose Content-Length cannot frame its body (two differing
// values) is refused at the end of its header: a protocol error of its URL.
// The archive keeps what came, its header section, with no payload and
// WARC-Truncated: unspecified (the crawler's refusal, not a size, a time or
// a disconnect); warcio.js and crawl warc-verify read it back.
TEST_P(WarcTest, AResponseRefusedForItsContentLengthIsArchivedAsItsHeader) {
  SiteOptions o;
  o.hosts = 1;
  TestServer server(o);
  const std::string url = server.root_url(0) + "content-length/conflict";
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  const auto r = crawl({url}, {"--warc", (arc / "c").string(), "--max-depth", "0"});
  ASSERT_EQ(r.code, 4) << r.err;  // the URL's error
  const json::object all = warcio_read({arc / "c-00000.warc.gz"}, dir_.path());
  int responses = 0;
  for (const auto& v : all.begin()->value().as_array()) {
    const json::object& rec = v.as_object();
    if (str(rec.at("type")) != "response" || header(rec, "warc-target-uri") != url) continue;
    ++responses;
    EXPECT_EQ(rec.at("http_status").to_number<int>(), 200);
    EXPECT_EQ(header(rec, "warc-truncated"), "unspecified");
    EXPECT_EQ(rec.at("payload_size").to_number<int>(), 0);
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    EXPECT_EQ(header(rec, "warc-payload-digest"), str(rec.at("payload_digest")));
  }
  EXPECT_EQ(responses, 1);
  const auto verify = testing::run_crawl({"warc-verify", (arc / "c-00000.warc.gz").string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

// --warc-gzip-level 0: every record still one gzip member (a reader seeks
// to it), stored rather than compressed: the file holds every payload whole.
TEST_P(WarcTest, LevelZeroStoresEachRecordInItsOwnMember) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 10;
  o.page_size = 4000;
  TestServer server(o);
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  const auto r = crawl(server.root_urls(), {"--warc", (arc / "c").string(), "--warc-gzip-level", "0", "--max-depth", "100"});
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path warc = arc / "c-00000.warc.gz";
  const json::object all = warcio_read({warc}, dir_.path());
  std::uintmax_t blocks = 0;
  int responses = 0;
  for (const auto& v : all.begin()->value().as_array()) {
    const json::object& rec = v.as_object();
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    blocks += rec.at("block_size").to_number<std::uintmax_t>();
    responses += str(rec.at("type")) == "response";
  }
  EXPECT_GE(responses, 10);
  EXPECT_GT(fs::file_size(warc), blocks) << "stored: no smaller than the blocks it holds";
  const auto verify = testing::run_crawl({"warc-verify", warc.string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

// A body over --max-size is archived as far as it came, marked truncated.
TEST_P(WarcTest, ABodyOverMaxSizeIsWrittenTruncated) {
  TestServer server(SiteOptions{});
  const std::string root = server.root_url(0);
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  const auto r = crawl({root + "big?bytes=300000", root + "big-chunked?bytes=300000"},
                       {"--warc", (arc / "c").string(), "--max-size", "50k"});
  ASSERT_EQ(r.code, 4) << r.err;  // two too_large errors
  const json::object all = warcio_read({arc / "c-00000.warc.gz"}, dir_.path());
  const auto big = big_responses(all);
  EXPECT_EQ(big.size(), 2u);
  for (const json::object* rec : big) {
    SCOPED_TRACE(header(*rec, "warc-target-uri"));
    EXPECT_EQ(header(*rec, "warc-truncated"), "length");
    EXPECT_GT(rec->at("payload_size").to_number<int>(), 0);
    EXPECT_LT(rec->at("payload_size").to_number<int>(), 300000);
  }
  const auto verify = testing::run_crawl({"warc-verify", (arc / "c-00000.warc.gz").string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

// The same past --max-body-memory: the body went to a temporary file before
// --max-size cut it, and the failed transfer's archive record reads it back
// from there (the result keeps no body on a failure). Its payload is the
// test server's filler as far as it came, byte for byte.
TEST_P(WarcTest, ABodySpilledPastTheMemoryBudgetThenCutIsArchivedFromItsFile) {
  TestServer server(SiteOptions{});
  const std::string root = server.root_url(0);
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  const fs::path stats = dir_ / "stats.json";
  const auto r = crawl({root + "big?bytes=3000000", root + "big-chunked?bytes=3000000"},
                       {"--warc", (arc / "c").string(), "--max-size", "2M", "--max-body-memory", "512k",
                        "--concurrency", "1", "--stats-json", stats.string()});
  ASSERT_EQ(r.code, 4) << r.err;  // two too_large errors
  EXPECT_GE(run_stats_from_json(testing::read_file(stats)).spilled_bodies, 2) << "both bodies outgrew the budget";
  // /big*'s body: 64 KiB of filler lines, again and again (crawl-testserver).
  std::string chunk;
  for (int line = 0; chunk.size() < 64 * 1024; ++line)
    chunk += "crawl-testserver filler line " + std::to_string(line) + " abcdefghijklmnopqrstuvwxyz\n";
  chunk.resize(64 * 1024);
  std::string filler;
  while (filler.size() < 3000000) filler += chunk;
  const json::object all = warcio_read({arc / "c-00000.warc.gz"}, dir_.path());
  const auto big = big_responses(all);
  EXPECT_EQ(big.size(), 2u);
  for (const json::object* rec : big) {
    SCOPED_TRACE(header(*rec, "warc-target-uri"));
    EXPECT_EQ(header(*rec, "warc-truncated"), "length");
    const auto size = rec->at("payload_size").to_number<std::size_t>();
    EXPECT_GT(size, std::size_t{512} << 10) << "more than the budget held in memory";
    EXPECT_LE(size, std::size_t{2} << 20);
    EXPECT_EQ(str(rec->at("payload_digest")), sha1_digest(std::string_view(filler).substr(0, size)));
  }
  const auto verify = testing::run_crawl({"warc-verify", (arc / "c-00000.warc.gz").string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

TEST_P(WarcTest, AnUnwritableDirectoryStopsTheCrawlBeforeAnyRequest) {
  TestServer server(SiteOptions{});
  const auto r = crawl(server.root_urls(), {"--warc", (dir_ / "no-such-dir" / "c").string()});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("no-such-dir"), std::string::npos) << r.err;
  for (int h = 0; h < 3; ++h) EXPECT_EQ(server.stats(h).requests, 0u);
}

TEST_P(WarcTest, WarcVerifyNamesACorruptRecord) {
  TestServer server(SiteOptions{});
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  ASSERT_EQ(crawl({server.root_url(0)}, {"--warc", (arc / "c").string(), "--max-depth", "0"}).code, 0);
  const fs::path warc = arc / "c-00000.warc.gz";
  // Re-write one record with a body byte changed but its digests kept.
  std::string data = testing::read_file(warc);
  const std::string line = testing::read_file(arc / "c-00000.cdxj");
  const auto e = parse_cdxj_line(line.substr(0, line.find('\n')));
  ASSERT_TRUE(e);
  std::string text = gunzip(data.substr(e->offset, e->length));
  text[text.size() - 10] ^= 0x20;
  // Serialize the altered text back as one member with the same header.
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string member(deflateBound(&zs, text.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(text.data());
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(member.data());
  zs.avail_out = static_cast<uInt>(member.size());
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  member.resize(member.size() - zs.avail_out);
  deflateEnd(&zs);
  data.replace(e->offset, e->length, member);
  testing::write_file(warc, data);
  const auto verify = testing::run_crawl({"warc-verify", warc.string()}, dir_.path());
  EXPECT_EQ(verify.code, 1);
  EXPECT_NE(verify.err.find("WARC-Block-Digest"), std::string::npos) << verify.err;
}

// A second batch with the same --warc PREFIX, of pages that answer 200
// again (no validators): the unchanged ones are revisit records of the
// identical-payload-digest profile, referring to the first batch's response
// (its URI and WARC-Date, the same payload digest), their HTTP header only;
// a page whose body changed is a response record again.
TEST_P(WarcTest, AnUnchangedPageIsARevisitOfTheIdenticalPayloadDigestProfile) {
  SiteOptions o;
  o.hosts = 1;
  o.pages_per_host = 4;
  o.validators = false;
  TestServer server(o);
  Response changing;
  changing.body = "<html><body>first version <a href=\"/page/1.html\">one</a></body></html>";
  server.set_response(0, "/changing.html", changing);
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  std::vector<std::string> seeds = server.root_urls();
  seeds.push_back(server.root_url(0) + "changing.html");
  const std::vector<std::string> args = {"--warc", (arc / "c").string(), "--max-depth", "100"};
  ASSERT_EQ(crawl(seeds, args).code, 0);
  changing.body = "<html><body>second version</body></html>";
  server.set_response(0, "/changing.html", changing);
  const auto r = crawl(seeds, args);
  ASSERT_EQ(r.code, 0) << r.err;

  const json::object first = warcio_read({arc / "c-00000.warc.gz"}, dir_.path());
  std::map<std::string, const json::object*> originals;  // URI → batch 1's response
  for (const auto& v : first.begin()->value().as_array())
    if (str(v.at("type")) == "response") originals[header(v.as_object(), "warc-target-uri")] = &v.as_object();
  const json::object second = warcio_read({arc / "c-00001.warc.gz"}, dir_.path());
  std::set<std::string> revisited, responded;
  for (const auto& v : second.begin()->value().as_array()) {
    const json::object& rec = v.as_object();
    const std::string type = str(rec.at("type")), uri = header(rec, "warc-target-uri");
    SCOPED_TRACE(type + " " + uri);
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    if (type == "response") responded.insert(uri);
    if (type != "revisit" || uri.ends_with("/robots.txt")) continue;
    revisited.insert(uri);
    EXPECT_EQ(header(rec, "warc-profile"), "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest");
    EXPECT_EQ(header(rec, "warc-truncated"), "length");
    EXPECT_EQ(rec.at("http_status").to_number<int>(), 200);
    const auto original = originals.find(header(rec, "warc-refers-to-target-uri"));
    ASSERT_NE(original, originals.end()) << "refers to a response of batch 1";
    EXPECT_EQ(original->first, uri);
    EXPECT_EQ(header(rec, "warc-refers-to-date"), header(*original->second, "warc-date"));
    EXPECT_EQ(header(rec, "warc-payload-digest"), header(*original->second, "warc-payload-digest"));
    EXPECT_EQ(header(rec, "warc-payload-digest"), str(original->second->at("payload_digest")));
    EXPECT_EQ(rec.at("content_length").to_number<std::int64_t>(), rec.at("block_size").to_number<std::int64_t>());
    EXPECT_LT(rec.at("content_length").to_number<std::int64_t>(), 1000) << "the header only";
  }
  for (const auto& url : server.site_urls()) EXPECT_TRUE(revisited.contains(url)) << url;
  EXPECT_TRUE(responded.contains(server.root_url(0) + "changing.html")) << "changed: archived again";
  EXPECT_FALSE(revisited.contains(server.root_url(0) + "changing.html"));
  const std::string cdxj = testing::read_file(arc / "c-00001.cdxj");
  EXPECT_NE(cdxj.find("\"mime\":\"warc/revisit\""), std::string::npos) << cdxj;
  const auto verify = testing::run_crawl({"warc-verify", (arc / "c-00000.warc.gz").string(),
                                          (arc / "c-00001.warc.gz").string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

// kill -9 while the WARC file is being written (a torn record at its end
// made certain by appending part of one), then the same command: the file is
// cut back to the last record whose page was committed and continued; in the
// end every page has exactly one response record, every record is complete
// and indexed, and no file is left .open.
TEST_P(WarcTest, KillNineMidWriteThenTheSameCommandContinuesTheFile) {
  SiteOptions o;
  o.hosts = 3;
  o.pages_per_host = 30;
  o.page_size = 1500;
  o.delay = std::chrono::milliseconds(100);
  o.threads = 2;
  TestServer server(o);
  const fs::path arc = dir_ / "arc";
  fs::create_directories(arc);
  std::string seeds;
  for (const auto& u : server.root_urls()) seeds += u + "\n";
  testing::write_file(dir_ / "urls.txt", seeds);
  const std::vector<std::string> args = {(dir_ / "urls.txt").string(), "--out", (dir_ / "crawl.db").string(),
                                         "--quiet", "--retries", "0", "--mode", GetParam(), "--max-depth", "100",
                                         "--per-host", "2", "--concurrency", "8", "--warc", (arc / "c").string()};
  const fs::path open_file = arc / "c-00000.warc.gz.open";
  {
    fs::create_directories(dir_ / "run1");
    testing::CrawlProcess first(args, dir_ / "run1");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::error_code ec;
    while (std::chrono::steady_clock::now() < deadline &&
           !(fs::exists(open_file, ec) && fs::file_size(open_file, ec) > 30000))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    first.kill(SIGKILL);
    ASSERT_EQ(first.wait(), 128 + SIGKILL) << "the crawl ended before it could be killed" << first.err();
  }
  ASSERT_TRUE(fs::exists(open_file));
  {
    const std::string data = testing::read_file(open_file);
    std::ofstream torn(open_file, std::ios::binary | std::ios::app);
    torn.write(data.data(), 200);  // the start of a record, cut
  }
  fs::create_directories(dir_ / "run2");
  testing::CrawlProcess second(args, dir_ / "run2");
  ASSERT_EQ(second.wait(), 0) << second.err();

  EXPECT_TRUE(files_with(arc, ".open").empty()) << "every file is closed and renamed at the end";
  const auto warcs = files_with(arc, ".warc.gz");
  ASSERT_EQ(warcs.size(), 1u) << "the killed crawl's file is continued, not a new one begun";
  const json::object all = warcio_read(warcs, dir_.path());
  std::map<std::string, int> responses;
  for (const auto& v : all.begin()->value().as_array()) {
    const json::object& rec = v.as_object();
    EXPECT_EQ(header(rec, "warc-block-digest"), str(rec.at("block_digest")));
    const std::string uri = header(rec, "warc-target-uri");
    if (str(rec.at("type")) == "response" && !uri.ends_with("/robots.txt")) ++responses[uri];
  }
  for (const auto& url : server.site_urls()) EXPECT_EQ(responses[url], 1) << url;
  EXPECT_EQ(responses.size(), server.site_urls().size());
  const auto verify = testing::run_crawl({"warc-verify", warcs[0].string()}, dir_.path());
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

INSTANTIATE_TEST_SUITE_P(Modes, WarcTest, ::testing::Values("threads", "fibers"));

}  // namespace
}  // namespace crawl

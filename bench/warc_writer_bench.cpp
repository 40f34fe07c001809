// crawl-warc-writer-bench: the WARC writer's own CPU per page, without the
// crawl around it. Reads the HTML files of a directory (default: the
// PostgreSQL 15 manual, postgresql-doc-15), makes of each the FetchResult a
// crawl of it over HTTP/1.1 would hand the WARC sink (the exchange as sent
// and received, the links extracted, the body's digest computed), then
// times WarcWriter::write() over all of them, --repeat times (a fresh
// archive each time), on this thread's CPU clock. Prints µs per page and
// archive bytes per page for each round, then the median.
//
//   build/crawl-warc-writer-bench [--dir DIR] [--repeat N] [--level L]
//
// Deterministic work: what a change to the writer (records, digests,
// compression) costs or saves shows here without the noise of a crawl.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/digest.h"
#include "core/fetch_types.h"
#include "storage/warc_writer.h"
#include "web/links.h"

namespace {

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

crawl::FetchResult page_of(const std::string& url, std::string body) {
  crawl::FetchResult r;
  r.request.url = url;
  r.request.depth = 3;
  r.request.referrer = "http://127.0.0.1:8080/index.html";
  r.final_url = url;
  r.status = 200;
  r.elapsed_ms = 2;
  r.links = crawl::serialize_page_links(crawl::extract_page_links_html5(body, url));
  r.body_digest = crawl::sha1_digest(body);
  crawl::WireExchange x;
  x.url = url;
  x.ip = "127.0.0.1";
  x.request = "GET " + url.substr(url.find('/', 7)) +
              " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: crawl/1.0\r\nAccept: */*\r\n"
              "Accept-Encoding: deflate, gzip, br, zstd\r\n\r\n";
  x.response = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 11:22:33 GMT\r\n"
               "Content-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\nLast-Modified: Tue, 01 Dec 2026 08:00:00 GMT\r\nConnection: keep-alive\r\n"
               "ETag: \"61c2b0e4-39e7\"\r\nAccept-Ranges: bytes\r\n\r\n";
  x.body = body;
  r.body = std::move(body);
  r.wire = std::make_shared<const std::vector<crawl::WireExchange>>(std::vector<crawl::WireExchange>{std::move(x)});
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/usr/share/doc/postgresql-doc-15/html";
  int repeat = 5;
  int level = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
    else if (a == "--level" && i + 1 < argc) level = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: crawl-warc-writer-bench [--dir DIR] [--repeat N] [--level L]\n");
      return 2;
    }
  }
  std::vector<crawl::FetchResult> pages;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || e.path().extension() != ".html") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    pages.push_back(page_of("http://127.0.0.1:8080/" + std::filesystem::relative(e.path(), dir).string(), std::move(body)));
  }
  if (pages.empty()) {
    std::fprintf(stderr, "crawl-warc-writer-bench: no .html files under %s (apt-get install postgresql-doc-15)\n",
                 dir.c_str());
    return 2;
  }
  const auto out = std::filesystem::temp_directory_path() / ("warc-writer-bench." + std::to_string(::getpid()));
  std::filesystem::create_directories(out);
  std::vector<double> us;
  for (int round = 0; round < repeat; ++round) {
    crawl::WarcWriterOptions o;
    o.prefix = (out / ("r" + std::to_string(round))).string();
    o.gzip_level = level;
    o.info = {{"software", "crawl-warc-writer-bench"}};
    std::uintmax_t bytes = 0;
    double spent = 0;
    {
      crawl::WarcWriter w(o);
      const double start = thread_cpu_us();
      for (const auto& p : pages)
        if (auto error = w.write(p)) {
          std::fprintf(stderr, "crawl-warc-writer-bench: %s\n", error->c_str());
          return 1;
        }
      if (auto error = w.close()) {
        std::fprintf(stderr, "crawl-warc-writer-bench: %s\n", error->c_str());
        return 1;
      }
      spent = thread_cpu_us() - start;
    }
    for (const auto& e : std::filesystem::directory_iterator(out))
      if (e.path().filename().string().starts_with("r" + std::to_string(round) + "-") &&
          e.path().extension() == ".gz")
        bytes += e.file_size();
    us.push_back(spent / static_cast<double>(pages.size()));
    std::printf("round %d: %zu pages, %.1f us/page, %.0f archive bytes/page\n", round + 1, pages.size(), us.back(),
                static_cast<double>(bytes) / static_cast<double>(pages.size()));
  }
  std::filesystem::remove_all(out, ec);
  std::sort(us.begin(), us.end());
  std::printf("median: %.1f us/page (level %d, %s)\n", us[us.size() / 2], level, dir.c_str());
  return 0;
}

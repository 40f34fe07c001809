// Tests of the project's own test web server, through a small synchronous
// Beast client (no curl, so the server is checked independently of the
// fetcher it is meant to test).
// GCC 12 reports false positives inside Boost and libstdc++ headers when
// instrumenting for sanitizers; normal builds keep every warning.
#if defined(__SANITIZE_ADDRESS__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#elif defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include <unistd.h>
#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "gtest/gtest.h"
#include "core/child_process.h"
#include "core/process.h"
#include "tests/gzip_members.h"
#include "tools/testserver/test_server.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using crawl::testserver::http_date;
using crawl::testserver::SiteOptions;
using crawl::testserver::TestServer;
using Response = http::response<http::string_body>;
using Custom = crawl::testserver::Response;
using Clock = std::chrono::steady_clock;

// A blocking client connection to one host of the server.
class Client {
 public:
  explicit Client(const std::string& url) : socket_(ioc_) {
    const auto u = urls::parse_uri(url).value();
    socket_.connect({asio::ip::make_address(u.host()), u.port_number()});
    host_ = u.encoded_host_and_port();
  }

  using Fields = std::vector<std::pair<http::field, std::string>>;

  void send(std::string_view target, bool keep_alive = true, http::verb method = http::verb::get,
            const Fields& fields = {}) {
    http::request<http::empty_body> req{method, target, 11};
    req.set(http::field::host, host_);
    req.keep_alive(keep_alive);
    for (const auto& [name, value] : fields) req.insert(name, value);
    http::write(socket_, req);
  }

  Response receive(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(head);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }

  // Reads until the server closes; returns what came (should be nothing).
  std::string read_to_end(beast::error_code& ec) {
    std::string rest(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    char data[4096];
    for (std::size_t n; (n = socket_.read_some(asio::buffer(data), ec)), !ec;) rest.append(data, n);
    return rest;
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  std::string host_;
  beast::flat_buffer buffer_;
};

// One request on a fresh connection (Connection: close).
Response fetch(const std::string& url, http::verb method = http::verb::get, const Client::Fields& fields = {}) {
  const auto u = urls::parse_uri(url).value();
  Client client(url);
  client.send(u.encoded_target(), false, method, fields);
  return client.receive(method == http::verb::head);
}

// A GET with If-None-Match / If-Modified-Since (empty: not sent).
Response fetch_if(const std::string& url, const std::string& if_none_match, const std::string& if_modified_since = {}) {
  Client::Fields fields;
  if (!if_none_match.empty()) fields.emplace_back(http::field::if_none_match, if_none_match);
  if (!if_modified_since.empty()) fields.emplace_back(http::field::if_modified_since, if_modified_since);
  return fetch(url, http::verb::get, fields);
}

std::string header(const Response& res, http::field field) { return std::string(res[field]); }

using crawl::testing::gunzip;

std::vector<std::string> hrefs(const std::string& html) {
  static const std::regex kHref(R"re(href="([^"]*)")re");
  std::vector<std::string> out;
  for (std::sregex_iterator it(html.begin(), html.end(), kHref), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

// Breadth-first crawl from the roots, RFC 3986 resolution, no fragments;
// pages that do not answer 200 are recorded but not followed.
std::map<std::string, unsigned> crawl_site(const TestServer& server) {
  const auto roots = server.root_urls();
  std::map<std::string, unsigned> status;
  std::deque<std::string> queue(roots.begin(), roots.end());
  for (const auto& root : roots) status[root] = 0;
  while (!queue.empty()) {
    const std::string url = queue.front();
    queue.pop_front();
    const auto res = fetch(url);
    status[url] = res.result_int();
    if (res.result() != http::status::ok) continue;
    for (const auto& href : hrefs(res.body())) {
      if (href.starts_with("mailto:") || href.starts_with("javascript:")) continue;
      urls::url resolved;
      if (!urls::resolve(urls::url_view(url), urls::parse_uri_reference(href).value(), resolved)) continue;
      resolved.remove_fragment();
      resolved.normalize();
      const std::string found(resolved.buffer());
      if (status.emplace(found, 0).second) queue.push_back(found);
    }
  }
  return status;
}

// "/page/N.html" paths with a host index instead of the (ephemeral) port.
std::set<std::string> without_ports(const TestServer& server, const std::set<std::string>& site) {
  std::set<std::string> out;
  for (const auto& url : site)
    for (int h = 0; h < server.host_count(); ++h)
      if (url.starts_with(server.root_url(h))) out.insert(std::to_string(h) + url.substr(server.root_url(h).size() - 1));
  return out;
}

std::set<std::string> locs(const std::string& xml) {
  static const std::regex kLoc("<loc>([^<]*)</loc>");
  std::set<std::string> out;
  for (std::sregex_iterator it(xml.begin(), xml.end(), kLoc), end; it != end; ++it) out.insert((*it)[1]);
  return out;
}

SiteOptions small_site() {
  SiteOptions options;
  options.hosts = 3;
  options.pages_per_host = 12;
  options.page_size = 3000;
  return options;
}

// One line from a pipe (crawl-testserver --control's stdout).
std::string read_line(int fd) {
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

void write_line(int fd, const std::string& line) {
  const std::string text = line + "\n";
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

// The protocol crawl bench drives the server process with (main.cpp).
TEST(TestServerProgram, ControlModeAnswersStatsAndResetAndEndsWithItsStdin) {
  const auto program = std::filesystem::path(CRAWL_BIN).parent_path() / "crawl-testserver";
  crawl::ChildOptions o;
  o.argv = {program.string(), "--control", "--hosts", "2", "--pages", "3", "--error-rate", "0"};
  o.in = crawl::ChildStream::pipe();
  o.out = crawl::ChildStream::pipe();
  crawl::ChildProcess server(o);
  const std::string root0 = read_line(server.stdout_fd());
  const std::string root1 = read_line(server.stdout_fd());
  EXPECT_EQ(root0.rfind("http://127.0.1.1:", 0), 0u) << root0;
  EXPECT_EQ(root1.rfind("http://127.0.1.2:", 0), 0u) << root1;
  EXPECT_EQ(read_line(server.stdout_fd()), "ready site_pages=8 error_pages=0");

  EXPECT_EQ(fetch(root0).result_int(), 200u);
  EXPECT_EQ(fetch(root1 + "page/1.html").result_int(), 200u);
  write_line(server.stdin_fd(), "stats");
  EXPECT_EQ(read_line(server.stdout_fd()).rfind("stats requests=2 peak_concurrent_requests=", 0), 0u);
  write_line(server.stdin_fd(), "reset");
  EXPECT_EQ(read_line(server.stdout_fd()), "ok");
  write_line(server.stdin_fd(), "stats");
  EXPECT_EQ(read_line(server.stdout_fd()).rfind("stats requests=0 ", 0), 0u);
  write_line(server.stdin_fd(), "nonsense");
  EXPECT_EQ(read_line(server.stdout_fd()).rfind("error unknown command 'nonsense'", 0), 0u);

  server.close_stdin();  // as when crawl bench ends, however it ends
  EXPECT_EQ(server.wait().exit_code, 0);
}

TEST(TestServerProgram, ValidatorAndRotateEtagFlags) {
  const auto program = std::filesystem::path(CRAWL_BIN).parent_path() / "crawl-testserver";
  for (const char* flag : {"--validators", "--rotate-etags"}) {
    SCOPED_TRACE(flag);
    crawl::ChildOptions o;
    o.argv = {program.string(), "--control", "--hosts", "1", "--pages", "2", flag};
    o.in = crawl::ChildStream::pipe();
    o.out = crawl::ChildStream::pipe();
    crawl::ChildProcess server(o);
    const std::string root = read_line(server.stdout_fd());
    EXPECT_EQ(read_line(server.stdout_fd()), "ready site_pages=3 error_pages=0");
    const auto first = fetch(root + "page/1.html");
    const auto etag = header(first, http::field::etag);
    EXPECT_FALSE(etag.empty());
    const auto again = fetch_if(root + "page/1.html", etag);
    if (std::string_view(flag) == "--validators") {
      EXPECT_EQ(again.result(), http::status::not_modified);
      EXPECT_FALSE(header(first, http::field::last_modified).empty());
    } else {
      EXPECT_EQ(again.result(), http::status::ok);
      EXPECT_NE(header(again, http::field::etag), etag);
    }
    write_line(server.stdin_fd(), "stats");
    EXPECT_NE(read_line(server.stdout_fd()).find(std::string(" not_modified=") + (again.result_int() == 304 ? "1" : "0")),
              std::string::npos);
    server.close_stdin();
    EXPECT_EQ(server.wait().exit_code, 0);
  }
}

TEST(TestServer, RootsAndPagesServeHtmlOfPageSize) {
  TestServer server(small_site());
  ASSERT_EQ(server.host_count(), 3);
  EXPECT_EQ(server.root_url(0).rfind("http://127.0.1.1:", 0), 0u);
  EXPECT_EQ(server.root_url(2).rfind("http://127.0.1.3:", 0), 0u);
  for (const auto& root : server.root_urls()) {
    const auto res = fetch(root);
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(header(res, http::field::content_type), "text/html; charset=utf-8");
    EXPECT_NE(res.body().find("href=\"/page/0.html\""), std::string::npos);
  }
  for (int h = 0; h < 3; ++h) {
    for (int p = 0; p < 12; ++p) {
      const auto res = fetch(server.page_url(h, p));
      ASSERT_EQ(res.result(), http::status::ok) << server.page_url(h, p);
      EXPECT_EQ(header(res, http::field::content_type), "text/html; charset=utf-8");
      EXPECT_EQ(res.body().size(), 3000u);
      EXPECT_EQ(header(res, http::field::content_length), "3000");
    }
  }
  EXPECT_EQ(fetch(server.page_url(0, 12)).result(), http::status::not_found);
  EXPECT_EQ(fetch(server.root_url(0) + "page/01.html").result(), http::status::not_found);
  EXPECT_EQ(fetch(server.root_url(0) + "robots.txt").result(), http::status::not_found);
  const auto head = fetch(server.page_url(1, 3), http::verb::head);
  EXPECT_EQ(header(head, http::field::content_length), "3000");
  EXPECT_TRUE(head.body().empty());
}

TEST(TestServer, SiteUrlsAreRootsPlusAllPages) {
  TestServer server(small_site());
  const auto site = server.site_urls();
  EXPECT_EQ(site.size(), 3u * (12 + 1));
  for (int h = 0; h < 3; ++h) {
    EXPECT_TRUE(site.contains(server.root_url(h)));
    for (int p = 0; p < 12; ++p) EXPECT_TRUE(site.contains(server.page_url(h, p)));
  }
}

// A breadth-first crawl with RFC 3986 resolution finds exactly site_urls().
TEST(TestServer, LinksResolveExactlyToSiteUrls) {
  auto options = small_site();
  options.links_per_page = 4;
  options.cross_links = 2;
  TestServer server(options);
  const auto site = server.site_urls();
  const auto roots = server.root_urls();
  std::set<std::string> seen(roots.begin(), roots.end());
  std::deque<std::string> queue(seen.begin(), seen.end());
  std::set<std::string> spellings;  // which href forms were exercised
  while (!queue.empty()) {
    const std::string url = queue.front();
    queue.pop_front();
    const auto res = fetch(url);
    ASSERT_EQ(res.result(), http::status::ok) << url;
    for (const auto& href : hrefs(res.body())) {
      if (href.starts_with("mailto:") || href.starts_with("javascript:")) continue;
      if (href.starts_with("./")) spellings.insert("./");
      if (href.starts_with("../")) spellings.insert("../");
      if (href.starts_with("//")) spellings.insert("//");
      if (href.starts_with("http:")) spellings.insert("http:");
      if (href.find('#') != std::string::npos) spellings.insert("#");
      urls::url resolved;
      ASSERT_TRUE(urls::resolve(urls::url_view(url), urls::parse_uri_reference(href).value(), resolved)) << href;
      resolved.remove_fragment();
      resolved.normalize();
      const std::string found(resolved.buffer());
      EXPECT_TRUE(site.contains(found)) << href << " on " << url << " -> " << found;
      if (seen.insert(found).second) queue.push_back(found);
    }
  }
  EXPECT_EQ(seen, site);
  EXPECT_EQ(spellings, (std::set<std::string>{"./", "../", "//", "http:", "#"}));
}

TEST(TestServer, StatusRoutes) {
  TestServer server(small_site());
  const auto root = server.root_url(1);
  const auto unavailable = fetch(root + "status/503");
  EXPECT_EQ(unavailable.result_int(), 503u);
  EXPECT_EQ(header(unavailable, http::field::retry_after), "1");
  EXPECT_EQ(fetch(root + "status/429").result_int(), 429u);
  EXPECT_EQ(fetch(root + "status/404").result_int(), 404u);
  const auto no_content = fetch(root + "status/204");
  EXPECT_EQ(no_content.result_int(), 204u);
  EXPECT_TRUE(no_content.body().empty());
  EXPECT_EQ(fetch(root + "status/42").result(), http::status::not_found);
}

TEST(TestServer, RedirectRoutes) {
  TestServer server(small_site());
  const auto root = server.root_url(0);
  const auto two = fetch(root + "redirect/2");
  EXPECT_EQ(two.result(), http::status::found);
  EXPECT_EQ(header(two, http::field::location), "/redirect/1");
  EXPECT_EQ(header(fetch(root + "redirect/0"), http::field::location), "/page/0.html");
  EXPECT_EQ(header(fetch(root + "loop"), http::field::location), "/loop");
}

TEST(TestServer, GzipAndBadGzip) {
  TestServer server(small_site());
  const auto good = fetch(server.root_url(0) + "gzip");
  EXPECT_EQ(header(good, http::field::content_encoding), "gzip");
  ASSERT_GE(good.body().size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(good.body()[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(good.body()[1]), 0x8b);
  EXPECT_NE(gunzip(good.body()).find("gzip-ok"), std::string::npos);
  const auto bad = fetch(server.root_url(0) + "bad-gzip");
  EXPECT_EQ(header(bad, http::field::content_encoding), "gzip");
  EXPECT_NE(static_cast<unsigned char>(bad.body().at(0)), 0x1f);
}

TEST(TestServer, BigBodies) {
  TestServer server(small_site());
  const auto big = fetch(server.root_url(0) + "big?bytes=200001");
  EXPECT_EQ(header(big, http::field::content_length), "200001");
  EXPECT_EQ(big.body().size(), 200001u);
  const auto chunked = fetch(server.root_url(0) + "big-chunked?bytes=150000");
  EXPECT_TRUE(chunked.chunked());
  EXPECT_FALSE(chunked.has_content_length());
  EXPECT_EQ(chunked.body().size(), 150000u);
  EXPECT_EQ(fetch(server.root_url(0) + "big-chunked?bytes=0").body().size(), 0u);
}

TEST(TestServer, LinksRoute) {
  TestServer server(small_site());
  const auto links = hrefs(fetch(server.root_url(0) + "links?n=30").body());
  EXPECT_EQ(std::set<std::string>(links.begin(), links.end()).size(), 30u);
}

TEST(TestServer, ResetClosesWithoutResponseAndBalancesCounters) {
  TestServer server(small_site());
  {
    Client client(server.root_url(0));
    client.send("/reset");
    beast::error_code ec;
    EXPECT_EQ(client.read_to_end(ec), "");
    EXPECT_TRUE(ec);
  }
  EXPECT_EQ(fetch(server.root_url(0)).result(), http::status::ok);
  const auto stats = server.stats(0);
  EXPECT_EQ(stats.requests, 2u);
  EXPECT_EQ(stats.requests_by_target.at("/reset"), 1);
  EXPECT_EQ(stats.peak_concurrent_requests, 1);  // /reset was not left "in flight"
}

TEST(TestServer, KeepAliveAndConnectionClose) {
  TestServer server(small_site());
  Client client(server.root_url(0));
  for (int p = 0; p < 3; ++p) {
    client.send("/page/" + std::to_string(p) + ".html");
    EXPECT_EQ(client.receive().result(), http::status::ok);
  }
  client.send("/", false);
  EXPECT_EQ(client.receive().result(), http::status::ok);
  beast::error_code ec;
  EXPECT_EQ(client.read_to_end(ec), "");
  EXPECT_EQ(ec, asio::error::eof);
  const auto stats = server.stats(0);
  EXPECT_EQ(stats.requests, 4u);
  EXPECT_EQ(stats.peak_connections, 1);
  EXPECT_EQ(stats.requests_by_target.at("/page/1.html"), 1);
}

TEST(TestServer, CountsPeakConcurrency) {
  auto options = small_site();
  options.threads = 2;
  TestServer server(options);
  std::vector<std::thread> clients;
  for (int i = 0; i < 5; ++i)
    clients.emplace_back([&server] { EXPECT_EQ(fetch(server.root_url(2) + "slow?ms=500").result(), http::status::ok); });
  for (auto& c : clients) c.join();
  auto stats = server.stats(2);
  EXPECT_EQ(stats.requests, 5u);
  EXPECT_EQ(stats.peak_concurrent_requests, 5);
  EXPECT_EQ(stats.peak_connections, 5);
  EXPECT_EQ(stats.requests_by_target.at("/slow?ms=500"), 5);
  EXPECT_EQ(server.stats(0).requests, 0u);

  // The last write's completion may not have run yet: peaks restart from
  // what is still in flight, so 0 or 1 here.
  server.reset_stats();
  EXPECT_EQ(server.stats(2).requests, 0u);
  EXPECT_LE(server.stats(2).peak_concurrent_requests, 1);
  EXPECT_TRUE(server.stats(2).requests_by_target.empty());
}

// Many simultaneous connections on a multi-threaded server; counts stay exact.
TEST(TestServer, ManyConnectionsExactCounts) {
  crawl::raise_open_file_limit();
  auto options = small_site();
  options.threads = 2;
  TestServer server(options);
  constexpr int kConnections = 1000;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kConnections; ++i) clients.push_back(std::make_unique<Client>(server.root_url(0)));
  for (auto& c : clients) c->send("/page/3.html");
  for (auto& c : clients) EXPECT_EQ(c->receive().body().size(), 3000u);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&clients, t] {
      for (int i = t; i < kConnections; i += 4) {
        clients[i]->send("/");
        EXPECT_EQ(clients[i]->receive().result(), http::status::ok);
      }
    });
  for (auto& t : threads) t.join();
  const auto stats = server.stats(0);
  EXPECT_EQ(stats.requests, 2u * kConnections);
  EXPECT_EQ(stats.peak_connections, kConnections);
  EXPECT_EQ(stats.requests_by_target.at("/page/3.html"), kConnections);
}

TEST(TestServer, DelayOptionDelaysEveryResponse) {
  auto options = small_site();
  options.delay = std::chrono::milliseconds(200);
  TestServer server(options);
  const auto start = Clock::now();
  EXPECT_EQ(fetch(server.page_url(0, 0)).result(), http::status::ok);
  EXPECT_EQ(fetch(server.root_url(0) + "status/500").result_int(), 500u);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(400));
}

TEST(TestServer, RandomDelaysStayInBoundsAndFollowTheSeed) {
  auto delays = [](std::uint64_t seed) {
    auto options = small_site();
    options.delay = std::chrono::milliseconds(10);
    options.delay_max = std::chrono::milliseconds(60);
    options.seed = seed;
    TestServer server(options);
    std::vector<int> drawn;
    for (int i = 0; i < 12; ++i) {
      const auto start = Clock::now();
      const auto res = fetch(server.page_url(1, i % 12));
      const auto elapsed = Clock::now() - start;
      EXPECT_EQ(res.result(), http::status::ok);
      drawn.push_back(std::stoi(std::string(res["X-Test-Delay-Ms"])));
      EXPECT_GE(drawn.back(), 10);
      EXPECT_LE(drawn.back(), 60);
      EXPECT_GE(elapsed, std::chrono::milliseconds(drawn.back()));
    }
    return drawn;
  };
  const auto first = delays(7);
  EXPECT_EQ(delays(7), first);
  EXPECT_NE(delays(8), first);
  EXPECT_GT(std::set<int>(first.begin(), first.end()).size(), 3u);

  // delay_max <= delay: the fixed delay, no header.
  auto options = small_site();
  options.delay = std::chrono::milliseconds(30);
  options.delay_max = std::chrono::milliseconds(5);
  TestServer server(options);
  const auto start = Clock::now();
  const auto res = fetch(server.root_url(0));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(30));
  EXPECT_TRUE(res["X-Test-Delay-Ms"].empty());
}

TEST(TestServer, ErrorPagesAreSeededAndSiteUrlsStayReachable) {
  auto options = small_site();
  options.pages_per_host = 40;
  options.error_rate = 0.25;
  options.seed = 3;
  TestServer server(options);
  const auto site = server.site_urls();
  const auto errors = server.error_urls();
  EXPECT_TRUE(std::includes(site.begin(), site.end(), errors.begin(), errors.end()));

  // About a quarter of all pages answer 500; the rest their page.
  int failing = 0;
  for (int h = 0; h < 3; ++h) {
    for (int p = 0; p < 40; ++p) {
      const auto url = server.page_url(h, p);
      const auto res = fetch(url);
      if (res.result_int() == 500) {
        ++failing;
        EXPECT_NE(res.body().find("500"), std::string::npos);
        EXPECT_EQ(header(res, http::field::content_type), "text/html; charset=utf-8");
      } else {
        EXPECT_EQ(res.result(), http::status::ok) << url;
      }
      if (site.contains(url)) {
        EXPECT_EQ(errors.contains(url), res.result_int() == 500) << url;
      }
    }
  }
  EXPECT_GE(failing, 15);
  EXPECT_LE(failing, 45);
  EXPECT_GE(errors.size(), 5u);

  // A crawl finds exactly site_urls(), and the 500s among them are error_urls().
  const auto crawled = crawl_site(server);
  std::set<std::string> found, found_errors;
  for (const auto& [url, status] : crawled) {
    found.insert(url);
    if (status == 500) found_errors.insert(url);
  }
  EXPECT_EQ(found, site);
  EXPECT_EQ(found_errors, errors);

  // Same seed, same error pages; another seed, others.
  TestServer same(options);
  EXPECT_EQ(without_ports(same, same.error_urls()), without_ports(server, errors));
  options.seed = 4;
  TestServer other(options);
  EXPECT_NE(without_ports(other, other.error_urls()), without_ports(server, errors));

  // Every page failing: each host's page 0 is all that is left to reach.
  options.error_rate = 1;
  TestServer broken(options);
  std::set<std::string> expected;
  for (int h = 0; h < 3; ++h) expected.insert(broken.page_url(h, 0));
  EXPECT_EQ(broken.error_urls(), expected);
  EXPECT_EQ(broken.site_urls().size(), 6u);
  EXPECT_EQ(fetch(broken.page_url(2, 39)).result_int(), 500u);
}

TEST(TestServer, HttpDateIsImfFixdate) {
  using std::chrono::seconds;
  const std::chrono::system_clock::time_point epoch{};
  EXPECT_EQ(http_date(epoch + seconds(784111777)), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110 5.6.7
  EXPECT_EQ(http_date(epoch), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date(epoch + seconds(951782400) + std::chrono::milliseconds(999)), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(TestServer, SetResponseOverridesExactTargets) {
  TestServer server(small_site());
  const auto root0 = server.root_url(0);
  Custom robots;
  robots.body = "User-agent: *\nDisallow: /private\n";
  robots.content_type = "text/plain";
  server.set_response(0, "/robots.txt", robots);
  Custom moved;
  moved.status = 301;
  moved.headers = {{"Location", "/robots-moved.txt"}};
  server.set_response(1, "/robots.txt", moved);
  Custom page;
  page.body = R"(<a rel="nofollow" href="/page/5.html">x</a><meta name="robots" content="noindex,nofollow">)";
  page.headers = {{"X-Robots-Tag", "noindex"}, {"Link", "<a>"}, {"Link", "<b>"}};
  server.set_response(0, "/page/1.html", page);

  const auto txt = fetch(root0 + "robots.txt");
  EXPECT_EQ(txt.result(), http::status::ok);
  EXPECT_EQ(header(txt, http::field::content_type), "text/plain");
  EXPECT_EQ(txt.body(), robots.body);
  const auto redirect = fetch(server.root_url(1) + "robots.txt");
  EXPECT_EQ(redirect.result_int(), 301u);
  EXPECT_EQ(header(redirect, http::field::location), "/robots-moved.txt");
  EXPECT_EQ(fetch(server.root_url(2) + "robots.txt").result(), http::status::not_found);  // per host
  const auto custom = fetch(server.page_url(0, 1));
  EXPECT_EQ(custom.body(), page.body);
  EXPECT_EQ(header(custom, http::field::content_type), "text/html; charset=utf-8");
  EXPECT_EQ(std::string(custom["X-Robots-Tag"]), "noindex");
  EXPECT_EQ(custom.count(http::field::link), 2u);
  EXPECT_EQ(fetch(server.page_url(0, 1) + "?x=1").body().size(), 3000u);  // exact target only
  EXPECT_EQ(fetch(server.page_url(1, 1)).body().size(), 3000u);
  const auto head = fetch(root0 + "robots.txt", http::verb::head);
  EXPECT_EQ(header(head, http::field::content_length), std::to_string(robots.body.size()));
  EXPECT_EQ(fetch(root0 + "robots.txt", http::verb::post).result(), http::status::method_not_allowed);

  server.set_response(0, "/robots.txt", moved);  // replaces
  EXPECT_EQ(fetch(root0 + "robots.txt").result_int(), 301u);
  server.clear_responses();
  EXPECT_EQ(fetch(root0 + "robots.txt").result(), http::status::not_found);
  EXPECT_EQ(fetch(server.root_url(1) + "robots.txt").result(), http::status::not_found);
  EXPECT_EQ(fetch(server.page_url(0, 1)).body().size(), 3000u);

  Custom bad;
  EXPECT_THROW(server.set_response(3, "/x", bad), std::out_of_range);
  EXPECT_THROW(server.set_response(0, "x", bad), std::invalid_argument);
  bad.status = 99;
  EXPECT_THROW(server.set_response(0, "/x", bad), std::invalid_argument);
  bad.status = 200;
  bad.headers = {{"X-Evil", "a\r\nSet-Cookie: b"}};
  EXPECT_THROW(server.set_response(0, "/x", bad), std::invalid_argument);
  bad.headers.clear();
  bad.etag = "\"a\"\r\nX-Evil: 1";
  EXPECT_THROW(server.set_response(0, "/x", bad), std::invalid_argument);
}

TEST(TestServer, SetResponseFailsFirstRequestsWithRetryAfter) {
  TestServer server(small_site());
  Custom flaky;
  flaky.body = "finally";
  flaky.fail_first = 2;
  flaky.fail_status = 429;
  flaky.fail_retry_after = "2";
  server.set_response(2, "/flaky?q=1", flaky);
  const auto url = server.root_url(2) + "flaky?q=1";
  for (int i = 0; i < 2; ++i) {
    const auto res = fetch(url);
    EXPECT_EQ(res.result_int(), 429u);
    EXPECT_EQ(header(res, http::field::retry_after), "2");
    EXPECT_NE(res.body().find("429"), std::string::npos);
  }
  EXPECT_EQ(fetch(url).body(), "finally");
  EXPECT_EQ(fetch(url).body(), "finally");

  // Setting it again restarts the count; an HTTP-date, or no Retry-After.
  flaky.fail_first = 1;
  flaky.fail_status = 503;
  flaky.fail_retry_after = http_date(std::chrono::system_clock::now() + std::chrono::seconds(30));
  server.set_response(2, "/flaky?q=1", flaky);
  const auto unavailable = fetch(url);
  EXPECT_EQ(unavailable.result_int(), 503u);
  EXPECT_EQ(header(unavailable, http::field::retry_after), flaky.fail_retry_after);
  EXPECT_EQ(fetch(url).body(), "finally");
  flaky.fail_retry_after.clear();
  server.set_response(2, "/flaky?q=1", flaky);
  const auto plain = fetch(url);
  EXPECT_EQ(plain.result_int(), 503u);
  EXPECT_EQ(plain.count(http::field::retry_after), 0u);
}

TEST(TestServer, SitemapsListEveryPageOfTheHost) {
  TestServer server(small_site());
  for (int h = 0; h < 3; ++h) {
    const auto root = server.root_url(h);
    std::set<std::string> pages;
    for (int p = 0; p < 12; ++p) pages.insert(server.page_url(h, p));
    const auto xml = fetch(root + "sitemap.xml");
    EXPECT_EQ(xml.result(), http::status::ok);
    EXPECT_EQ(header(xml, http::field::content_type), "application/xml");
    EXPECT_TRUE(xml.body().starts_with("<?xml"));
    EXPECT_NE(xml.body().find("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"), std::string::npos);
    EXPECT_EQ(locs(xml.body()), pages);
    const auto gz = fetch(root + "sitemap.xml.gz");
    EXPECT_EQ(header(gz, http::field::content_type), "application/gzip");
    EXPECT_EQ(gz.count(http::field::content_encoding), 0u);
    EXPECT_EQ(gunzip(gz.body()), xml.body());

    const auto index = fetch(root + "sitemap_index.xml");
    EXPECT_NE(index.body().find("<sitemapindex"), std::string::npos);
    EXPECT_EQ(locs(index.body()), (std::set<std::string>{root + "sitemap-a.xml", root + "sitemap-b.xml.gz"}));
    const auto a = locs(fetch(root + "sitemap-a.xml").body());
    const auto b_res = fetch(root + "sitemap-b.xml.gz");
    EXPECT_EQ(header(b_res, http::field::content_type), "application/gzip");
    const auto b = locs(gunzip(b_res.body()));
    EXPECT_EQ(a.size(), 6u);
    EXPECT_EQ(b.size(), 6u);
    std::set<std::string> both = a;
    both.insert(b.begin(), b.end());
    EXPECT_EQ(both, pages);
  }

  // With error pages, sitemaps list exactly the host's part of site_urls().
  auto options = small_site();
  options.error_rate = 1;
  TestServer broken(options);
  EXPECT_EQ(locs(fetch(broken.root_url(1) + "sitemap.xml").body()), std::set<std::string>{broken.page_url(1, 0)});
}

TEST(TestServer, StatusRetryAfterOptions) {
  TestServer server(small_site());
  const auto root = server.root_url(0);
  EXPECT_EQ(header(fetch(root + "status/429"), http::field::retry_after), "1");
  EXPECT_EQ(header(fetch(root + "status/429?retry_after=5"), http::field::retry_after), "5");
  EXPECT_EQ(header(fetch(root + "status/200?retry_after=3"), http::field::retry_after), "3");
  EXPECT_EQ(fetch(root + "status/503?retry_after=none").count(http::field::retry_after), 0u);
  EXPECT_EQ(fetch(root + "status/500").count(http::field::retry_after), 0u);
  const auto before = std::chrono::system_clock::now();
  const auto dated = header(fetch(root + "status/503?retry_after=date:5"), http::field::retry_after);
  const auto after = std::chrono::system_clock::now();
  EXPECT_TRUE(dated == http_date(before + std::chrono::seconds(5)) || dated == http_date(after + std::chrono::seconds(5)))
      << dated;
}

TEST(TestServer, RequestLogRecordsArrivalOrderTimesAndStatus) {
  auto options = small_site();
  options.delay = std::chrono::milliseconds(20);
  TestServer server(options);
  const auto start = Clock::now();
  {
    Client client(server.root_url(1));
    for (const char* target : {"/robots.txt", "/page/0.html", "/status/503"}) {
      client.send(target);
      EXPECT_NE(client.receive().result_int(), 0u);
    }
    client.send("/reset");
    beast::error_code ec;
    client.read_to_end(ec);
  }
  auto log = server.stats(1).log;
  ASSERT_EQ(log.size(), 4u);
  const std::vector<std::pair<std::string, int>> expected = {
      {"/robots.txt", 404}, {"/page/0.html", 200}, {"/status/503", 503}, {"/reset", 0}};
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].target, expected[i].first);
    EXPECT_EQ(log[i].status, expected[i].second);
    EXPECT_GE(log[i].received, start);
    EXPECT_GE(log[i].responded, log[i].received);
    if (i > 0) {
      EXPECT_GE(log[i].received, log[i - 1].responded);  // one connection, in turn
    }
    if (i < 3) {
      EXPECT_GE(log[i].responded - log[i].received, std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(server.stats(0).log.empty());

  // Concurrent requests: arrival order, each with its own response time.
  server.reset_stats();
  EXPECT_TRUE(server.stats(1).log.empty());
  std::thread slow([&server] { fetch(server.root_url(1) + "slow?ms=200"); });
  while (server.stats(1).requests == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(fetch(server.root_url(1)).result(), http::status::ok);
  slow.join();
  log = server.stats(1).log;
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].target, "/slow?ms=200");
  EXPECT_EQ(log[1].target, "/");
  EXPECT_LT(log[1].responded, log[0].responded);
  EXPECT_GE(log[0].responded - log[0].received, std::chrono::milliseconds(220));

  // A request in flight during reset_stats() is not logged when it ends.
  std::thread late([&server] { fetch(server.root_url(1) + "slow?ms=100"); });
  while (server.stats(1).requests < 3) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  server.reset_stats();
  late.join();
  EXPECT_TRUE(server.stats(1).log.empty());
}

TEST(TestServer, RedirectToDecodesTheUrl) {
  TestServer server(small_site());
  const auto root = server.root_url(0);
  const auto off_host = fetch(root + "redirect-to?url=http%3A%2F%2F127.0.1.2%3A8080%2Fpage%2F3.html%3Fa%3D1%26b%3D2");
  EXPECT_EQ(off_host.result(), http::status::found);
  EXPECT_EQ(header(off_host, http::field::location), "http://127.0.1.2:8080/page/3.html?a=1&b=2");
  EXPECT_EQ(header(fetch(root + "redirect-to?x=1&url=/page/2.html"), http::field::location), "/page/2.html");
  EXPECT_EQ(fetch(root + "redirect-to").result(), http::status::bad_request);
  EXPECT_EQ(fetch(root + "redirect-to?url=").result(), http::status::bad_request);
  EXPECT_EQ(fetch(root + "redirect-to?url=%2Fa%0D%0AX-Evil:%201").result(), http::status::bad_request);
}

TEST(TestServer, StopClosesConnectionsAndIsIdempotent) {
  TestServer server(small_site());
  Client idle(server.root_url(0));
  Client waiting(server.root_url(0));
  waiting.send("/slow?ms=60000");
  while (server.stats(0).requests == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto start = Clock::now();
  server.stop();
  server.stop();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  beast::error_code ec;
  EXPECT_EQ(waiting.read_to_end(ec), "");
  EXPECT_TRUE(ec);
  EXPECT_EQ(idle.read_to_end(ec), "");
  EXPECT_TRUE(ec);
  EXPECT_EQ(server.stats(0).requests, 1u);
  EXPECT_THROW(Client{server.root_url(0)}, boost::system::system_error);
}

TEST(TestServer, RejectsNonLoopbackAndBadOptions) {
  SiteOptions options;
  options.first_address = "10.0.0.1";
  EXPECT_THROW(TestServer{options}, std::runtime_error);
  options.first_address = "127.255.255.255";
  options.hosts = 2;
  EXPECT_THROW(TestServer{options}, std::runtime_error);
  options = SiteOptions{};
  options.pages_per_host = 0;
  EXPECT_THROW(TestServer{options}, std::runtime_error);
  options = SiteOptions{};
  options.error_rate = 1.5;
  EXPECT_THROW(TestServer{options}, std::runtime_error);
  options.error_rate = 0;
  options.delay_max = std::chrono::milliseconds(-1);
  EXPECT_THROW(TestServer{options}, std::runtime_error);
}

TEST(TestServer, StaticRootServesFilesAndRefusesEscapes) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("crawl_testserver_" + std::to_string(::getpid()));
  fs::create_directories(dir / "site" / "css");
  std::ofstream(dir / "site" / "index.html") << "<a href=\"css/a.css\">style</a>";
  std::ofstream(dir / "site" / "css" / "a.css") << "body{}";
  std::ofstream(dir / "secret.txt") << "secret";
  {
    SiteOptions options;
    options.static_root = (dir / "site").string();
    options.hosts = 4;  // ignored: one host
    TestServer server(options);
    ASSERT_EQ(server.host_count(), 1);
    EXPECT_EQ(server.site_urls(), std::set<std::string>{server.root_url(0)});
    const auto index = fetch(server.root_url(0));
    EXPECT_EQ(index.result(), http::status::ok);
    EXPECT_EQ(header(index, http::field::content_type), "text/html; charset=utf-8");
    EXPECT_EQ(index.body(), "<a href=\"css/a.css\">style</a>");
    const auto css = fetch(server.root_url(0) + "css/a.css");
    EXPECT_EQ(header(css, http::field::content_type), "text/css");
    EXPECT_EQ(css.body(), "body{}");
    EXPECT_EQ(header(fetch(server.root_url(0) + "css"), http::field::location), "/css/");
    EXPECT_EQ(fetch(server.root_url(0) + "missing.html").result(), http::status::not_found);
    for (const char* escape : {"/../secret.txt", "/css/../../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"}) {
      Client client(server.root_url(0));
      client.send(escape, false);
      EXPECT_EQ(client.receive().result(), http::status::not_found) << escape;
    }
  }
  fs::remove_all(dir);
}

// --- Validators and conditional requests (RFC 9110 8.8, 13.1, 13.2, 15.4.5) ---

Custom validated(std::string etag, std::string last_modified = {}) {
  Custom c;
  c.body = "<p>validated</p>";
  c.etag = std::move(etag);
  c.last_modified = std::move(last_modified);
  return c;
}

// 15.4.5: a 304 has no content; the connection carries on with the next request.
TEST(TestServerConditional, Rfc9110Sec1541IfNoneMatchHitGets304WithoutBodyOnAKeptConnection) {
  TestServer server(small_site());
  const std::string modified = "Tue, 15 Nov 1994 12:45:26 GMT";
  server.set_response(0, "/doc", validated("\"v1\"", modified));
  Client client(server.root_url(0));
  for (int round = 0; round < 2; ++round) {
    client.send("/doc", true, http::verb::get, {{http::field::if_none_match, "\"v1\""}});
    const auto hit = client.receive();
    EXPECT_EQ(hit.result(), http::status::not_modified);
    EXPECT_EQ(header(hit, http::field::etag), "\"v1\"");
    EXPECT_EQ(header(hit, http::field::last_modified), modified);
    EXPECT_TRUE(hit.body().empty());
    EXPECT_EQ(hit.count(http::field::content_length), 0u);
    EXPECT_EQ(hit.count(http::field::content_type), 0u);
    client.send("/doc");  // same connection: a body sent with the 304 would garble this
    const auto full = client.receive();
    EXPECT_EQ(full.result(), http::status::ok);
    EXPECT_EQ(full.body(), "<p>validated</p>");
    EXPECT_EQ(header(full, http::field::etag), "\"v1\"");
    EXPECT_EQ(header(full, http::field::last_modified), modified);
  }
  client.send("/doc", true, http::verb::head, {{http::field::if_none_match, "\"v1\""}});
  EXPECT_EQ(client.receive(true).result(), http::status::not_modified);
  client.send("/doc", false);
  EXPECT_EQ(client.receive().body(), "<p>validated</p>");
  beast::error_code ec;
  EXPECT_EQ(client.read_to_end(ec), "");
  const auto stats = server.stats(0);
  EXPECT_EQ(stats.peak_connections, 1);
  EXPECT_EQ(stats.not_modified, 3u);
  ASSERT_EQ(stats.log.size(), 6u);
  EXPECT_EQ(stats.log[0].status, 304);
  EXPECT_EQ(stats.log[1].status, 200);
}

// 13.1.2 + 8.8.3.2: weak comparison, lists, `*`.
TEST(TestServerConditional, Rfc9110Sec1312IfNoneMatchWeakComparisonListsAndStar) {
  TestServer server(small_site());
  server.set_response(0, "/strong", validated("\"v1\""));
  server.set_response(0, "/weak", validated("W/\"w\""));
  server.set_response(0, "/none", validated(""));
  const struct {
    const char* target;
    const char* if_none_match;
    unsigned status;
  } cases[] = {
      {"/strong", "\"v1\"", 304},
      {"/strong", "W/\"v1\"", 304},           // W/ ignored on the request side
      {"/weak", "\"w\"", 304},                // and on the response side
      {"/weak", "W/\"w\"", 304},
      {"/strong", "\"v2\"", 200},
      {"/strong", "\"v10\"", 200},
      {"/strong", "\"V1\"", 200},             // case-sensitive
      {"/strong", "v1", 200},                 // not the same opaque-tag
      {"/strong", "\"a\", \"v1\"", 304},
      {"/strong", "\"a\",W/\"v1\" , \"b\"", 304},
      {"/strong", "\"a,\\\"v1\\\"\", \"b\"", 200},  // commas and quotes inside a tag
      {"/strong", "\"x,y\", \"v1\"", 304},
      {"/strong", "\"a\", \"b\"", 200},
      {"/strong", "*", 304},
      {"/strong", " * ", 304},
      {"/none", "*", 200},                    // `*` needs a current representation with an ETag
      {"/none", "\"v1\"", 200},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.target) + " If-None-Match: " + c.if_none_match);
    const auto res = fetch_if(server.root_url(0) + std::string(c.target).substr(1), c.if_none_match);
    EXPECT_EQ(res.result_int(), c.status);
    EXPECT_EQ(res.body().empty(), c.status == 304);
  }
  // Two field lines make one list (RFC 9110 5.3).
  const auto two_lines = fetch(server.root_url(0) + "strong", http::verb::get,
                               {{http::field::if_none_match, "\"a\""}, {http::field::if_none_match, "\"v1\""}});
  EXPECT_EQ(two_lines.result(), http::status::not_modified);
}

// 13.1.3: If-Modified-Since equal to or later than Last-Modified → 304.
TEST(TestServerConditional, Rfc9110Sec1313IfModifiedSinceEqualOrLater) {
  TestServer server(small_site());
  const auto modified = std::chrono::sys_days{std::chrono::year(1994) / 11 / 6} + std::chrono::hours(8) +
                        std::chrono::minutes(49) + std::chrono::seconds(37);
  server.set_response(0, "/doc", validated("", http_date(modified)));
  server.set_response(0, "/odd", validated("", "yesterday"));
  const auto url = server.root_url(0) + "doc";
  const struct {
    std::string if_modified_since;
    unsigned status;
  } cases[] = {
      {http_date(modified), 304},
      {http_date(modified + std::chrono::seconds(1)), 304},
      {http_date(modified + std::chrono::hours(24 * 400)), 304},
      {http_date(modified - std::chrono::seconds(1)), 200},
      {"Sunday, 06-Nov-94 08:49:37 GMT", 304},  // RFC 850, obsolete but accepted
      {"Sun Nov  6 08:49:37 1994", 304},        // asctime
      {"Sun Nov  6 08:49:36 1994", 200},
      {"not a date", 200},
      {"Sun, 06 Nov 1994 08:49:37", 200},       // no GMT
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("If-Modified-Since: " + c.if_modified_since);
    EXPECT_EQ(fetch_if(url, "", c.if_modified_since).result_int(), c.status);
  }
  EXPECT_EQ(fetch_if(server.root_url(0) + "odd", "", "yesterday").result(), http::status::not_modified);  // string-equal
  EXPECT_EQ(fetch_if(server.root_url(0) + "odd", "", "today").result(), http::status::ok);
}

// 13.1.3: If-Modified-Since is ignored when If-None-Match is present.
TEST(TestServerConditional, Rfc9110Sec1313IfModifiedSinceIgnoredWithIfNoneMatch) {
  TestServer server(small_site());
  const std::string modified = "Tue, 15 Nov 1994 12:45:26 GMT";
  server.set_response(0, "/doc", validated("\"v1\"", modified));
  const auto url = server.root_url(0) + "doc";
  EXPECT_EQ(fetch_if(url, "", modified).result(), http::status::not_modified);
  EXPECT_EQ(fetch_if(url, "\"other\"", modified).result(), http::status::ok);
  EXPECT_EQ(fetch_if(url, "\"v1\"", "Mon, 01 Jan 1900 00:00:00 GMT").result(), http::status::not_modified);
}

// 13.2.2: preconditions only ever turn a 2xx into a 304.
TEST(TestServerConditional, Rfc9110Sec1322OnlySuccessfulResponsesBecome304) {
  TestServer server(small_site());
  auto gone = validated("\"v1\"");
  gone.status = 404;
  server.set_response(0, "/gone", gone);
  const auto res = fetch_if(server.root_url(0) + "gone", "\"v1\"");
  EXPECT_EQ(res.result(), http::status::not_found);
  EXPECT_EQ(header(res, http::field::etag), "\"v1\"");
  auto flaky = validated("\"v1\"");
  flaky.fail_first = 1;
  server.set_response(0, "/flaky", flaky);
  const auto failed = fetch_if(server.root_url(0) + "flaky", "\"v1\"");
  EXPECT_EQ(failed.result(), http::status::service_unavailable);
  EXPECT_EQ(failed.count(http::field::etag), 0u);  // no validators on the failures
  EXPECT_EQ(fetch_if(server.root_url(0) + "flaky", "\"v1\"").result(), http::status::not_modified);
}

TEST(TestServerConditional, ConditionalFalseSendsValidatorsButNeverAnswers304) {
  TestServer server(small_site());
  const std::string modified = "Tue, 15 Nov 1994 12:45:26 GMT";
  auto plain = validated("\"v1\"", modified);
  plain.conditional = false;
  server.set_response(0, "/doc", plain);
  const auto url = server.root_url(0) + "doc";
  for (const auto& [inm, ims] : {std::pair<std::string, std::string>{"\"v1\"", ""}, {"*", ""}, {"", modified}}) {
    SCOPED_TRACE(inm + " / " + ims);
    const auto res = fetch_if(url, inm, ims);
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res.body(), "<p>validated</p>");
    EXPECT_EQ(header(res, http::field::etag), "\"v1\"");
    EXPECT_EQ(header(res, http::field::last_modified), modified);
  }
  EXPECT_EQ(server.stats(0).not_modified, 0u);
}

TEST(TestServerConditional, RotateEtagDiffersOnEveryRequestAndIsNever304) {
  TestServer server(small_site());
  auto rotating = validated("\"r\"", "Tue, 15 Nov 1994 12:45:26 GMT");
  rotating.rotate_etag = true;
  server.set_response(1, "/doc", rotating);
  auto unquoted = validated("u");
  unquoted.rotate_etag = true;
  server.set_response(1, "/u", unquoted);
  const auto url = server.root_url(1) + "doc";
  const auto first = fetch(url);
  EXPECT_EQ(header(first, http::field::etag), "\"r-1\"");
  const auto second = fetch_if(url, header(first, http::field::etag));
  EXPECT_EQ(second.result(), http::status::ok);
  EXPECT_EQ(second.body(), "<p>validated</p>");
  EXPECT_EQ(header(second, http::field::etag), "\"r-2\"");
  EXPECT_EQ(fetch_if(url, "*").result(), http::status::ok);
  EXPECT_EQ(fetch_if(url, "", "Tue, 15 Nov 1994 12:45:26 GMT").result(), http::status::ok);
  server.reset_stats();  // does not restart N
  EXPECT_EQ(header(fetch(url), http::field::etag), "\"r-5\"");
  server.set_response(1, "/doc", rotating);  // nor does setting it again
  EXPECT_EQ(header(fetch(url), http::field::etag), "\"r-6\"");
  EXPECT_EQ(header(fetch(server.root_url(1) + "u"), http::field::etag), "u-1");
  EXPECT_EQ(server.stats(1).not_modified, 0u);
}

TEST(TestServerConditional, Always304AnswersUnconditionalRequests) {
  TestServer server(small_site());
  auto broken = validated("\"b\"");
  broken.always_304 = true;
  broken.fail_first = 1;
  server.set_response(0, "/broken", broken);
  auto bare = validated("");
  bare.always_304 = true;
  server.set_response(0, "/bare", bare);
  Client client(server.root_url(0));
  client.send("/broken");
  EXPECT_EQ(client.receive().result(), http::status::service_unavailable);  // fail_first first
  for (int i = 0; i < 2; ++i) {
    client.send("/broken");
    const auto res = client.receive();
    EXPECT_EQ(res.result(), http::status::not_modified);
    EXPECT_TRUE(res.body().empty());
    EXPECT_EQ(header(res, http::field::etag), "\"b\"");
  }
  client.send("/broken", true, http::verb::get, {{http::field::if_none_match, "\"other\""}});
  EXPECT_EQ(client.receive().result(), http::status::not_modified);
  client.send("/bare");
  const auto res = client.receive();
  EXPECT_EQ(res.result(), http::status::not_modified);
  EXPECT_EQ(res.count(http::field::etag), 0u);
  EXPECT_EQ(res.count(http::field::last_modified), 0u);
  client.send("/page/0.html");
  EXPECT_EQ(client.receive().body().size(), 3000u);
  EXPECT_EQ(server.stats(0).not_modified, 4u);
}

// `html` with each host's "127.0.1.H:PORT" replaced by "host-H", to compare
// pages of two servers (their ports differ).
std::string without_authorities(const TestServer& server, std::string html) {
  for (int h = 0; h < server.host_count(); ++h) {
    const std::string root = server.root_url(h);
    const std::string authority = root.substr(7, root.size() - 8);  // between "http://" and "/"
    for (std::size_t at; (at = html.find(authority)) != std::string::npos;)
      html.replace(at, authority.size(), "host-" + std::to_string(h));
  }
  return html;
}

SiteOptions validated_site() {
  auto options = small_site();
  options.validators = true;
  return options;
}

TEST(TestServerConditional, GeneratedPagesCarryStableValidatorsAndRevalidate) {
  TestServer plain(small_site());
  TestServer server(validated_site());
  static const std::regex kEtag("\"[0-9a-f]{16}\"");
  std::set<std::string> etags;
  for (const std::string path : {"", "page/0.html", "page/5.html"}) {
    SCOPED_TRACE(path);
    const auto url = server.root_url(1) + path;
    const auto first = fetch(url);
    const auto etag = header(first, http::field::etag);
    EXPECT_TRUE(std::regex_match(etag, kEtag)) << etag;
    EXPECT_EQ(header(first, http::field::last_modified), "Thu, 01 Jan 2026 00:00:00 GMT");
    EXPECT_EQ(without_authorities(server, first.body()),  // same page, validators added
              without_authorities(plain, fetch(plain.root_url(1) + path).body()));
    EXPECT_EQ(fetch(plain.root_url(1) + path).count(http::field::etag), 0u);
    EXPECT_EQ(header(fetch(url), http::field::etag), etag);  // stable
    etags.insert(etag);
    const auto revalidated = fetch_if(url, etag);
    EXPECT_EQ(revalidated.result(), http::status::not_modified);
    EXPECT_TRUE(revalidated.body().empty());
    EXPECT_EQ(header(revalidated, http::field::etag), etag);
    EXPECT_EQ(fetch_if(url, "", "Thu, 01 Jan 2026 00:00:00 GMT").result(), http::status::not_modified);
    EXPECT_EQ(fetch_if(url, "", "Wed, 31 Dec 2025 23:59:59 GMT").result(), http::status::ok);
    EXPECT_EQ(fetch_if(url, "\"0000000000000000\"").result(), http::status::ok);
  }
  EXPECT_EQ(etags.size(), 3u);
  EXPECT_NE(header(fetch(server.page_url(0, 5)), http::field::etag), header(fetch(server.page_url(1, 5)), http::field::etag));

  auto errors = validated_site();
  errors.error_rate = 1;
  TestServer broken(errors);
  const auto error_page = fetch_if(broken.page_url(0, 0), "*");
  EXPECT_EQ(error_page.result(), http::status::internal_server_error);
  EXPECT_EQ(error_page.count(http::field::etag), 0u);
  EXPECT_EQ(fetch(server.root_url(0) + "sitemap.xml").count(http::field::etag), 0u);
}

TEST(TestServerConditional, RotateEtagsOnGeneratedPages) {
  auto options = small_site();
  options.rotate_etags = true;
  options.validators = true;  // overridden
  TestServer server(options);
  std::set<std::string> etags;
  std::string previous = "*";
  for (int i = 0; i < 4; ++i) {
    const auto res = fetch_if(server.page_url(0, 2), previous);
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res.body().size(), 3000u);
    EXPECT_EQ(res.count(http::field::last_modified), 0u);
    previous = header(res, http::field::etag);
    EXPECT_TRUE(previous.ends_with("-" + std::to_string(i + 1) + "\"")) << previous;
    etags.insert(previous);
  }
  EXPECT_EQ(etags.size(), 4u);
  EXPECT_EQ(header(fetch(server.root_url(0)), http::field::etag).substr(17), "-1\"");
  EXPECT_EQ(server.stats(0).not_modified, 0u);
}

TEST(TestServerConditional, SetPageVersionChangesBodyAndValidatorsKeepsLinks) {
  TestServer server(validated_site());
  for (const int page : {3, -1}) {
    SCOPED_TRACE(page);
    const auto url = page < 0 ? server.root_url(0) : server.page_url(0, page);
    const auto v0 = fetch(url);
    server.set_page_version(0, page, 2);
    const auto v2 = fetch(url);
    EXPECT_NE(v2.body(), v0.body());
    EXPECT_NE(v2.body().find("version 2"), std::string::npos);
    EXPECT_EQ(hrefs(v2.body()), hrefs(v0.body()));
    if (page >= 0) {
      EXPECT_EQ(v2.body().size(), 3000u);
    }
    EXPECT_NE(header(v2, http::field::etag), header(v0, http::field::etag));
    EXPECT_EQ(header(v2, http::field::last_modified), "Thu, 01 Jan 2026 00:00:02 GMT");
    // The old validators no longer match; the new ones do.
    EXPECT_EQ(fetch_if(url, header(v0, http::field::etag)).body(), v2.body());
    EXPECT_EQ(fetch_if(url, "", header(v0, http::field::last_modified)).result(), http::status::ok);
    EXPECT_EQ(fetch_if(url, header(v2, http::field::etag)).result(), http::status::not_modified);
    EXPECT_EQ(fetch(page < 0 ? server.root_url(1) : server.page_url(1, page)).body().find("version"),
              std::string::npos);  // per host
    server.set_page_version(0, page, 0);
    const auto back = fetch(url);
    EXPECT_EQ(back.body(), v0.body());
    EXPECT_EQ(header(back, http::field::etag), header(v0, http::field::etag));
  }
  EXPECT_THROW(server.set_page_version(3, 0, 1), std::out_of_range);
  EXPECT_THROW(server.set_page_version(0, 12, 1), std::out_of_range);
  EXPECT_THROW(server.set_page_version(0, -2, 1), std::out_of_range);
  EXPECT_THROW(server.set_page_version(0, 0, -1), std::invalid_argument);
}

TEST(TestServerConditional, RemovePageAnswers404Or410UntilRestored) {
  TestServer server(validated_site());
  const auto before = fetch(server.page_url(0, 3));
  server.set_page_version(0, 3, 1);
  server.remove_page(0, 3);
  server.remove_page(0, 4, 410);
  server.remove_page(2, -1, 410);
  const auto missing = fetch_if(server.page_url(0, 3), "*");
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(missing.count(http::field::etag), 0u);
  EXPECT_EQ(missing.count(http::field::last_modified), 0u);
  EXPECT_EQ(hrefs(missing.body()).size(), 0u);
  EXPECT_EQ(fetch(server.page_url(0, 4)).result(), http::status::gone);
  EXPECT_EQ(fetch(server.root_url(2)).result(), http::status::gone);
  EXPECT_EQ(fetch(server.page_url(1, 3)).result(), http::status::ok);  // per host
  server.restore_page(0, 3);
  server.restore_page(0, 4);
  server.restore_page(0, 5);  // not removed: no-op
  const auto restored = fetch(server.page_url(0, 3));
  EXPECT_EQ(restored.result(), http::status::ok);
  EXPECT_NE(restored.body().find("version 1"), std::string::npos);  // the version it had
  EXPECT_EQ(hrefs(restored.body()), hrefs(before.body()));
  EXPECT_EQ(fetch(server.page_url(0, 4)).result(), http::status::ok);
  EXPECT_EQ(fetch(server.root_url(2)).result(), http::status::gone);
  EXPECT_THROW(server.remove_page(0, 3, 200), std::invalid_argument);
  EXPECT_THROW(server.remove_page(0, 20), std::out_of_range);
}

TEST(TestServerConditional, StatsCountNotModifiedAndBodyBytes) {
  TestServer server(validated_site());
  const auto root = server.root_url(0);
  const auto page = fetch(server.page_url(0, 1));
  std::uint64_t expected = page.body().size();
  EXPECT_EQ(fetch(server.page_url(0, 1), http::verb::head).count(http::field::etag), 1u);  // HEAD: no body bytes
  EXPECT_EQ(fetch_if(server.page_url(0, 1), header(page, http::field::etag)).result(), http::status::not_modified);
  EXPECT_EQ(fetch_if(server.page_url(0, 2), "", header(page, http::field::last_modified)).result_int(), 304u);
  expected += fetch(root + "big?bytes=1000").body().size();
  expected += fetch(root + "big-chunked?bytes=70000").body().size();
  expected += fetch(root + "status/404").body().size();
  EXPECT_EQ(fetch(root + "status/304").result_int(), 304u);
  const auto stats = server.stats(0);
  EXPECT_EQ(expected, 3000u + 1000u + 70000u + fetch(root + "status/404").body().size());
  EXPECT_EQ(stats.body_bytes, expected);
  EXPECT_EQ(stats.not_modified, 3u);
  server.reset_stats();
  EXPECT_EQ(server.stats(0).body_bytes, 0u);
  EXPECT_EQ(server.stats(0).not_modified, 0u);
}

TEST(TestServerConditional, RequestLogRecordsConditionalHeaders) {
  TestServer server(validated_site());
  fetch(server.page_url(0, 1));
  fetch_if(server.page_url(0, 1), "\"a\"", "Thu, 01 Jan 2026 00:00:00 GMT");
  fetch(server.page_url(0, 1), http::verb::get,
        {{http::field::if_none_match, "\"a\""}, {http::field::if_none_match, "W/\"b\""}});
  const auto log = server.stats(0).log;
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].if_none_match, "");
  EXPECT_EQ(log[0].if_modified_since, "");
  EXPECT_EQ(log[1].if_none_match, "\"a\"");
  EXPECT_EQ(log[1].if_modified_since, "Thu, 01 Jan 2026 00:00:00 GMT");
  EXPECT_EQ(log[1].status, 200);  // If-None-Match present and not matching: IMS ignored
  EXPECT_EQ(log[2].if_none_match, "\"a\", W/\"b\"");
}

}  // namespace

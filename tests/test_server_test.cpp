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

#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "gtest/gtest.h"
#include "tools/testserver/test_server.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using crawl::testserver::SiteOptions;
using crawl::testserver::TestServer;
using Response = http::response<http::string_body>;
using Clock = std::chrono::steady_clock;

// A blocking client connection to one host of the server.
class Client {
 public:
  explicit Client(const std::string& url) : socket_(ioc_) {
    const auto u = urls::parse_uri(url).value();
    socket_.connect({asio::ip::make_address(u.host()), u.port_number()});
    host_ = u.encoded_host_and_port();
  }

  void send(std::string_view target, bool keep_alive = true, http::verb method = http::verb::get) {
    http::request<http::empty_body> req{method, target, 11};
    req.set(http::field::host, host_);
    req.keep_alive(keep_alive);
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
Response fetch(const std::string& url, http::verb method = http::verb::get) {
  const auto u = urls::parse_uri(url).value();
  Client client(url);
  client.send(u.encoded_target(), false, method);
  return client.receive(method == http::verb::head);
}

std::string header(const Response& res, http::field field) { return std::string(res[field]); }

std::string gunzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 31), Z_OK);
  std::string out(64 * 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END);
  out.resize(zs.total_out);
  return out;
}

std::vector<std::string> hrefs(const std::string& html) {
  static const std::regex kHref(R"re(href="([^"]*)")re");
  std::vector<std::string> out;
  for (std::sregex_iterator it(html.begin(), html.end(), kHref), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

SiteOptions small_site() {
  SiteOptions options;
  options.hosts = 3;
  options.pages_per_host = 12;
  options.page_size = 3000;
  return options;
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
  crawl::testserver::raise_fd_limit();
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

}  // namespace

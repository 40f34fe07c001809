// crawl-testserver: serves the generated test site (or a directory) on
// loopback hosts until SIGINT/SIGTERM, then prints per-host stats to stderr.
// Stdout carries only the root URLs, one per line, so scripts can read them.
//
// --control (how crawl bench drives it): after the roots, one line
//   ready site_pages=N error_pages=M
// (site_urls() and error_urls() sizes), then commands on stdin, one per
// line, each answered by one line on stdout:
//   stats  -> stats requests=R peak_concurrent_requests=P peak_connections=C
//             not_modified=N body_bytes=B
//             (sums over the hosts since the last reset)
//   reset  -> ok   (TestServer::reset_stats)
//   quit   -> ends the server, as does the end of stdin (so it never
//             outlives the program that started it) or SIGINT/SIGTERM.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "core/process.h"
#include "tools/testserver/test_server.h"

namespace {

namespace ts = crawl::testserver;

std::string stats_line(const ts::TestServer& server) {
  std::uint64_t requests = 0;
  std::uint64_t not_modified = 0, body_bytes = 0;
  long long peak_requests = 0, peak_connections = 0;
  for (int h = 0; h < server.host_count(); ++h) {
    const auto stats = server.stats(h);
    requests += stats.requests;
    peak_requests += stats.peak_concurrent_requests;
    peak_connections += stats.peak_connections;
    not_modified += stats.not_modified;
    body_bytes += stats.body_bytes;
  }
  return "stats requests=" + std::to_string(requests) + " peak_concurrent_requests=" + std::to_string(peak_requests) +
         " peak_connections=" + std::to_string(peak_connections) + " not_modified=" + std::to_string(not_modified) +
         " body_bytes=" + std::to_string(body_bytes);
}

// Answers the --control commands on stdin until "quit" or its end, then
// stops `done`. Runs on its own thread; TestServer's stats() and
// reset_stats() are thread-safe, and only this thread writes to stdout.
void serve_commands(ts::TestServer& server, boost::asio::io_context& done, std::atomic<bool>& finished) {
  std::cout << "ready site_pages=" << server.site_urls().size() << " error_pages=" << server.error_urls().size()
            << std::endl;
  for (std::string line; std::getline(std::cin, line) && line != "quit";) {
    if (line == "stats") {
      std::cout << stats_line(server) << std::endl;
    } else if (line == "reset") {
      server.reset_stats();
      std::cout << "ok" << std::endl;
    } else {
      std::cout << "error unknown command '" << line << "'; commands: stats, reset, quit" << std::endl;
    }
  }
  finished.store(true);
  done.stop();
}

}  // namespace

int main(int argc, char** argv) {
  ts::SiteOptions options;
  int delay_ms = 0;
  int delay_max_ms = 0;
  CLI::App app{"crawl-testserver: a deterministic test web site on loopback addresses.\n"
               "Prints each host's root URL on stdout, serves until SIGINT/SIGTERM, then\n"
               "prints per-host stats on stderr."};
  app.footer(
      "Routes on every host: / /page/N.html /sitemap.xml /sitemap.xml.gz /sitemap_index.xml\n"
      "/status/NNN[?retry_after=S|date:S|none] /redirect/K /redirect-to?url=U /loop /big?bytes=N\n"
      "/big-chunked?bytes=N /gzip /bad-gzip /reset /slow?ms=N /links?n=N (see test_server.h)");
  app.add_option("--hosts", options.hosts, "number of hosts, one loopback address each")
      ->check(CLI::Range(1, 1 << 20))->capture_default_str();
  app.add_option("--pages", options.pages_per_host, "pages per host")
      ->check(CLI::Range(1, 1 << 30))->capture_default_str();
  app.add_option("--page-size", options.page_size, "approximate page body size, bytes")->capture_default_str();
  app.add_option("--links", options.links_per_page, "extra same-host links per page")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--cross-links", options.cross_links, "links per page to other hosts")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--delay-ms", delay_ms, "delay before every response, ms")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--delay-max", delay_max_ms, "above --delay-ms: delays are drawn from [delay-ms, delay-max], ms")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--error-rate", options.error_rate, "fraction of generated pages answering 500")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the delay draws and of the choice of error pages")
      ->capture_default_str();
  app.add_option("--address", options.first_address, "first host's IPv4 loopback address; host i gets +i")
      ->capture_default_str();
  app.add_option("--port", options.port, "port for every host (0 = ephemeral per host)")->capture_default_str();
  app.add_option("--root", options.static_root, "serve this directory on one host instead of the generated site")
      ->check(CLI::ExistingDirectory);
  app.add_option("--threads", options.threads, "io_context threads")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_flag("--validators", options.validators,
               "generated pages carry ETag and Last-Modified and answer conditional requests with 304");
  app.add_flag("--rotate-etags", options.rotate_etags,
               "generated pages carry an ETag that changes on every request and never answer 304");
  bool control = false;
  app.add_flag("--control", control, "after the roots print a ready line, then answer stats/reset/quit on stdin "
                                     "and stop at its end (see main.cpp)");
  CLI11_PARSE(app, argc, argv);
  options.delay = std::chrono::milliseconds(delay_ms);
  options.delay_max = std::chrono::milliseconds(delay_max_ms);

  // The signal set exists before the server so that an early Ctrl-C is caught.
  boost::asio::io_context signal_context;
  boost::asio::signal_set signals(signal_context, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int) {});
  crawl::raise_open_file_limit();
  try {
    ts::TestServer server(options);
    for (const auto& url : server.root_urls()) std::cout << url << '\n';
    std::cout.flush();
    std::atomic<bool> commands_finished{false};
    std::thread commands;
    if (control)
      commands = std::thread(serve_commands, std::ref(server), std::ref(signal_context), std::ref(commands_finished));
    signal_context.run();
    server.stop();
    for (int i = 0; i < server.host_count(); ++i) {
      const auto stats = server.stats(i);
      std::cerr << server.root_url(i) << " requests=" << stats.requests
                << " peak_concurrent_requests=" << stats.peak_concurrent_requests
                << " peak_connections=" << stats.peak_connections << " not_modified=" << stats.not_modified
                << " body_bytes=" << stats.body_bytes << '\n';
    }
    if (commands.joinable()) {
      if (!commands_finished.load()) {
        // Stopped by a signal while the command thread still waits on stdin,
        // which cannot be interrupted: end here, before anything it uses is
        // destroyed.
        std::cout.flush();
        std::cerr.flush();
        std::_Exit(0);
      }
      commands.join();
    }
  } catch (const std::exception& e) {
    std::cerr << "crawl-testserver: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

// crawl-frontier-bench: memory of the frontier on a large crawl.
//
// Enqueues N URLs (default 1,000,000) over H hosts (default 10,000), as the
// crawl loop does (each page's links share one referrer), and prints the
// heap bytes per queued URL — the URL string included — and per seen URL
// (the fingerprint set), measured with mallinfo2() around the work. Then
// hands every URL out and back, and prints what is left: the seen-set.
//
//   build/crawl-frontier-bench [--urls N] [--hosts H]
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "crawler/frontier.h"

namespace {

std::size_t heap_in_use() {
  malloc_trim(0);
  const auto info = mallinfo2();
  return info.uordblks + info.hblkhd;  // small chunks in use + mmapped blocks (the big arrays)
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t urls = 1'000'000, hosts = 10'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--urls")) urls = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--hosts")) hosts = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--urls N] [--hosts H]\n", argv[0]);
      return 2;
    }
  }
  if (urls == 0 || hosts == 0) return 2;
  using Clock = std::chrono::steady_clock;

  const std::size_t before = heap_in_use();
  auto frontier = std::make_unique<crawl::Frontier>(crawl::Frontier::Options{});
  std::size_t url_bytes = 0;
  const auto t0 = Clock::now();
  crawl::Frontier::Referrer referrer;
  for (std::size_t i = 0; i < urls; ++i) {
    const std::size_t h = i % hosts;
    if (i % 50 == 0)  // a page with 50 links: they share its URL as referrer
      referrer = std::make_shared<const std::string>("http://www.host" + std::to_string(h) + ".example.com/articles/" +
                                                     std::to_string(i / 50) + ".html");
    std::string url = "http://www.host" + std::to_string(h) + ".example.com/articles/2026/11/item-" +
                      std::to_string(i) + ".html";
    url_bytes += url.size();
    frontier->add(std::move(url), 1, 1.0, referrer);
  }
  referrer.reset();
  const double add_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::size_t queued_heap = heap_in_use() - before;
  const std::size_t seen_bytes = frontier->seen_bytes();

  // Hand everything out and back: the queues empty, the seen-set stays.
  const auto t1 = Clock::now();
  std::size_t handed = 0;
  for (;;) {
    auto next = frontier->next(Clock::time_point::max() - std::chrono::hours(1));
    if (!next.request) break;
    ++handed;
    frontier->done(*next.request, crawl::Frontier::Outcome::ok, 0, Clock::now());
  }
  const double next_s = std::chrono::duration<double>(Clock::now() - t1).count();
  const std::size_t drained_heap = heap_in_use() - before;

  std::printf("frontier memory: %zu URLs over %zu hosts, average URL %.1f bytes\n", urls, hosts,
              static_cast<double>(url_bytes) / urls);
  std::printf("  heap with all queued:          %8.1f MiB = %6.1f bytes per queued URL (all included)\n",
              queued_heap / 1048576.0, static_cast<double>(queued_heap) / urls);
  std::printf("    of which the seen-set:       %8.1f MiB = %6.1f bytes per seen URL\n", seen_bytes / 1048576.0,
              static_cast<double>(seen_bytes) / urls);
  std::printf("    queue without the seen-set:             %6.1f bytes per queued URL\n",
              static_cast<double>(queued_heap - seen_bytes) / urls);
  std::printf("  heap after all handed out:     %8.1f MiB = %6.1f bytes per seen URL (%zu handed out)\n",
              drained_heap / 1048576.0, static_cast<double>(drained_heap) / urls, handed);
  std::printf("  time: add %.0f ns/URL, next+done %.0f ns/URL\n", add_s * 1e9 / urls, next_s * 1e9 / urls);
  return handed == urls ? 0 : 1;
}

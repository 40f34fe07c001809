#include "fetch/fetcher.h"

#include <curl/curl.h>

#include "fetch/fiber_fetcher.h"
#include "fetch/thread_pool_fetcher.h"

namespace crawl {

std::string http_library_version() { return std::string("libcurl/") + curl_version_info(CURLVERSION_NOW)->version; }

std::unique_ptr<Fetcher> make_fetcher(const Config& config, FetchListener& listener,
                                      const std::vector<std::string>& seed_urls,
                                      std::shared_ptr<CookieJar> cookies) {
  TransferOptions options = transfer_options(config, seed_urls);
  options.cookies = std::move(cookies);
  switch (config.mode) {
    case Mode::threads:
      return std::make_unique<ThreadPoolFetcher>(config.concurrency, std::move(options), listener);
    case Mode::fibers:
      return std::make_unique<FiberFetcher>(FiberOptions{.loops = config.loops, .max_in_flight = config.concurrency},
                                            std::move(options), listener);
  }
  throw UsageError("--mode: unknown mode");
}

}  // namespace crawl

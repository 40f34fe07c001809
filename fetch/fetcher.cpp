#include "fetch/fetcher.h"

#include "fetch/thread_pool_fetcher.h"

namespace crawl {

std::unique_ptr<Fetcher> make_fetcher(const Config& config) {
  switch (config.mode) {
    case Mode::threads:
      return std::make_unique<ThreadPoolFetcher>(config.concurrency, transfer_options(config));
    case Mode::fibers:
      break;
  }
  throw UsageError("--mode fibers is not available yet; use --mode threads");
}

}  // namespace crawl

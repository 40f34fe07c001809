// `crawl bench --scale N`: how much memory one in-flight transfer costs.
// N seed URLs over ceil(N / per-host) simulated hosts, each response
// delayed long enough (--delay, default 1000 ms) that all of them are in
// flight at once, crawled by fibers twice: with --concurrency = the host
// count, then N. The difference of the two peaks (VmHWM) over the
// difference of transfers is the memory per in-flight transfer.
#pragma once

#include "bench/bench_options.h"

namespace crawl::bench {

// Prints a small table and the figure on stdout. Exit codes as crawl
// bench's: 0 done, 1 a run failed or fetched fewer pages than asked, 3
// crawl-testserver missing.
int run_scale(const BenchOptions& options);

}  // namespace crawl::bench

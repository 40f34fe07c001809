// `crawl bench`: compares fetch strategies (mode × --concurrency) on one
// workload, reproducibly.
//
// The workload is the project's simulated web, served in this process by
// the test web server (hosts, pages, page size, links, response delay fixed
// or uniform, error rate), or a real URL list (`crawl bench URLS_FILE`).
// Every strategy is crawled `--repeat` times, the order reversed on every
// other repeat, each run a child process: this very binary with ordinary
// crawl options (`--store none` unless asked, `--stats-json`, `--quiet`),
// measured from here with wait4 (wall time, CPU user+sys); its stats JSON
// gives pages, bytes, errors, latency percentiles and its peak RSS (VmHWM:
// wait4's ru_maxrss would include this process's size at spawn time). The report
// (bench/bench_report.h) gives per strategy the median and min–max of every
// figure, as a table on stdout and optionally JSON, CSV and an SVG chart.
//
// Exit codes: 0 done; 1 a run failed (the child crashed or could not run) or
// the pages counted disagree with the pages served; 2 bad bench option,
// workload file or URL list; 3 an output file cannot be written; 130/143
// stopped by SIGINT/SIGTERM (the runs finished so far are reported).
#pragma once

namespace crawl {

// argv[0] is "bench"; the rest are bench options, then optionally `--` and
// crawl options given to every run.
int bench_main(int argc, const char* const* argv);

}  // namespace crawl

// The `crawl` command: argv in, exit code out. Exit codes follow wget:
// 0 all fetched fine, 2 usage/config error, 3 storage I/O error, 4 some
// transfer failed (network), 8 some server answered with an HTTP error,
// 130 / 143 stopped by SIGINT / SIGTERM. Skipped URLs (FetchResult::skipped(),
// e.g. disallowed by robots.txt) do not change the exit code.
//
// `crawl bench …` and `crawl runs …` are subcommands (bench/bench.h,
// app/runs_cmd.h), dispatched by app/main.cpp.
#pragma once

namespace crawl {

int crawl_main(int argc, const char* const* argv);

}  // namespace crawl

// `crawl runs [DB]`: the crawls recorded in a SQLite output file (the `runs`
// table), side by side, oldest first: id, start, mode, concurrency, outcome,
// pages, errors, skipped, wall seconds, pages/s, CPU seconds, peak RSS and
// latency p50/p95 — so strategies can be compared on real scheduled crawls.
// `--json` prints them as a JSON array instead; `--limit N` keeps the last N.
//
// The file is opened read-only and never migrated: columns an older build
// did not record show as "-" (null in JSON).
//
// Exit codes: 0 listed (also when there are no runs yet); 2 bad option or
// no such file; 3 the file cannot be read or has no runs table.
#pragma once

namespace crawl {

// argv[0] is "runs".
int runs_main(int argc, const char* const* argv);

}  // namespace crawl

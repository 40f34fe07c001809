// The `crawl` binary: where the subcommands meet. `crawl bench …`,
// `crawl runs …`, `crawl changes …`, `crawl history …`, `crawl prune …` and `crawl warc-verify …`
// are recognised by the first argument only, so `crawl URLS_FILE …` parses
// exactly as before (a URL list really named "runs" is given as ./runs).
#include <malloc.h>

#include <string_view>

#include "app/cli.h"
#include "app/history_cmd.h"
#include "app/runs_cmd.h"
#include "app/warc_verify.h"
#include "bench/bench.h"

int main(int argc, char** argv) {
  // glibc serves every allocation of 128 KiB or more (a page's body, SQLite's
  // copy of it) with a fresh mmap, faulted in page by page as it is written
  // and unmapped when freed (a TLB shootdown across the threads), and trims
  // an arena's top as soon as 128 KiB are free. Bodies come and go by the
  // thousand: from the heap, kept for the next ones, they cost a third less
  // CPU on a site of 95 KiB pages (bench/site-bench.sh, Python docs, medians
  // of 4: 1.08 -> 0.74 CPU s, wall 0.73 -> 0.61 s). What each arena keeps is
  // bounded (32 MiB), and so are the arenas (4; glibc's default is 8 per
  // core): with 512 threads and --max-body-memory 64M the peak RSS is 111 MiB
  // (102 with glibc's defaults, 277 with 16 arenas keeping 64 MiB each).
  mallopt(M_ARENA_MAX, 4);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  mallopt(M_TOP_PAD, 8 << 20);
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "bench") return crawl::bench_main(argc - 1, argv + 1);
  if (command == "runs") return crawl::runs_main(argc - 1, argv + 1);
  if (command == "changes") return crawl::changes_main(argc - 1, argv + 1);
  if (command == "history") return crawl::history_main(argc - 1, argv + 1);
  if (command == "prune") return crawl::prune_main(argc - 1, argv + 1);
  if (command == "warc-verify") return crawl::warc_verify_main(argc - 1, argv + 1);
  return crawl::crawl_main(argc, argv);
}

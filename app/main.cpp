// The `crawl` binary: where the subcommands meet. `crawl bench …`,
// `crawl runs …`, `crawl changes …`, `crawl history …`, `crawl prune …` and `crawl warc-verify …`
// are recognised by the first argument only, so `crawl URLS_FILE …` parses
// exactly as before (a URL list really named "runs" is given as ./runs).
#include <string_view>

#include "app/cli.h"
#include "app/history_cmd.h"
#include "app/runs_cmd.h"
#include "app/warc_verify.h"
#include "bench/bench.h"

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "bench") return crawl::bench_main(argc - 1, argv + 1);
  if (command == "runs") return crawl::runs_main(argc - 1, argv + 1);
  if (command == "changes") return crawl::changes_main(argc - 1, argv + 1);
  if (command == "history") return crawl::history_main(argc - 1, argv + 1);
  if (command == "prune") return crawl::prune_main(argc - 1, argv + 1);
  if (command == "warc-verify") return crawl::warc_verify_main(argc - 1, argv + 1);
  return crawl::crawl_main(argc, argv);
}

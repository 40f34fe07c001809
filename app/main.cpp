// The `crawl` binary: where the subcommands meet. `crawl bench …` and
// `crawl runs …` are recognised by the first argument only, so
// `crawl URLS_FILE …` parses exactly as before (a URL list really named
// "bench" or "runs" is given as ./bench).
#include <string_view>

#include "app/cli.h"
#include "app/runs_cmd.h"
#include "bench/bench.h"

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "bench") return crawl::bench_main(argc - 1, argv + 1);
  if (command == "runs") return crawl::runs_main(argc - 1, argv + 1);
  return crawl::crawl_main(argc, argv);
}

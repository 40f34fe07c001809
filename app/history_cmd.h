// The batches' history, read from a SQLite output file (storage/sqlite_sink.h:
// latest, fetches, bodies):
//
//   crawl changes [DB] [--run N] [--json] [--all]
//       what one run (default: the last) did to the pages: counts first
//       (new, changed, unchanged, recovered, failing, gone), then one line
//       per page that is not unchanged (--all: every page).
//   crawl history URL [DB] [--json]
//       every fetch of one page, oldest first: run, time, status, change,
//       digest, size, validators.
//   crawl prune [DB] (--keep-versions N | --keep-newer-than DURATION)
//       deletes the history the retention does not keep, and the bodies no
//       longer referenced (the latest copy of every page stays).
//
// Exit codes: 0 done; 2 bad option, no such file or no such run; 3 the file
// cannot be read (or written, for prune) or has no history.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "storage/sqlite_sink.h"

namespace crawl {

// Pages per change kind (RunChangeCounts::counts), every kind present (0
// when none).
std::map<std::string, std::int64_t> count_changes(const RunChangeCounts& changes);
// "3 new, 1 changed, 96 unchanged, 0 recovered, 0 failing, 0 gone".
std::string changes_line(const std::map<std::string, std::int64_t>& counts);

// argv[0] is the command's name.
int changes_main(int argc, const char* const* argv);
int history_main(int argc, const char* const* argv);
int prune_main(int argc, const char* const* argv);

}  // namespace crawl

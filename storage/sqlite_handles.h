// RAII owners for SQLite's C handles. Every sqlite3* / sqlite3_stmt* in the
// project is wrapped in one of these from the moment SQLite hands it out.
#pragma once

#include <sqlite3.h>

#include <memory>

namespace crawl {

struct SqliteDbDeleter {
  // sqlite3_close_v2 also defers the close if statements are still alive, so
  // destruction order mistakes leak nothing.
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

struct SqliteStmtDeleter {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};

using SqliteDb = std::unique_ptr<sqlite3, SqliteDbDeleter>;
using SqliteStmt = std::unique_ptr<sqlite3_stmt, SqliteStmtDeleter>;

}  // namespace crawl

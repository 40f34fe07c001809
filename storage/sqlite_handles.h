// RAII owners for SQLite's C handles. Every sqlite3* / sqlite3_stmt* in the
// project is wrapped in one of these from the moment SQLite hands it out.
#pragma once

#include <sqlite3.h>

#include "core/c_handle.h"

namespace crawl {

// sqlite3_close_v2 defers the close while statements are alive, so
// destruction order mistakes leak nothing.
using SqliteDb = CHandle<sqlite3, sqlite3_close_v2>;
using SqliteStmt = CHandle<sqlite3_stmt, sqlite3_finalize>;

}  // namespace crawl

// Timestamps as text. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>

namespace crawl {

// "2026-11-22T13:05:01.123Z": ISO 8601, UTC, millisecond precision.
std::string iso8601_utc(std::chrono::system_clock::time_point tp);

}  // namespace crawl

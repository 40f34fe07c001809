// JSON text for people and programs: Boost.JSON values (built with
// boost/json.hpp; this library compiles Boost.JSON's sources once, in
// json_text.cpp, so no other file of a binary linking crawl_crawler may
// include boost/json/src.hpp) written indented, with numbers in their
// shortest exact form ("2.5", not Boost's "2.5E0").
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>

namespace crawl {

// `value` as JSON text, two spaces per level, ending in a newline. Doubles
// that are not finite are written as null (JSON has no NaN or infinity).
std::string to_json_text(const boost::json::value& value);

// `value` as compact JSON on one line, no trailing newline (Boost.JSON's
// serialize): for JSON kept inside a database column or a TSV field.
// Strings are escaped per RFC 8259 (control characters as \uXXXX), bytes
// >= 0x80 pass through, so UTF-8 stays UTF-8. Doubles are written the way
// Boost writes them ("2.5E0"); callers store strings and integers.
std::string to_json_compact(const boost::json::value& value);

// A number, or null when empty: for figures that may be unknown.
inline boost::json::value json_number_or_null(std::optional<double> v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

}  // namespace crawl

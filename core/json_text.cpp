#include "core/json_text.h"

// Boost.JSON's implementation, compiled once for every binary that links
// crawl_crawler (Debian ships no libboost_json for 1.81).
#include <boost/json/src.hpp>

#include <fmt/format.h>

#include <cmath>

namespace crawl {
namespace {

void write(std::string& out, const boost::json::value& v, int indent) {
  const auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<std::size_t>(level) * 2, ' ');
  };
  switch (v.kind()) {
    case boost::json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, item] : o) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        out += boost::json::serialize(boost::json::string_view(key));
        out += ": ";
        write(out, item, indent + 1);
      }
      newline(indent);
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      // Arrays of scalars stay on one line; arrays of objects get one line each.
      bool scalars = true;
      for (const auto& item : a) scalars = scalars && !item.is_object() && !item.is_array();
      out += '[';
      bool first = true;
      for (const auto& item : a) {
        if (!first) out += scalars ? ", " : ",";
        first = false;
        if (!scalars) newline(indent + 1);
        write(out, item, indent + 1);
      }
      if (!scalars) newline(indent);
      out += ']';
      return;
    }
    case boost::json::kind::double_: {
      const double d = v.get_double();
      out += std::isfinite(d) ? fmt::format("{}", d) : "null";
      return;
    }
    default:
      out += boost::json::serialize(v);
      return;
  }
}

}  // namespace

std::string to_json_compact(const boost::json::value& value) {
  return boost::json::serialize(value);
}

std::string to_json_text(const boost::json::value& value) {
  std::string out;
  write(out, value, 0);
  out += '\n';
  return out;
}

}  // namespace crawl

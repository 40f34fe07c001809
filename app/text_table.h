// TextTable: rows of text cells printed as aligned columns, for the tables
// that `crawl bench` and `crawl runs` print. Widths count UTF-8 code points,
// so "–" or "×" in a cell does not break the alignment.
#pragma once

#include <string>
#include <vector>

namespace crawl {

class TextTable {
 public:
  enum class Align { left, right };
  struct Column {
    std::string title;
    Align align = Align::right;
  };

  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // A row of cells, one per column (missing cells are blank, extra ones are
  // dropped).
  void add_row(std::vector<std::string> cells);

  // The header line and every row, columns separated by two spaces, no
  // trailing blanks, each line ending in '\n'.
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// "2026-11-22T13:05:01.123Z" → "2026-11-22 13:05:01", for a table cell
// under a header that says UTC.
std::string short_time(const std::string& iso);

// Number of UTF-8 code points in `s` (its width in a terminal, for the
// characters these tables use).
std::size_t display_width(const std::string& s);

}  // namespace crawl

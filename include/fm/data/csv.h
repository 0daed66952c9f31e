#pragma once
/// \file
/// RFC 4180 CSV helpers: quoting for writers and a whole-table reader for files whose columns are
/// not known in advance (e.g. predictions files). Labelled datasets use fm::read_dataset().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fm {

/// One CSV field as RFC 4180 wants it written: returned unchanged unless it contains a comma, a
/// double quote, CR or LF, or starts or ends with a space or tab; then it is wrapped in double
/// quotes with every inner quote doubled (`say "hi"` → `"say ""hi"""`).
std::string csv_escape(std::string_view field);

/// One CSV record: the fields escaped with csv_escape(), joined by commas, ending in "\n".
/// A record made of a single empty field is written as `""` so that readers do not take it for a
/// blank line.
std::string csv_row(const std::vector<std::string>& fields);

/// A whole CSV file: header names and data records, each with the same number of fields.
struct CsvTable {
  std::string path;                            ///< file it was read from (for error messages)
  std::vector<std::string> header;             ///< column names from the first record
  int64_t header_line = 1;                     ///< line of the header (after any blank lines)
  std::vector<std::vector<std::string>> rows;  ///< data records in file order
  std::vector<int64_t> lines;                  ///< 1-based line where each row starts
};

/// Reads a CSV file with the same rules and one-line fm::DataError messages as read_dataset():
/// header required (no duplicate names), quoted fields with doubled quotes and embedded newlines,
/// CRLF / LF / CR line endings, UTF-8 BOM, blank lines skipped, every field valid UTF-8, every row
/// as many fields as the header. A file with a header and no rows gives an empty `rows`.
CsvTable read_csv_table(const std::string& path);

/// Index of column `name` in `table.header`. Throws fm::DataError
/// `path:LINE: no column "name" (columns: a, b); did you mean "Name"?` when absent.
std::size_t csv_column_index(const CsvTable& table, const std::string& name);

}  // namespace fm

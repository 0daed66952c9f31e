#pragma once
/// \file
/// RFC 4180 CSV helpers: quoting for writers, a streaming reader and a whole-table reader for files
/// whose columns are not known in advance (e.g. predictions files). Labelled datasets use
/// fm::read_dataset().

#include <cstddef>
#include <cstdint>
#include <memory>
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

/// Streams the data records of a CSV file without copying their fields, for large files of which a
/// few columns are needed. Same rules and one-line fm::DataError messages as read_csv_table(),
/// raised as the records are reached.
class CsvReader {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  /// Maps (or, for a pipe, reads) the whole file and parses the header. Throws fm::DataError when
  /// the file cannot be read, is empty, or its header has invalid UTF-8 or a repeated name.
  explicit CsvReader(const std::string& path);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  /// File being read (for error messages).
  const std::string& path() const;
  /// Column names from the first record.
  const std::vector<std::string>& header() const;
  /// 1-based line of the header (after any blank lines).
  int64_t header_line() const;
  /// Index of column `name` in header(), or npos.
  std::size_t find_column(std::string_view name) const;
  /// Index of column `name`; throws the csv_column_index() message when absent.
  std::size_t column_index(const std::string& name) const;

  /// Moves to the next data record; false at the end of the file. Throws fm::DataError
  /// `path:LINE: ...` on a quoting error, a field count that differs from the header's, or a field
  /// that is not valid UTF-8.
  bool next();
  /// Field `index` (< header().size()) of the current record, quotes undone; valid until next().
  std::string_view field(std::size_t index) const { return fields_[index]; }
  /// 1-based line where the current record starts.
  int64_t line() const;
  /// Bytes parsed so far (header and current record included) and the file's size: with the
  /// records read so far, an estimate of how many are left.
  std::size_t bytes_read() const;
  std::size_t file_size() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::vector<std::string_view> fields_;
  std::vector<int64_t> field_lines_;
};

/// Index of column `name` in `table.header`. Throws fm::DataError
/// `path:LINE: no column "name" (columns: a, b); did you mean "Name"?` when absent.
std::size_t csv_column_index(const CsvTable& table, const std::string& name);

}  // namespace fm

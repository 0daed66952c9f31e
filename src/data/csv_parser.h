#pragma once
// Streaming RFC 4180 record parser over an in-memory file, shared by read_dataset() and
// read_csv_table().

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fm::data_detail {

class CsvParser {
 public:
  /// `content` must outlive the parser; a leading UTF-8 BOM is skipped.
  CsvParser(std::string_view content, const std::string& path);

  /// Reads the next record, skipping blank lines. Fields go to `fields[0..count)` (the vectors only
  /// grow, so their strings' capacity is reused) with the line each field starts on in
  /// `field_lines`. Returns the field count, 0 at end of file. Throws fm::DataError on quoting
  /// errors.
  std::size_t next(std::vector<std::string>& fields, std::vector<int64_t>& field_lines);

  /// Line where the record last returned by next() starts.
  int64_t record_line() const { return record_line_; }

  /// Column names used in messages once the header has been read (may be null).
  void set_header(const std::vector<std::string>* header) { header_ = header; }

  /// `field "name"` for column `index` of a data row, `header field N` before the header is set.
  std::string describe_field(std::size_t index) const;

  /// Parses the header record: throws on an empty file, invalid UTF-8 or duplicate names.
  std::vector<std::string> read_header();

  /// Throws when the record does not have `header.size()` fields or a field is not valid UTF-8.
  void check_record(std::size_t count, const std::vector<std::string>& fields,
                    const std::vector<int64_t>& field_lines) const;

 private:
  void consume_line_break();

  std::string_view s_;
  const std::string& path_;
  std::size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  const std::vector<std::string>* header_ = nullptr;
};

}  // namespace fm::data_detail

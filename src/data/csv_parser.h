#pragma once
// Streaming RFC 4180 record parser over an in-memory file, shared by read_dataset(), CsvReader
// and read_csv_table().

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace fm::data_detail {

class CsvParser {
 public:
  /// `content` must outlive the parser; a leading UTF-8 BOM is skipped.
  CsvParser(std::string_view content, const std::string& path);

  /// Reads the next record, skipping blank lines. Fields go to `fields[0..count)` (the vectors only
  /// grow) with the line each field starts on in `field_lines`. A field views the content, or, when
  /// it had doubled quotes to undo, a buffer of the parser; either way it stays valid until the
  /// next call. Returns the field count, 0 at end of file. Throws fm::DataError on quoting errors.
  std::size_t next(std::vector<std::string_view>& fields, std::vector<int64_t>& field_lines);

  /// Bytes of the content parsed so far.
  std::size_t position() const { return pos_; }

  /// Line where the record last returned by next() starts.
  int64_t record_line() const { return record_line_; }

  /// Column names used in messages once the header has been read (may be null).
  void set_header(const std::vector<std::string>* header) { header_ = header; }

  /// `field "name"` for column `index` of a data row, `header field N` before the header is set.
  std::string describe_field(std::size_t index) const;

  /// Parses the header record: throws on an empty file, invalid UTF-8 or duplicate names.
  std::vector<std::string> read_header();

  /// Throws when the record last returned by next() does not have `header.size()` fields or a
  /// field is not valid UTF-8; call it before the next call to next().
  void check_record(std::size_t count, const std::vector<std::string_view>& fields,
                    const std::vector<int64_t>& field_lines) const;

 private:
  void consume_line_break();

  std::string_view s_;
  const std::string& path_;
  std::size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  const std::vector<std::string>* header_ = nullptr;
  // Start of the record last returned by next(); it ends at pos_. Splitting a valid UTF-8 text at
  // ASCII bytes (commas, quotes, line breaks) leaves valid pieces, and joining valid pieces with
  // ASCII bytes gives a valid text, so one check of the record's bytes, while they are still in
  // cache, clears all its fields; only a record that fails is checked field by field, to name the
  // first bad one.
  std::size_t record_start_ = 0;
  // Fields with doubled quotes, unescaped; a deque so that growing it keeps earlier views valid.
  std::deque<std::string> unescaped_;
};

}  // namespace fm::data_detail

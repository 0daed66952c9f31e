#include "fm/data/csv.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "data/checks.h"
#include "data/csv_parser.h"
#include "data/readers.h"
#include "fm/error.h"
#include "fm/io/files.h"

namespace fm {
namespace data_detail {

CsvParser::CsvParser(std::string_view content, const std::string& path) : s_(content), path_(path) {
  if (s_.size() >= 3 && std::memcmp(s_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
}

void CsvParser::consume_line_break() {
  if (s_[pos_] == '\r' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') ++pos_;
  ++pos_;
  ++line_;
}

std::string CsvParser::describe_field(std::size_t index) const {
  if (header_ != nullptr && index < header_->size())
    return "field \"" + printable((*header_)[index]) + "\"";
  return (header_ != nullptr ? "field " : "header field ") + std::to_string(index + 1);
}

std::size_t CsvParser::next(std::vector<std::string>& fields, std::vector<int64_t>& field_lines) {
  const std::size_t n = s_.size();
  while (pos_ < n && (s_[pos_] == '\n' || s_[pos_] == '\r')) consume_line_break();
  if (pos_ >= n) return 0;
  record_line_ = line_;
  std::size_t count = 0;
  for (;;) {
    if (count == fields.size()) {
      fields.emplace_back();
      field_lines.push_back(0);
    }
    std::string& field = fields[count];
    field_lines[count] = line_;
    ++count;
    if (pos_ < n && s_[pos_] == '"') {
      const int64_t start_line = line_;
      ++pos_;
      field.clear();
      for (;;) {
        const void* found = std::memchr(s_.data() + pos_, '"', n - pos_);
        if (found == nullptr) fail(path_, start_line, "unterminated quoted field");
        std::size_t quote = static_cast<std::size_t>(static_cast<const char*>(found) - s_.data());
        std::string_view chunk = s_.substr(pos_, quote - pos_);
        line_ += count_line_breaks(chunk);
        field.append(chunk.data(), chunk.size());
        pos_ = quote + 1;
        if (pos_ < n && s_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ >= n) return count;
      char c = s_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      if (c == '\n' || c == '\r') {
        consume_line_break();
        return count;
      }
      fail(path_, line_,
           "unexpected character after the closing quote of " + describe_field(count - 1) +
               " (a quoted field must end at a comma or line end)");
    }
    const std::size_t start = pos_;
    while (pos_ < n) {
      char c = s_[pos_];
      if (c == ',' || c == '\n' || c == '\r') break;
      if (c == '"') {
        fail(path_, line_,
             "stray quote in unquoted " + describe_field(count - 1) +
                 " (quote the whole field and double inner quotes)");
      }
      ++pos_;
    }
    field.assign(s_.data() + start, pos_ - start);
    if (pos_ >= n) return count;
    if (s_[pos_] == ',') {
      ++pos_;
      continue;
    }
    consume_line_break();
    return count;
  }
}

std::vector<std::string> CsvParser::read_header() {
  std::vector<std::string> fields;
  std::vector<int64_t> lines;
  std::size_t count = next(fields, lines);
  if (count == 0) fail(path_, 0, "empty file (a header row is required)");
  fields.resize(count);
  const int64_t line = record_line_;
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t bad = find_invalid_utf8(fields[i]);
    if (bad != std::string_view::npos) {
      fail(path_, lines[i] + count_line_breaks(std::string_view(fields[i]).substr(0, bad)),
           "invalid UTF-8 at byte " + std::to_string(bad) + " of header field " +
               std::to_string(i + 1));
    }
    auto [it, inserted] = seen.emplace(fields[i], i);
    if (!inserted) {
      fail(path_, line,
           "duplicate column \"" + printable(fields[i]) + "\" (columns " +
               std::to_string(it->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
  }
  return fields;
}

void CsvParser::check_record(std::size_t count, const std::vector<std::string>& fields,
                             const std::vector<int64_t>& field_lines) const {
  const std::size_t expected = header_ != nullptr ? header_->size() : count;
  if (count != expected) {
    fail(path_, record_line_,
         "expected " + std::to_string(expected) + " field" + (expected == 1 ? "" : "s") +
             ", found " + std::to_string(count));
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t bad = find_invalid_utf8(fields[i]);
    if (bad != std::string_view::npos) {
      fail(path_, field_lines[i] + count_line_breaks(std::string_view(fields[i]).substr(0, bad)),
           "invalid UTF-8 at byte " + std::to_string(bad) + " of " + describe_field(i));
    }
  }
}

namespace {

std::size_t find_column(const std::string& path, int64_t header_line,
                        const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  fail(path, header_line,
       "no column \"" + printable(name) + "\"" + describe_choices("columns", name, header));
}

}  // namespace

Dataset read_csv_dataset(const std::string& path, std::string_view content,
                         const ColumnSpec& columns) {
  CsvParser parser(content, path);
  const std::vector<std::string> header = parser.read_header();
  parser.set_header(&header);
  const int64_t header_line = parser.record_line();
  auto find = [&](const std::string& name) { return find_column(path, header_line, header, name); };

  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  const std::size_t text_index = find(columns.text_column);
  std::size_t label_index = kNone;
  if (columns.require_label) {
    label_index = find(columns.label_column);
  } else if (!columns.label_column.empty()) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == columns.label_column) label_index = i;
    }
  }
  std::vector<std::size_t> group_indices;
  for (const auto& name : columns.group_columns) {
    group_indices.push_back(find(name));
  }
  const std::size_t id_index = columns.id_column.empty() ? kNone : find(columns.id_column);

  Dataset data;
  data.path = path;
  data.group_columns = columns.group_columns;
  data.has_labels = label_index != kNone;
  // One record per line is an upper bound that avoids re-moving every Example as the vector grows.
  data.examples.reserve(static_cast<std::size_t>(std::count(content.begin(), content.end(), '\n')) +
                        1);

  std::vector<std::string> fields;
  std::vector<int64_t> field_lines;
  while (std::size_t count = parser.next(fields, field_lines)) {
    parser.check_record(count, fields, field_lines);
    Example example;
    example.line = parser.record_line();
    example.id = id_index != kNone ? fields[id_index] : std::to_string(data.examples.size());
    if (label_index != kNone) {
      example.label = fields[label_index];
      if (columns.require_label && example.label.empty()) {
        fail(path, field_lines[label_index],
             "empty label in column \"" + printable(columns.label_column) + "\"");
      }
    }
    example.groups.reserve(group_indices.size());
    for (std::size_t index : group_indices) example.groups.push_back(fields[index]);
    // The text is usually the largest field: move it last, after any copies of the same column.
    example.text = std::move(fields[text_index]);
    data.examples.push_back(std::move(example));
  }
  if (data.examples.empty()) fail(path, 0, "no examples");
  return data;
}

}  // namespace data_detail

std::string csv_escape(std::string_view field) {
  bool needs_quotes = field.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!field.empty()) {
    char first = field.front(), last = field.back();
    needs_quotes = needs_quotes || first == ' ' || first == '\t' || last == ' ' || last == '\t';
  }
  if (!needs_quotes) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out.push_back('"');
  std::size_t start = 0;
  for (std::size_t quote = field.find('"'); quote != std::string_view::npos;
       quote = field.find('"', start)) {
    out.append(field.data() + start, quote + 1 - start);
    out.push_back('"');
    start = quote + 1;
  }
  out.append(field.data() + start, field.size() - start);
  out.push_back('"');
  return out;
}

std::string csv_row(const std::vector<std::string>& fields) {
  if (fields.size() == 1 && fields[0].empty()) return "\"\"\n";
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += csv_escape(fields[i]);
  }
  out.push_back('\n');
  return out;
}

CsvTable read_csv_table(const std::string& path) {
  const std::string content = read_file(path);
  data_detail::CsvParser parser(content, path);
  CsvTable table;
  table.path = path;
  table.header = parser.read_header();
  table.header_line = parser.record_line();
  parser.set_header(&table.header);
  std::vector<std::string> fields;
  std::vector<int64_t> field_lines;
  while (std::size_t count = parser.next(fields, field_lines)) {
    parser.check_record(count, fields, field_lines);
    table.rows.emplace_back(fields.begin(), fields.begin() + static_cast<std::ptrdiff_t>(count));
    table.lines.push_back(parser.record_line());
  }
  return table;
}

std::size_t csv_column_index(const CsvTable& table, const std::string& name) {
  for (std::size_t i = 0; i < table.header.size(); ++i) {
    if (table.header[i] == name) return i;
  }
  data_detail::fail(table.path, table.header_line,
                    "no column \"" + data_detail::printable(name) + "\"" +
                        data_detail::describe_choices("columns", name, table.header));
}

}  // namespace fm

#include "fm/data/csv.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
namespace {

// Bytes that end an unquoted field (comma, CR, LF) or may not appear in one (a quote), for the
// last bytes of the file that find_field_stop() cannot read eight at a time.
struct FieldStops {
  bool stop[256] = {};
  constexpr FieldStops() {
    stop[static_cast<unsigned char>(',')] = true;
    stop[static_cast<unsigned char>('\n')] = true;
    stop[static_cast<unsigned char>('\r')] = true;
    stop[static_cast<unsigned char>('"')] = true;
  }
};
constexpr FieldStops kFieldStops;

// First byte at or after `pos` that ends an unquoted field or may not be in one, or `n`.
std::size_t find_field_stop(const char* s, std::size_t pos, std::size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // Eight bytes at a time: a zero byte of `word ^ broadcast(c)` marks a `c`. The marker test may
  // also flag bytes above a real match (a borrow runs upwards), never below, so the lowest flag
  // over the four searched bytes is the first stop.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  auto zero_bytes = [](uint64_t x) { return (x - kOnes) & ~x & kHighs; };
  for (; pos + 8 <= n; pos += 8) {
    uint64_t word;
    std::memcpy(&word, s + pos, 8);
    const uint64_t hits = zero_bytes(word ^ (kOnes * ',')) | zero_bytes(word ^ (kOnes * '"')) |
                          zero_bytes(word ^ (kOnes * '\n')) | zero_bytes(word ^ (kOnes * '\r'));
    if (hits != 0) return pos + static_cast<std::size_t>(__builtin_ctzll(hits) >> 3);
  }
#endif
  while (pos < n && !kFieldStops.stop[static_cast<unsigned char>(s[pos])]) ++pos;
  return pos;
}

}  // namespace

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

std::size_t CsvParser::next(std::vector<std::string_view>& fields,
                            std::vector<int64_t>& field_lines) {
  const std::size_t n = s_.size();
  while (pos_ < n && (s_[pos_] == '\n' || s_[pos_] == '\r')) consume_line_break();
  if (pos_ >= n) return 0;
  record_line_ = line_;
  record_start_ = pos_;
  std::size_t count = 0;
  std::size_t unescaped_used = 0;
  for (;;) {
    if (count == fields.size()) {
      fields.emplace_back();
      field_lines.push_back(0);
    }
    field_lines[count] = line_;
    ++count;
    if (pos_ < n && s_[pos_] == '"') {
      const int64_t start_line = line_;
      const std::size_t start = ++pos_;
      // Set at the first doubled quote: only then does the field differ from the bytes it spans.
      std::string* unescaped = nullptr;
      for (;;) {
        const void* found = std::memchr(s_.data() + pos_, '"', n - pos_);
        if (found == nullptr) fail(path_, start_line, "unterminated quoted field");
        const std::size_t quote =
            static_cast<std::size_t>(static_cast<const char*>(found) - s_.data());
        const std::string_view chunk = s_.substr(pos_, quote - pos_);
        line_ += count_line_breaks(chunk);
        pos_ = quote + 1;
        if (pos_ < n && s_[pos_] == '"') {
          if (unescaped == nullptr) {
            if (unescaped_used == unescaped_.size()) unescaped_.emplace_back();
            unescaped = &unescaped_[unescaped_used++];
            unescaped->clear();
          }
          unescaped->append(chunk.data(), chunk.size());
          unescaped->push_back('"');
          ++pos_;
          continue;
        }
        if (unescaped != nullptr) {
          unescaped->append(chunk.data(), chunk.size());
          fields[count - 1] = *unescaped;
        } else {
          fields[count - 1] = s_.substr(start, quote - start);
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
    pos_ = find_field_stop(s_.data(), pos_, n);
    if (pos_ < n && s_[pos_] == '"') {
      fail(path_, line_,
           "stray quote in unquoted " + describe_field(count - 1) +
               " (quote the whole field and double inner quotes)");
    }
    fields[count - 1] = s_.substr(start, pos_ - start);
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
  std::vector<std::string_view> views;
  std::vector<int64_t> lines;
  const std::size_t count = next(views, lines);
  if (count == 0) fail(path_, 0, "empty file (a header row is required)");
  std::vector<std::string> fields(views.begin(),
                                  views.begin() + static_cast<std::ptrdiff_t>(count));
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

void CsvParser::check_record(std::size_t count, const std::vector<std::string_view>& fields,
                             const std::vector<int64_t>& field_lines) const {
  const std::size_t expected = header_ != nullptr ? header_->size() : count;
  if (count != expected) {
    fail(path_, record_line_,
         "expected " + std::to_string(expected) + " field" + (expected == 1 ? "" : "s") +
             ", found " + std::to_string(count));
  }
  const auto record = s_.substr(record_start_, pos_ - record_start_);
  if (find_invalid_utf8(record) == std::string_view::npos) return;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t bad = find_invalid_utf8(fields[i]);
    if (bad != std::string_view::npos) {
      fail(path_, field_lines[i] + count_line_breaks(fields[i].substr(0, bad)),
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

  std::vector<std::string_view> fields;
  std::vector<int64_t> field_lines;
  NulTexts nul_texts(path, columns.text_column);
  while (std::size_t count = parser.next(fields, field_lines)) {
    parser.check_record(count, fields, field_lines);
    Example example;
    example.line = parser.record_line();
    example.id =
        id_index != kNone ? std::string(fields[id_index]) : std::to_string(data.examples.size());
    if (label_index != kNone) {
      example.label = fields[label_index];
      if (columns.require_label && example.label.empty()) {
        fail(path, field_lines[label_index],
             "empty label in column \"" + printable(columns.label_column) + "\"");
      }
    }
    example.groups.reserve(group_indices.size());
    for (std::size_t index : group_indices) example.groups.emplace_back(fields[index]);
    example.text = fields[text_index];
    nul_texts.check(example.text, example.line);
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

// Lives behind a pointer: the parser keeps references to the path, the content and the header,
// so they must not move when a CsvReader does.
struct CsvReader::State {
  std::string path;
  std::string owned;  // the file's bytes when it is not mapped
  void* mapped = nullptr;
  std::size_t mapped_size = 0;
  std::string_view content;
  data_detail::CsvParser parser;
  std::vector<std::string> header;
  int64_t header_line = 1;

  explicit State(const std::string& file) : path(file), content(load()), parser(content, path) {}
  ~State() {
    if (mapped != nullptr) ::munmap(mapped, mapped_size);
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Mapping a regular file costs a tenth of read_file() on a 43 MB predictions file (no zero-fill,
  // no copy out of the page cache). A file truncated while it is read would then raise SIGBUS
  // instead of an error; prediction files are written once, before the audit. Pipes, empty files
  // and any failure go through read_file(), which also gives the usual "cannot open" messages.
  std::string_view load() {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st {};
      if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        const auto size = static_cast<std::size_t>(st.st_size);
        int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
        flags |= MAP_POPULATE;  // one call maps every page instead of one fault per page
#endif
        void* p = ::mmap(nullptr, size, PROT_READ, flags, fd, 0);
        if (p != MAP_FAILED) {
          mapped = p;
          mapped_size = size;
        }
      }
      ::close(fd);
      if (mapped != nullptr) return {static_cast<const char*>(mapped), mapped_size};
    }
    owned = read_file(path);
    return owned;
  }
};

CsvReader::CsvReader(const std::string& path) : state_(std::make_unique<State>(path)) {
  state_->header = state_->parser.read_header();
  state_->header_line = state_->parser.record_line();
  state_->parser.set_header(&state_->header);
}

CsvReader::~CsvReader() = default;

const std::string& CsvReader::path() const { return state_->path; }

const std::vector<std::string>& CsvReader::header() const { return state_->header; }

int64_t CsvReader::header_line() const { return state_->header_line; }

std::size_t CsvReader::find_column(std::string_view name) const {
  const auto& header = state_->header;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return npos;
}

std::size_t CsvReader::column_index(const std::string& name) const {
  return data_detail::find_column(state_->path, state_->header_line, state_->header, name);
}

bool CsvReader::next() {
  const std::size_t count = state_->parser.next(fields_, field_lines_);
  if (count == 0) return false;
  state_->parser.check_record(count, fields_, field_lines_);
  return true;
}

int64_t CsvReader::line() const { return state_->parser.record_line(); }

std::size_t CsvReader::bytes_read() const { return state_->parser.position(); }

std::size_t CsvReader::file_size() const { return state_->content.size(); }

CsvTable read_csv_table(const std::string& path) {
  CsvReader reader(path);
  CsvTable table;
  table.path = path;
  table.header = reader.header();
  table.header_line = reader.header_line();
  const std::size_t width = table.header.size();
  while (reader.next()) {
    std::vector<std::string>& row = table.rows.emplace_back();
    row.reserve(width);
    for (std::size_t i = 0; i < width; ++i) row.emplace_back(reader.field(i));
    table.lines.push_back(reader.line());
  }
  return table;
}

std::size_t csv_column_index(const CsvTable& table, const std::string& name) {
  return data_detail::find_column(table.path, table.header_line, table.header, name);
}

}  // namespace fm

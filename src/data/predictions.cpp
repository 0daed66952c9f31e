#include "fm/data/predictions.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "fm/data/csv.h"
#include "fm/error.h"

namespace fm {
namespace {

// Distinct values of a column numbered in first-seen order. A prediction file has few distinct
// labels and groups but a lookup on every row, so values under 16 bytes (nearly all of them) are
// packed into two words and found in a small open-addressing table: no string hashing, no memcmp.
class ValueCodes {
 public:
  int32_t code(std::string_view value) {
    if (value.size() >= 16) return long_code(value);
    uint64_t lo = 0;
    uint64_t hi = static_cast<uint64_t>(value.size()) << 56;  // "a" and "a\0" differ
    for (std::size_t i = 0; i < value.size(); ++i) {
      const auto byte = static_cast<uint64_t>(static_cast<unsigned char>(value[i]));
      if (i < 8) {
        lo |= byte << (8 * i);
      } else {
        hi |= byte << (8 * (i - 8));
      }
    }
    std::size_t mask = slots_.size() - 1;
    std::size_t i = slot_of(lo, hi) & mask;
    for (; slots_[i].code >= 0; i = (i + 1) & mask) {
      if (slots_[i].lo == lo && slots_[i].hi == hi) return slots_[i].code;
    }
    const int32_t code = add(value);
    slots_[i] = {lo, hi, code};
    if (++short_count_ * 2 > slots_.size()) grow();
    return code;
  }
  const std::deque<std::string>& values() const { return values_; }

 private:
  struct Slot {
    uint64_t lo = 0;
    uint64_t hi = 0;
    int32_t code = -1;  // -1: empty
  };

  // MurmurHash3's finaliser over both words: every input bit reaches the low bits that pick the
  // slot, so ids that differ only in their last characters still spread out.
  static std::size_t slot_of(uint64_t lo, uint64_t hi) {
    uint64_t h = lo * 0x9E3779B97F4A7C15ULL ^ hi;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return static_cast<std::size_t>(h);
  }

  int32_t add(std::string_view value) {
    values_.emplace_back(value);
    return static_cast<int32_t>(values_.size() - 1);
  }

  int32_t long_code(std::string_view value) {
    auto it = long_index_.find(value);
    if (it != long_index_.end()) return it->second;
    const int32_t code = add(value);
    long_index_.emplace(values_.back(), code);  // the key views the copy, not the dying field
    return code;
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.code < 0) continue;
      std::size_t i = slot_of(slot.lo, slot.hi) & mask;
      while (slots_[i].code >= 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::deque<std::string> values_;  // a deque, so that growing it keeps the long keys in place
  std::vector<Slot> slots_ = std::vector<Slot>(64);
  std::size_t short_count_ = 0;
  std::unordered_map<std::string_view, int32_t> long_index_;
};

// The whole of `text` as a finite number, exactly as strtod reads it; false when it is not one.
bool parse_finite(std::string_view text, double& value, std::string& scratch) {
  const char* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(text.data(), last, value);
  // from_chars reads strtod's decimal syntax (less leading spaces, '+' and hex) and rounds
  // correctly, as glibc's strtod does, so a finite result above the subnormal range is the value
  // strtod would return. Anything else goes through strtod itself, which keeps the accepted texts
  // and its ERANGE rule for subnormal results exactly as they were.
  if (ec == std::errc() && end == last && std::isfinite(value) &&
      std::fabs(value) > std::numeric_limits<double>::min()) {
    return true;
  }
  if (text.empty()) return false;
  scratch.assign(text);
  char* stop = nullptr;
  errno = 0;
  value = std::strtod(scratch.c_str(), &stop);
  return stop == scratch.c_str() + scratch.size() && errno != ERANGE && std::isfinite(value);
}

DataError no_predictions(const CsvReader& reader) {
  return DataError(reader.path() + ":" + std::to_string(reader.header_line()) +
                   ": no predictions (header only)");
}

// Every record is checked before a missing column is reported, so a malformed file, then a file
// without rows, get their own message whichever columns were asked for.
void require_columns(CsvReader& reader, const PredictionColumns& columns) {
  std::vector<const std::string*> wanted = {&columns.true_column};
  if (!columns.pred_column.empty()) wanted.push_back(&columns.pred_column);
  if (!columns.weight_column.empty()) wanted.push_back(&columns.weight_column);
  for (const auto& g : columns.group_columns) wanted.push_back(&g);
  if (!columns.score_column.empty()) wanted.push_back(&columns.score_column);
  const bool all_found = std::all_of(wanted.begin(), wanted.end(), [&](const std::string* name) {
    return reader.find_column(*name) != CsvReader::npos;
  });
  if (all_found) return;
  bool any_row = false;
  while (reader.next()) any_row = true;
  if (!any_row) throw no_predictions(reader);
  for (const std::string* name : wanted) reader.column_index(*name);
}

/// Where the wanted columns are in the header.
struct ColumnLayout {
  bool has_pred = false;
  bool has_weight = false;
  bool single_score = false;  // one score column, for the positive class of binary data
  std::size_t true_index = 0;
  std::size_t pred_index = 0;    // when has_pred
  std::size_t weight_index = 0;  // when has_weight
  std::vector<std::size_t> group_index;
  std::map<std::string, std::size_t> class_columns;  // label → its probability column
  // Score columns in class order (the map is sorted by label, as the classes will be), which is
  // also the order their errors are reported in within a row.
  std::vector<std::size_t> score_columns;
};

/// Every header named prefix + label that is none of the label, weight and group columns.
std::map<std::string, std::size_t> class_probability_columns(const std::vector<std::string>& header,
                                                             const std::string& prefix,
                                                             const ColumnLayout& layout) {
  std::set<std::size_t> taken(layout.group_index.begin(), layout.group_index.end());
  taken.insert(layout.true_index);
  if (layout.has_pred) taken.insert(layout.pred_index);
  if (layout.has_weight) taken.insert(layout.weight_index);
  std::map<std::string, std::size_t> class_columns;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string& name = header[c];
    if (!taken.count(c) && name.size() > prefix.size() &&
        name.compare(0, prefix.size(), prefix) == 0) {
      class_columns.emplace(name.substr(prefix.size()), c);
    }
  }
  return class_columns;
}

ColumnLayout locate_columns(const CsvReader& reader, const PredictionColumns& columns) {
  ColumnLayout layout;
  layout.has_pred = !columns.pred_column.empty();
  layout.has_weight = !columns.weight_column.empty();
  layout.single_score = !columns.score_column.empty();
  layout.true_index = reader.find_column(columns.true_column);
  if (layout.has_pred) layout.pred_index = reader.find_column(columns.pred_column);
  if (layout.has_weight) layout.weight_index = reader.find_column(columns.weight_column);
  for (const auto& g : columns.group_columns) layout.group_index.push_back(reader.find_column(g));
  if (layout.single_score) {
    layout.score_columns.push_back(reader.find_column(columns.score_column));
    return layout;
  }
  // Per-class probability columns: every header named prefix + label (unless one score column
  // was chosen, which then stands alone).
  if (!columns.score_prefix.empty()) {
    layout.class_columns = class_probability_columns(reader.header(), columns.score_prefix, layout);
  }
  for (const auto& entry : layout.class_columns) layout.score_columns.push_back(entry.second);
  return layout;
}

/// What the pass over the records collects besides the label, weight and group columns.
struct RecordValues {
  explicit RecordValues(const ColumnLayout& layout)
      : score_values(layout.score_columns.size()), groups(layout.group_index.size()) {}

  std::vector<std::vector<float>> score_values;  // one a score column, as in layout.score_columns
  ValueCodes labels;  // codes in first-seen order until the sorted classes are known
  std::vector<ValueCodes> groups;
  // Data errors are reported after the whole file has been checked, in the order of their kinds
  // (malformed record, no rows, empty label, class configuration, bad number), so the first of a
  // kind is kept and the reading goes on.
  std::string empty_label_error;
  std::string number_error;
  std::string scratch;  // for parse_finite
};

/// "path:line" of the record being read.
std::string record_place(const CsvReader& reader) {
  return reader.path() + ":" + std::to_string(reader.line());
}

/// Keeps the file's first number error: field `column` of the record being read, `text`, is not a
/// finite number (`range` null) or not in `range`.
void keep_number_error(const CsvReader& reader, std::size_t column, std::string_view text,
                       const char* range, std::string& number_error) {
  if (!number_error.empty()) return;
  const std::string where = record_place(reader) + ": column \"" + reader.header()[column] + "\"";
  if (range == nullptr) {
    number_error = where + ": expected a finite number, got \"" + std::string(text) + "\"";
  } else {
    number_error = where + ": expected " + range + ", got " + std::string(text);
  }
}

// Sizing the columns from the first rows' length saves regrowing (copying and faulting in)
// them about twenty times over a large file.
void reserve_for_whole_file(const CsvReader& reader, std::size_t sample_rows,
                            const ColumnLayout& layout, AuditData& data,
                            std::vector<std::vector<float>>& score_values) {
  const double rows_per_byte =
      static_cast<double>(sample_rows) / static_cast<double>(reader.bytes_read());
  const auto expected =
      static_cast<std::size_t>(1.125 * rows_per_byte * static_cast<double>(reader.file_size()));
  data.y_true.reserve(expected);
  if (layout.has_pred) data.y_pred.reserve(expected);
  for (auto& values : score_values) values.reserve(expected);
  if (layout.has_weight) data.weights.reserve(expected);
  for (auto& codes : data.group_codes) codes.reserve(expected);
}

void read_labels(const CsvReader& reader, const ColumnLayout& layout, AuditData& data,
                 RecordValues& values) {
  for (int k = 0; k < (layout.has_pred ? 2 : 1); ++k) {
    const std::size_t index = k == 0 ? layout.true_index : layout.pred_index;
    const std::string_view label = reader.field(index);
    if (label.empty() && values.empty_label_error.empty()) {
      values.empty_label_error =
          record_place(reader) + ": column \"" + reader.header()[index] + "\": empty label";
    }
    (k == 0 ? data.y_true : data.y_pred).push_back(values.labels.code(label));
  }
}

void read_scores(const CsvReader& reader, const ColumnLayout& layout, RecordValues& values) {
  for (std::size_t k = 0; k < layout.score_columns.size(); ++k) {
    const std::size_t column = layout.score_columns[k];
    const std::string_view text = reader.field(column);
    double s = 0;
    if (!parse_finite(text, s, values.scratch)) {
      keep_number_error(reader, column, text, nullptr, values.number_error);
    } else if (s < 0 || s > 1) {
      keep_number_error(reader, column, text, "a probability in [0, 1]", values.number_error);
    }
    values.score_values[k].push_back(static_cast<float>(s));
  }
}

// Errors name the column by its header, which find_column matched to columns.weight_column exactly.
void read_weight(const CsvReader& reader, const ColumnLayout& layout, AuditData& data,
                 RecordValues& values) {
  const std::string_view text = reader.field(layout.weight_index);
  double w = 0;
  if (!parse_finite(text, w, values.scratch)) {
    keep_number_error(reader, layout.weight_index, text, nullptr, values.number_error);
  } else if (w < 0) {
    keep_number_error(reader, layout.weight_index, text, "a weight >= 0", values.number_error);
  }
  data.weights.push_back(w);
}

void read_groups(const CsvReader& reader, const ColumnLayout& layout, AuditData& data,
                 RecordValues& values) {
  for (std::size_t k = 0; k < layout.group_index.size(); ++k) {
    data.group_codes[k].push_back(values.groups[k].code(reader.field(layout.group_index[k])));
  }
}

/// Reads every record into `data` (labels as first-seen codes) and `values`; returns how many
/// there were.
std::size_t read_records(CsvReader& reader, const ColumnLayout& layout, AuditData& data,
                         RecordValues& values) {
  data.group_codes.assign(layout.group_index.size(), {});
  constexpr std::size_t kSampleRows = 1000;
  std::size_t rows = 0;
  while (reader.next()) {
    if (rows == kSampleRows) {
      reserve_for_whole_file(reader, rows, layout, data, values.score_values);
    }
    ++rows;
    read_labels(reader, layout, data, values);
    read_scores(reader, layout, values);
    if (layout.has_weight) read_weight(reader, layout, data, values);
    read_groups(reader, layout, data, values);
  }
  return rows;
}

/// Index of `label` in the sorted `classes`, or -1.
int32_t class_index(const std::vector<std::string>& classes, const std::string& label) {
  const auto it = std::lower_bound(classes.begin(), classes.end(), label);
  return it != classes.end() && *it == label ? static_cast<int32_t>(it - classes.begin())
                                             : int32_t{-1};
}

/// The classes are every label read and every class of a probability column, sorted; the label
/// columns change from first-seen codes to class indices.
void assign_classes(const ValueCodes& labels,
                    const std::map<std::string, std::size_t>& class_columns, AuditData& data) {
  std::set<std::string> class_set(labels.values().begin(), labels.values().end());
  for (const auto& entry : class_columns) class_set.insert(entry.first);
  data.classes.assign(class_set.begin(), class_set.end());
  std::vector<int32_t> remap;
  for (const auto& label : labels.values()) remap.push_back(class_index(data.classes, label));
  for (int32_t& c : data.y_true) c = remap[static_cast<std::size_t>(c)];
  for (int32_t& c : data.y_pred) c = remap[static_cast<std::size_t>(c)];
}

void check_class_configuration(const std::string& path, const PredictionColumns& columns,
                               const std::vector<std::string>& classes) {
  if (!columns.positive_label.empty() && class_index(classes, columns.positive_label) < 0) {
    std::string known;
    for (const auto& c : classes) known += (known.empty() ? "" : ", ") + c;
    throw ConfigError("positive_label: \"" + columns.positive_label + "\" is not a class of " +
                      path + " (classes: " + known + ")");
  }
  if (!columns.score_column.empty() && classes.size() != 2) {
    throw ConfigError("score_column: \"" + columns.score_column + "\" needs binary data, but " +
                      path + " has " + std::to_string(classes.size()) + " classes");
  }
}

/// Moves the score columns into data.scores by class; one score column is the positive class's.
void place_scores(const PredictionColumns& columns, const ColumnLayout& layout,
                  std::vector<std::vector<float>>& score_values, AuditData& data) {
  if (layout.score_columns.empty()) return;
  data.scores.assign(data.classes.size(), {});
  if (layout.single_score) {
    const std::size_t positive =
        columns.positive_label.empty()
            ? 1
            : static_cast<std::size_t>(class_index(data.classes, columns.positive_label));
    data.scores[positive] = std::move(score_values[0]);
    return;
  }
  std::size_t k = 0;
  for (const auto& entry : layout.class_columns) {
    data.scores[static_cast<std::size_t>(class_index(data.classes, entry.first))] =
        std::move(score_values[k++]);
  }
}

void name_groups(const std::vector<std::string>& group_columns,
                 const std::vector<ValueCodes>& groups, AuditData& data) {
  data.group_columns = group_columns;
  data.group_values.assign(groups.size(), {});
  for (std::size_t k = 0; k < groups.size(); ++k) {
    data.group_values[k].assign(groups[k].values().begin(), groups[k].values().end());
  }
}

}  // namespace

AuditData read_predictions_csv(const std::string& path, const PredictionColumns& columns) {
  CsvReader reader(path);
  require_columns(reader, columns);
  const ColumnLayout layout = locate_columns(reader, columns);

  AuditData data;
  RecordValues values(layout);
  if (read_records(reader, layout, data, values) == 0) throw no_predictions(reader);
  if (!values.empty_label_error.empty()) throw DataError(values.empty_label_error);

  assign_classes(values.labels, layout.class_columns, data);
  check_class_configuration(path, columns, data.classes);
  if (!values.number_error.empty()) throw DataError(values.number_error);

  place_scores(columns, layout, values.score_values, data);
  name_groups(columns.group_columns, values.groups, data);
  return data;
}

}  // namespace fm

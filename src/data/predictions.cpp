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

}  // namespace

AuditData read_predictions_csv(const std::string& path, const PredictionColumns& columns) {
  CsvReader reader(path);
  const std::vector<std::string>& header = reader.header();
  const bool has_pred = !columns.pred_column.empty();
  const bool has_weight = !columns.weight_column.empty();
  const bool single_score = !columns.score_column.empty();

  // Every record is checked before a missing column is reported, so a malformed file, then a file
  // without rows, get their own message whichever columns were asked for.
  std::vector<const std::string*> wanted = {&columns.true_column};
  if (has_pred) wanted.push_back(&columns.pred_column);
  if (has_weight) wanted.push_back(&columns.weight_column);
  for (const auto& g : columns.group_columns) wanted.push_back(&g);
  if (single_score) wanted.push_back(&columns.score_column);
  const bool all_found = std::all_of(wanted.begin(), wanted.end(), [&](const std::string* name) {
    return reader.find_column(*name) != CsvReader::npos;
  });
  if (!all_found) {
    bool any_row = false;
    while (reader.next()) any_row = true;
    if (!any_row) {
      throw DataError(path + ":" + std::to_string(reader.header_line()) +
                      ": no predictions (header only)");
    }
    for (const std::string* name : wanted) reader.column_index(*name);
  }
  const std::size_t true_index = reader.find_column(columns.true_column);
  const std::size_t pred_index = has_pred ? reader.find_column(columns.pred_column) : 0;
  const std::size_t weight_index = has_weight ? reader.find_column(columns.weight_column) : 0;
  std::vector<std::size_t> group_index;
  for (const auto& g : columns.group_columns) group_index.push_back(reader.find_column(g));
  const std::size_t single_index = single_score ? reader.find_column(columns.score_column) : 0;

  // Per-class probability columns: every header named prefix + label (unless one score column
  // was chosen, which then stands alone).
  std::map<std::string, std::size_t> class_columns;
  if (!single_score && !columns.score_prefix.empty()) {
    std::set<std::size_t> taken(group_index.begin(), group_index.end());
    taken.insert(true_index);
    if (has_pred) taken.insert(pred_index);
    if (has_weight) taken.insert(weight_index);
    for (std::size_t c = 0; c < header.size(); ++c) {
      const std::string& name = header[c];
      if (!taken.count(c) && name.size() > columns.score_prefix.size() &&
          name.compare(0, columns.score_prefix.size(), columns.score_prefix) == 0) {
        class_columns.emplace(name.substr(columns.score_prefix.size()), c);
      }
    }
  }
  // Score columns in class order (the map is sorted by label, as the classes will be), which is
  // also the order their errors are reported in within a row.
  std::vector<std::size_t> score_columns;
  if (single_score) {
    score_columns.push_back(single_index);
  } else {
    for (const auto& entry : class_columns) score_columns.push_back(entry.second);
  }

  AuditData data;
  std::vector<std::vector<float>> score_values(score_columns.size());
  ValueCodes labels;  // codes in first-seen order until the sorted classes are known
  std::vector<ValueCodes> groups(group_index.size());
  data.group_codes.assign(group_index.size(), {});
  // Data errors are reported after the whole file has been checked, in the order of their kinds
  // (malformed record, no rows, empty label, class configuration, bad number), so the first of a
  // kind is kept and the reading goes on.
  std::string empty_label_error;
  std::string number_error;
  auto where = [&] { return path + ":" + std::to_string(reader.line()); };
  std::string scratch;
  constexpr std::size_t kSampleRows = 1000;
  std::size_t rows = 0;
  while (reader.next()) {
    if (rows == kSampleRows) {
      // Sizing the columns from the first rows' length saves regrowing (copying and faulting in)
      // them about twenty times over a large file.
      const double rows_per_byte =
          static_cast<double>(rows) / static_cast<double>(reader.bytes_read());
      const auto expected =
          static_cast<std::size_t>(1.125 * rows_per_byte * static_cast<double>(reader.file_size()));
      data.y_true.reserve(expected);
      if (has_pred) data.y_pred.reserve(expected);
      for (auto& values : score_values) values.reserve(expected);
      if (has_weight) data.weights.reserve(expected);
      for (auto& codes : data.group_codes) codes.reserve(expected);
    }
    ++rows;
    for (int k = 0; k < (has_pred ? 2 : 1); ++k) {
      const std::size_t index = k == 0 ? true_index : pred_index;
      const std::string_view label = reader.field(index);
      if (label.empty() && empty_label_error.empty()) {
        empty_label_error = where() + ": column \"" + header[index] + "\": empty label";
      }
      (k == 0 ? data.y_true : data.y_pred).push_back(labels.code(label));
    }
    for (std::size_t k = 0; k < score_columns.size(); ++k) {
      const std::string_view text = reader.field(score_columns[k]);
      double s = 0;
      if (!parse_finite(text, s, scratch)) {
        if (number_error.empty()) {
          number_error = where() + ": column \"" + header[score_columns[k]] +
                         "\": expected a finite number, got \"" + std::string(text) + "\"";
        }
      } else if (s < 0 || s > 1) {
        if (number_error.empty()) {
          number_error = where() + ": column \"" + header[score_columns[k]] +
                         "\": expected a probability in [0, 1], got " + std::string(text);
        }
      }
      score_values[k].push_back(static_cast<float>(s));
    }
    if (has_weight) {
      const std::string_view text = reader.field(weight_index);
      double w = 0;
      if (!parse_finite(text, w, scratch)) {
        if (number_error.empty()) {
          number_error = where() + ": column \"" + columns.weight_column +
                         "\": expected a finite number, got \"" + std::string(text) + "\"";
        }
      } else if (w < 0) {
        if (number_error.empty()) {
          number_error = where() + ": column \"" + columns.weight_column +
                         "\": expected a weight >= 0, got " + std::string(text);
        }
      }
      data.weights.push_back(w);
    }
    for (std::size_t k = 0; k < group_index.size(); ++k) {
      data.group_codes[k].push_back(groups[k].code(reader.field(group_index[k])));
    }
  }
  if (rows == 0) {
    throw DataError(path + ":" + std::to_string(reader.header_line()) +
                    ": no predictions (header only)");
  }
  if (!empty_label_error.empty()) throw DataError(empty_label_error);

  std::set<std::string> class_set(labels.values().begin(), labels.values().end());
  for (const auto& entry : class_columns) class_set.insert(entry.first);
  data.classes.assign(class_set.begin(), class_set.end());
  auto class_of = [&](const std::string& label) {
    const auto it = std::lower_bound(data.classes.begin(), data.classes.end(), label);
    return it != data.classes.end() && *it == label
               ? static_cast<int32_t>(it - data.classes.begin())
               : int32_t{-1};
  };
  std::vector<int32_t> remap;
  for (const auto& label : labels.values()) remap.push_back(class_of(label));
  for (int32_t& c : data.y_true) c = remap[static_cast<std::size_t>(c)];
  for (int32_t& c : data.y_pred) c = remap[static_cast<std::size_t>(c)];

  if (!columns.positive_label.empty() && class_of(columns.positive_label) < 0) {
    std::string known;
    for (const auto& c : data.classes) known += (known.empty() ? "" : ", ") + c;
    throw ConfigError("positive_label: \"" + columns.positive_label + "\" is not a class of " +
                      path + " (classes: " + known + ")");
  }
  if (single_score && data.classes.size() != 2) {
    throw ConfigError("score_column: \"" + columns.score_column + "\" needs binary data, but " +
                      path + " has " + std::to_string(data.classes.size()) + " classes");
  }
  if (!number_error.empty()) throw DataError(number_error);

  if (!score_columns.empty()) {
    data.scores.assign(data.classes.size(), {});
    if (single_score) {
      const std::size_t positive = columns.positive_label.empty()
                                       ? 1
                                       : static_cast<std::size_t>(class_of(columns.positive_label));
      data.scores[positive] = std::move(score_values[0]);
    } else {
      std::size_t k = 0;
      for (const auto& entry : class_columns) {
        data.scores[static_cast<std::size_t>(class_of(entry.first))] = std::move(score_values[k++]);
      }
    }
  }
  data.group_columns = columns.group_columns;
  data.group_values.assign(group_index.size(), {});
  for (std::size_t k = 0; k < group_index.size(); ++k) {
    data.group_values[k].assign(groups[k].values().begin(), groups[k].values().end());
  }
  return data;
}

}  // namespace fm

#include "fm/fairness/predictions.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "fm/data/csv.h"
#include "fm/error.h"

namespace fm {
namespace {

std::string where(const CsvTable& table, std::size_t row) {
  return table.path + ":" + std::to_string(table.lines[row]);
}

double parse_number(const CsvTable& table, std::size_t row, const std::string& column,
                    const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double value = text.empty() ? NAN : std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || errno == ERANGE || !std::isfinite(value)) {
    throw DataError(where(table, row) + ": column \"" + column +
                    "\": expected a finite number, got \"" + text + "\"");
  }
  return value;
}

}  // namespace

AuditData read_predictions_csv(const std::string& path, const PredictionColumns& columns) {
  const CsvTable table = read_csv_table(path);
  if (table.rows.empty()) {
    throw DataError(path + ":" + std::to_string(table.header_line) +
                    ": no predictions (header only)");
  }
  const std::size_t true_index = csv_column_index(table, columns.true_column);
  const bool has_pred = !columns.pred_column.empty();
  const std::size_t pred_index = has_pred ? csv_column_index(table, columns.pred_column) : 0;
  const bool has_weight = !columns.weight_column.empty();
  const std::size_t weight_index = has_weight ? csv_column_index(table, columns.weight_column) : 0;
  std::vector<std::size_t> group_index;
  for (const auto& g : columns.group_columns) group_index.push_back(csv_column_index(table, g));
  const bool single_score = !columns.score_column.empty();
  const std::size_t single_index = single_score ? csv_column_index(table, columns.score_column) : 0;

  // Per-class probability columns: every header named prefix + label (unless one score column
  // was chosen, which then stands alone).
  std::map<std::string, std::size_t> class_columns;
  if (!single_score && !columns.score_prefix.empty()) {
    std::set<std::size_t> taken(group_index.begin(), group_index.end());
    taken.insert(true_index);
    if (has_pred) taken.insert(pred_index);
    if (has_weight) taken.insert(weight_index);
    for (std::size_t c = 0; c < table.header.size(); ++c) {
      const std::string& name = table.header[c];
      if (!taken.count(c) && name.size() > columns.score_prefix.size() &&
          name.compare(0, columns.score_prefix.size(), columns.score_prefix) == 0) {
        class_columns.emplace(name.substr(columns.score_prefix.size()), c);
      }
    }
  }

  std::set<std::string> labels;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    for (int k = 0; k < (has_pred ? 2 : 1); ++k) {
      const std::size_t index = k == 0 ? true_index : pred_index;
      if (row[index].empty()) {
        throw DataError(where(table, r) + ": column \"" + table.header[index] + "\": empty label");
      }
      labels.insert(row[index]);
    }
  }
  for (const auto& entry : class_columns) labels.insert(entry.first);

  AuditData data;
  data.classes.assign(labels.begin(), labels.end());
  std::map<std::string, int32_t> class_index;
  for (std::size_t c = 0; c < data.classes.size(); ++c) {
    class_index[data.classes[c]] = static_cast<int32_t>(c);
  }
  if (!columns.positive_label.empty() && !class_index.count(columns.positive_label)) {
    std::string known;
    for (const auto& c : data.classes) known += (known.empty() ? "" : ", ") + c;
    throw ConfigError("positive_label: \"" + columns.positive_label + "\" is not a class of " +
                      path + " (classes: " + known + ")");
  }

  std::vector<std::pair<std::size_t, std::size_t>> score_sources;  // (class, column)
  if (single_score) {
    if (data.classes.size() != 2) {
      throw ConfigError("score_column: \"" + columns.score_column + "\" needs binary data, but " +
                        path + " has " + std::to_string(data.classes.size()) + " classes");
    }
    const std::size_t positive =
        columns.positive_label.empty()
            ? 1
            : static_cast<std::size_t>(class_index[columns.positive_label]);
    score_sources.emplace_back(positive, single_index);
  } else {
    for (const auto& [label, column] : class_columns) {
      score_sources.emplace_back(static_cast<std::size_t>(class_index[label]), column);
    }
  }
  if (!score_sources.empty()) data.scores.assign(data.classes.size(), {});

  const std::size_t n = table.rows.size();
  data.y_true.reserve(n);
  if (has_pred) data.y_pred.reserve(n);
  for (const auto& [cls, column] : score_sources) data.scores[cls].reserve(n);
  data.group_columns = columns.group_columns;
  data.group_codes.assign(group_index.size(), {});
  data.group_values.assign(group_index.size(), {});
  std::vector<std::map<std::string, int32_t>> group_lookup(group_index.size());

  for (std::size_t r = 0; r < n; ++r) {
    const auto& row = table.rows[r];
    data.y_true.push_back(class_index[row[true_index]]);
    if (has_pred) data.y_pred.push_back(class_index[row[pred_index]]);
    for (const auto& [cls, column] : score_sources) {
      const double s = parse_number(table, r, table.header[column], row[column]);
      if (s < 0 || s > 1) {
        throw DataError(where(table, r) + ": column \"" + table.header[column] +
                        "\": expected a probability in [0, 1], got " + row[column]);
      }
      data.scores[cls].push_back(static_cast<float>(s));
    }
    if (has_weight) {
      const double w = parse_number(table, r, columns.weight_column, row[weight_index]);
      if (w < 0) {
        throw DataError(where(table, r) + ": column \"" + columns.weight_column +
                        "\": expected a weight >= 0, got " + row[weight_index]);
      }
      data.weights.push_back(w);
    }
    for (std::size_t k = 0; k < group_index.size(); ++k) {
      const std::string& value = row[group_index[k]];
      auto [it, inserted] =
          group_lookup[k].try_emplace(value, static_cast<int32_t>(data.group_values[k].size()));
      if (inserted) data.group_values[k].push_back(value);
      data.group_codes[k].push_back(it->second);
    }
  }
  return data;
}

}  // namespace fm

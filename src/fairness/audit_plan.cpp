// The plan of an audit: checks of the input, the positive labels and decision rules (views), the
// columns (group columns, intersections, the whole data) and their reference groups.

#include "audit_plan.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "fm/error.h"

namespace fm::audit_detail {
namespace {

void validate_labels_and_scores(const AuditData& d) {
  const std::size_t n = d.rows();
  const auto k = static_cast<int32_t>(d.classes.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (d.y_true[i] < 0 || d.y_true[i] >= k) {
      throw DataError("audit data: y_true[" + std::to_string(i) +
                      "] = " + std::to_string(d.y_true[i]) + " is not a class index");
    }
  }
  if (!d.y_pred.empty()) {
    if (d.y_pred.size() != n) throw DataError("audit data: y_pred and y_true differ in length");
    for (std::size_t i = 0; i < n; ++i) {
      if (d.y_pred[i] < 0 || d.y_pred[i] >= k) {
        throw DataError("audit data: y_pred[" + std::to_string(i) +
                        "] = " + std::to_string(d.y_pred[i]) + " is not a class index");
      }
    }
  }
  if (!d.scores.empty() && d.scores.size() != d.classes.size()) {
    throw DataError("audit data: scores must have one vector per class");
  }
  for (std::size_t c = 0; c < d.scores.size(); ++c) {
    if (!d.scores[c].empty() && d.scores[c].size() != n) {
      throw DataError("audit data: scores of \"" + d.classes[c] +
                      "\" differ in length from y_true");
    }
    for (std::size_t i = 0; i < d.scores[c].size(); ++i) {
      if (!std::isfinite(d.scores[c][i])) {
        throw DataError("audit data: score of \"" + d.classes[c] + "\" in row " +
                        std::to_string(i) + " is not a finite number");
      }
    }
  }
}

void validate_weights_and_groups(const AuditData& d) {
  const std::size_t n = d.rows();
  if (!d.weights.empty()) {
    if (d.weights.size() != n) throw DataError("audit data: weights and y_true differ in length");
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(d.weights[i]) || d.weights[i] < 0) {
        throw DataError("audit data: weights[" + std::to_string(i) +
                        "] must be a finite number >= 0");
      }
    }
  }
  if (d.group_codes.size() != d.group_columns.size() ||
      d.group_values.size() != d.group_columns.size()) {
    throw DataError("audit data: group_columns, group_codes and group_values differ in length");
  }
  for (std::size_t c = 0; c < d.group_columns.size(); ++c) {
    if (d.group_codes[c].size() != n) {
      throw DataError("audit data: group column \"" + d.group_columns[c] +
                      "\" differs in length from y_true");
    }
    const auto m = static_cast<int32_t>(d.group_values[c].size());
    for (std::size_t i = 0; i < n; ++i) {
      if (d.group_codes[c][i] < 0 || d.group_codes[c][i] >= m) {
        throw DataError("audit data: group column \"" + d.group_columns[c] + "\" row " +
                        std::to_string(i) + ": code out of range");
      }
    }
  }
}

void validate_options(const AuditOptions& o) {
  if (o.reference_rule != "majority" && o.reference_rule != "min_metric" &&
      o.reference_rule != "given") {
    throw ConfigError("reference_rule must be \"majority\", \"min_metric\" or \"given\" (got \"" +
                      o.reference_rule + "\")");
  }
  if (!(o.tau > 0 && o.tau <= 1)) throw ConfigError("tau must be in (0, 1]");
  if (!(o.confidence > 0 && o.confidence < 1)) throw ConfigError("confidence must be in (0, 1)");
  if (o.bootstrap_samples < 0) throw ConfigError("bootstrap samples must be >= 0");
  if (!std::isfinite(o.power)) throw ConfigError("power must be a finite number");
  for (double t : o.thresholds) {
    if (!std::isfinite(t)) throw ConfigError("thresholds must be finite numbers");
  }
}

int find_column(const AuditData& d, const std::string& name) {
  for (std::size_t c = 0; c < d.group_columns.size(); ++c) {
    if (d.group_columns[c] == name) return static_cast<int>(c);
  }
  return -1;
}

// The intersection of the group columns `parts`: one group per combination of their values
// ("x&y"), empty combinations included.
Column intersection_column(const AuditData& d, const std::vector<std::string>& parts) {
  if (parts.size() < 2) {
    throw ConfigError("intersections: an intersection needs at least two columns");
  }
  std::vector<int> idx;
  std::string name;
  for (const auto& p : parts) {
    const int c = find_column(d, p);
    if (c < 0) throw ConfigError("intersections: unknown group column \"" + p + "\"");
    if (std::find(idx.begin(), idx.end(), c) != idx.end()) {
      throw ConfigError("intersections: column \"" + p + "\" appears twice");
    }
    idx.push_back(c);
    name += (name.empty() ? "" : "&") + p;
  }
  std::size_t cells = 1;
  for (int c : idx) {
    cells *= std::max<std::size_t>(1, d.group_values[c].size());
    if (cells > kMaxIntersectionCells) {
      throw ConfigError("intersections: \"" + name + "\" has more than " +
                        std::to_string(kMaxIntersectionCells) + " cells");
    }
  }
  Column col;
  col.name = name;
  col.plain = false;
  col.groups = {""};
  for (std::size_t k = 0; k < idx.size(); ++k) {
    std::vector<std::string> next;
    for (const auto& prefix : col.groups) {
      for (const auto& v : d.group_values[idx[k]]) {
        next.push_back(k == 0 ? v : prefix + "&" + v);
      }
    }
    col.groups = std::move(next);
  }
  col.row_group.assign(d.rows(), 0);
  for (std::size_t i = 0; i < d.rows(); ++i) {
    int32_t g = 0;
    for (int c : idx) {
      g = g * static_cast<int32_t>(d.group_values[c].size()) + d.group_codes[c][i];
    }
    col.row_group[i] = g;
  }
  return col;
}

}  // namespace

void validate_input(const AuditData& d, const AuditOptions& o) {
  if (d.rows() == 0) throw DataError("audit data: no rows");
  if (d.classes.empty()) throw DataError("audit data: no classes");
  validate_labels_and_scores(d);
  validate_weights_and_groups(d);
  validate_options(o);
}

void choose_labels(const AuditData& d, const AuditOptions& o, Plan& plan) {
  if (!o.positive_label.empty()) {
    const auto it = std::find(d.classes.begin(), d.classes.end(), o.positive_label);
    if (it == d.classes.end()) {
      std::string known;
      for (const auto& c : d.classes) known += (known.empty() ? "\"" : ", \"") + c + "\"";
      throw ConfigError("positive_label: \"" + o.positive_label +
                        "\" is not a class (classes: " + known + ")");
    }
    plan.labels = {static_cast<int>(it - d.classes.begin())};
  } else if (d.classes.size() == 2) {
    plan.labels = {d.classes[0] < d.classes[1] ? 1 : 0};
  } else if (d.classes.size() == 1) {
    plan.labels = {0};
  } else {
    plan.labels.resize(d.classes.size());
    std::iota(plan.labels.begin(), plan.labels.end(), 0);
    plan.multi = true;
  }
  for (int l : plan.labels) plan.label_names.push_back(d.classes[l]);
}

void choose_views(const AuditData& d, const AuditOptions& o, Plan& plan) {
  for (std::size_t lp = 0; lp < plan.labels.size(); ++lp) {
    const int l = plan.labels[lp];
    const bool has_score = !d.scores.empty() && !d.scores[l].empty();
    if (!o.thresholds.empty()) {
      if (!has_score) {
        throw ConfigError("thresholds: class \"" + d.classes[l] + "\" has no score column");
      }
      for (double t : o.thresholds) plan.views.push_back({static_cast<int>(lp), t});
    } else if (!d.y_pred.empty()) {
      plan.views.push_back({static_cast<int>(lp), std::nullopt});
    } else if (has_score) {
      plan.views.push_back({static_cast<int>(lp), 0.5});
    } else {
      throw DataError("audit data: no y_pred and no score for class \"" + d.classes[l] + "\"");
    }
  }
}

bool predicted(const AuditData& d, int label, const View& v, std::size_t row) {
  if (v.threshold) return static_cast<double>(d.scores[label][row]) >= *v.threshold;
  return d.y_pred[row] == label;
}

void build_columns(const AuditData& d, const AuditOptions& o, Plan& plan) {
  Column all;
  all.plain = false;
  all.groups = {""};
  plan.columns.push_back(std::move(all));
  for (std::size_t c = 0; c < d.group_columns.size(); ++c) {
    Column col;
    col.name = d.group_columns[c];
    col.groups = d.group_values[c];
    col.row_group = d.group_codes[c];
    plan.columns.push_back(std::move(col));
  }
  for (const auto& parts : o.intersections) plan.columns.push_back(intersection_column(d, parts));
  plan.offset.clear();
  plan.table_size = 0;
  for (const auto& col : plan.columns) {
    plan.offset.push_back(plan.table_size);
    plan.table_size += col.groups.size();
  }
}

void choose_references(const AuditData& d, const AuditOptions& o, Plan& plan) {
  plan.reference.assign(plan.columns.size(), -1);
  plan.min_metric = o.reference_rule == "min_metric";
  for (const auto& reference : o.reference_groups) {
    const std::string& column = reference.first;  // a named variable: lambdas cannot capture
    const std::string& group = reference.second;  // structured bindings before C++20 (clang)
    const auto it = std::find_if(plan.columns.begin() + 1, plan.columns.end(),
                                 [&](const Column& c) { return c.name == column; });
    if (it == plan.columns.end()) {
      throw ConfigError("reference_groups: unknown group column \"" + column + "\"");
    }
    const auto g = std::find(it->groups.begin(), it->groups.end(), group);
    if (g == it->groups.end()) {
      throw ConfigError("reference_groups." + column + ": no group \"" + group + "\" in the data");
    }
    plan.reference[static_cast<std::size_t>(it - plan.columns.begin())] =
        static_cast<int32_t>(g - it->groups.begin());
  }
  std::vector<double> count;
  for (std::size_t col = 1; col < plan.columns.size(); ++col) {
    if (plan.reference[col] >= 0) continue;
    const auto& c = plan.columns[col];
    count.assign(c.groups.size(), 0);
    for (std::size_t i = 0; i < d.rows(); ++i) {
      count[static_cast<std::size_t>(c.group_of(i))] += weight_of(d, i);
    }
    plan.reference[col] =
        static_cast<int32_t>(std::max_element(count.begin(), count.end()) - count.begin());
    if (o.reference_rule == "given") {
      plan.notes.push_back("column \"" + c.name + "\" has no configured reference group: using " +
                           "the largest group \"" + c.groups[plan.reference[col]] + "\"");
    }
  }
}

}  // namespace fm::audit_detail

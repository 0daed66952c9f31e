#pragma once
/// \file
/// Reweighing (Kamiran & Calders 2012, "Data preprocessing techniques for classification without
/// discrimination"; AIF360 `aif360.algorithms.preprocessing.Reweighing`). No torch.
///
/// Every training row of group g and label y gets the weight
///
///     w(g, y) = P(g) · P(y) / P(g, y) = (n_g · n_y) / (n · n_{g,y})
///
/// where the counts are sums of instance weights (1 per row unless given): n = Σ_i v_i,
/// n_g = Σ_{i: g_i = g} v_i, n_y = Σ_{i: y_i = y} v_i, n_{g,y} = Σ_{i: g_i = g, y_i = y} v_i. A row's
/// new weight is its instance weight times w(g_i, y_i) (AIF360's `transform` multiplies the
/// existing `instance_weights`). After reweighing, the weighted joint distribution of group and
/// label factorises: Σ_{i in (g, y)} v_i · w(g, y) = n_g · n_y / n, so — when every (g, y) cell
/// has rows — the weighted P(g, y) equals P(g) · P(y) and the weighted total stays n. (An empty
/// cell's share n_g · n_y / n has no row to carry it; its weight is undefined.)
///
/// AIF360 splits rows into privileged/unprivileged and favourable/unfavourable; this is the same
/// formula over every group value and every label (with two groups and two labels it is AIF360's
/// w_p_fav, w_p_unfav, w_up_fav, w_up_unfav exactly).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "fm/data/dataset.h"

namespace fm {

/// One (group, label) cell of the reweighing table.
struct ReweighingCell {
  std::string group;
  std::string label;
  /// n_{g,y}: summed instance weights of the cell's rows (their number when unweighted).
  double count = 0.0;
  /// w(g, y); nullopt when the cell is empty (n_{g,y} = 0: no row would use it; AIF360 divides
  /// by zero there).
  std::optional<double> weight;
};

/// Reweighing of one training set.
struct Reweighing {
  std::vector<std::string> groups;  ///< distinct group values, byte order
  std::vector<std::string> labels;  ///< distinct labels, byte order
  /// groups.size() × labels.size() cells, row-major: cells[g * labels.size() + y].
  std::vector<ReweighingCell> cells;
  /// Per input row: instance weight × w(g_i, y_i).
  std::vector<double> row_weights;
  /// n: the summed instance weights.
  double total = 0.0;

  /// The cell of (group, label); throws std::out_of_range when either is unknown.
  const ReweighingCell& cell(const std::string& group, const std::string& label) const;
};

/// Reweighing weights for rows with `groups[i]` and `labels[i]` and optional `instance_weights`
/// (empty = 1 each; otherwise one finite non-negative value per row). Throws fm::DataError when the
/// sizes differ, there are no rows, an instance weight is negative or not finite, or the instance
/// weights sum to 0.
Reweighing compute_reweighing(const std::vector<std::string>& groups,
                              const std::vector<std::string>& labels,
                              const std::vector<double>& instance_weights = {});

/// Reweighing of `data` over the group column `group_column` (one of data.group_columns; throws
/// fm::ConfigError `training.fairness.group_column: ...` otherwise).
Reweighing compute_reweighing(const Dataset& data, const std::string& group_column);

/// `{"formula", "total", "cells": [{"group", "label", "count", "weight"}]}`; an empty cell's weight
/// is null with `"reason"`.
nlohmann::json reweighing_to_json(const Reweighing& r);

}  // namespace fm

#include "fm/mitigation/reweighing.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "fm/error.h"

namespace fm {

const ReweighingCell& Reweighing::cell(const std::string& group, const std::string& label) const {
  const auto g = std::lower_bound(groups.begin(), groups.end(), group);
  const auto y = std::lower_bound(labels.begin(), labels.end(), label);
  if (g == groups.end() || *g != group || y == labels.end() || *y != label) {
    throw std::out_of_range("reweighing: no cell (" + group + ", " + label + ")");
  }
  return cells[static_cast<std::size_t>(g - groups.begin()) * labels.size() +
               static_cast<std::size_t>(y - labels.begin())];
}

Reweighing compute_reweighing(const std::vector<std::string>& groups,
                              const std::vector<std::string>& labels,
                              const std::vector<double>& instance_weights) {
  const auto n_rows = groups.size();
  if (labels.size() != n_rows) {
    throw DataError("reweighing: " + std::to_string(n_rows) + " group values but " +
                    std::to_string(labels.size()) + " labels");
  }
  if (!instance_weights.empty() && instance_weights.size() != n_rows) {
    throw DataError("reweighing: " + std::to_string(n_rows) + " rows but " +
                    std::to_string(instance_weights.size()) + " instance weights");
  }
  if (n_rows == 0) throw DataError("reweighing: no rows");
  Reweighing r;
  std::map<std::string, std::size_t> g_index, y_index;
  for (const auto& g : groups) g_index.emplace(g, 0);
  for (const auto& y : labels) y_index.emplace(y, 0);
  for (auto& [g, i] : g_index) {
    i = r.groups.size();
    r.groups.push_back(g);
  }
  for (auto& [y, i] : y_index) {
    i = r.labels.size();
    r.labels.push_back(y);
  }
  const auto G = r.groups.size();
  const auto Y = r.labels.size();
  std::vector<std::size_t> gi(n_rows), yi(n_rows);
  // Sums in double, in row order (as numpy's float64 sums of AIF360, up to summation order).
  std::vector<double> n_g(G, 0.0), n_y(Y, 0.0), n_gy(G * Y, 0.0);
  double n = 0.0;
  for (std::size_t i = 0; i < n_rows; ++i) {
    const double v = instance_weights.empty() ? 1.0 : instance_weights[i];
    if (!std::isfinite(v) || v < 0) {
      throw DataError("reweighing: instance weight " + std::to_string(i) +
                      " must be finite and >= 0 (got " + std::to_string(v) + ")");
    }
    gi[i] = g_index.at(groups[i]);
    yi[i] = y_index.at(labels[i]);
    n += v;
    n_g[gi[i]] += v;
    n_y[yi[i]] += v;
    n_gy[gi[i] * Y + yi[i]] += v;
  }
  if (!(n > 0)) throw DataError("reweighing: the instance weights sum to 0");
  r.total = n;
  r.cells.resize(G * Y);
  for (std::size_t g = 0; g < G; ++g) {
    for (std::size_t y = 0; y < Y; ++y) {
      auto& c = r.cells[g * Y + y];
      c.group = r.groups[g];
      c.label = r.labels[y];
      c.count = n_gy[g * Y + y];
      // AIF360: w = n_fav * n_p / (n * n_p_fav), evaluated in this order.
      if (c.count > 0) c.weight = n_y[y] * n_g[g] / (n * c.count);
    }
  }
  r.row_weights.resize(n_rows);
  for (std::size_t i = 0; i < n_rows; ++i) {
    const double v = instance_weights.empty() ? 1.0 : instance_weights[i];
    // A row with instance weight 0 may sit in a cell whose count is 0: its weight stays 0.
    const auto& w = r.cells[gi[i] * Y + yi[i]].weight;
    r.row_weights[i] = w ? v * *w : 0.0;
  }
  return r;
}

Reweighing compute_reweighing(const Dataset& data, const std::string& group_column) {
  const auto it = std::find(data.group_columns.begin(), data.group_columns.end(), group_column);
  if (it == data.group_columns.end()) {
    throw ConfigError("training.fairness.group_column: \"" + group_column +
                      "\" is not one of the data's group columns");
  }
  const auto col = static_cast<std::size_t>(it - data.group_columns.begin());
  std::vector<std::string> groups, labels;
  groups.reserve(data.examples.size());
  labels.reserve(data.examples.size());
  for (const auto& ex : data.examples) {
    groups.push_back(ex.groups.at(col));
    labels.push_back(ex.label);
  }
  if (data.examples.empty()) throw DataError(data.path + ": no examples");
  return compute_reweighing(groups, labels);
}

nlohmann::json reweighing_to_json(const Reweighing& r) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& c : r.cells) {
    nlohmann::json j = {{"group", c.group}, {"label", c.label}, {"count", c.count}};
    if (c.weight) {
      j["weight"] = *c.weight;
    } else {
      j["weight"] = nullptr;
      j["reason"] = "no training rows in this (group, label) cell";
    }
    cells.push_back(std::move(j));
  }
  return {{"formula", "w(g, y) = P(g) * P(y) / P(g, y) (Kamiran & Calders 2012; AIF360 Reweighing)"},
          {"total", r.total},
          {"cells", std::move(cells)}};
}

}  // namespace fm

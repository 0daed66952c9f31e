// Cells and confusion tables. Rows that agree on every group column, the true class, every
// decision and the weight are interchangeable for every count-based metric, so the audit (and each
// bootstrap resample) works on the cells of that cross-classification instead of the rows.

#include <numeric>
#include <unordered_map>

#include "audit_plan.h"

namespace fm::audit_detail {
namespace {

// Refines cell ids by one attribute with values in [0, card); false when there are too many cells.
template <typename Attr>
bool refine(std::vector<int32_t>& ids, int64_t& ncells, int64_t card, Attr attr) {
  if (card <= 1) return true;
  int32_t next = 0;
  const int64_t keys = ncells * card;
  if (keys <= (int64_t{1} << 24)) {
    std::vector<int32_t> map(static_cast<std::size_t>(keys), -1);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      int32_t& slot = map[static_cast<std::size_t>(ids[i] * card + attr(i))];
      if (slot < 0) slot = next++;
      ids[i] = slot;
      if (next > kMaxCells) return false;
    }
  } else {
    std::unordered_map<int64_t, int32_t> map;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto ins = map.emplace(ids[i] * card + attr(i), next);
      if (ins.second) ++next;
      ids[i] = ins.first->second;
      if (next > kMaxCells) return false;
    }
  }
  ncells = next;
  return true;
}

// Cell id of every row (`ids`, `ncells` cells); false when the cross-classification has more than
// kMaxCells cells.
bool cross_classify(const AuditData& d, const AuditOptions& o, const Plan& plan,
                    std::vector<int32_t>& ids, int64_t& ncells) {
  const std::size_t n = d.rows();
  ids.assign(n, 0);
  ncells = 1;
  bool ok = true;
  for (std::size_t c = 0; ok && c < d.group_columns.size(); ++c) {
    const auto& codes = d.group_codes[c];
    ok = refine(ids, ncells, static_cast<int64_t>(d.group_values[c].size()),
                [&](std::size_t i) { return codes[i]; });
  }
  if (ok) {
    ok = refine(ids, ncells, static_cast<int64_t>(d.classes.size()),
                [&](std::size_t i) { return d.y_true[i]; });
  }
  if (ok && o.thresholds.empty() && !d.y_pred.empty()) {
    ok = refine(ids, ncells, static_cast<int64_t>(d.classes.size()),
                [&](std::size_t i) { return d.y_pred[i]; });
  }
  for (std::size_t v = 0; ok && v < plan.views.size(); ++v) {
    if (!plan.views[v].threshold) continue;
    const View& view = plan.views[v];
    const int label = plan.labels[view.label_pos];
    ok =
        refine(ids, ncells, 2, [&](std::size_t i) { return predicted(d, label, view, i) ? 1 : 0; });
  }
  if (ok && !d.weights.empty()) {
    std::unordered_map<double, int32_t> distinct;
    std::vector<int32_t> wid(n);
    for (std::size_t i = 0; i < n && ok; ++i) {
      wid[i] = distinct.emplace(d.weights[i], static_cast<int32_t>(distinct.size())).first->second;
      ok = static_cast<int64_t>(distinct.size()) <= kMaxCells;
    }
    if (ok) {
      ok = refine(ids, ncells, static_cast<int64_t>(distinct.size()),
                  [&](std::size_t i) { return wid[i]; });
    }
  }
  return ok;
}

}  // namespace

void build_cells(const AuditData& d, const AuditOptions& o, Plan& plan) {
  const std::size_t n = d.rows();
  plan.rows = static_cast<int64_t>(n);
  std::vector<int32_t> ids;
  int64_t ncells = 1;
  const bool ok = cross_classify(d, o, plan, ids, ncells);
  std::vector<std::size_t> rep;  // a representative row of each cell
  if (ok) {
    rep.assign(static_cast<std::size_t>(ncells), n);
    plan.cell_n.assign(static_cast<std::size_t>(ncells), 0);
    for (std::size_t i = 0; i < n; ++i) {
      if (rep[ids[i]] == n) rep[ids[i]] = i;
      ++plan.cell_n[ids[i]];
    }
  } else {
    plan.poisson = true;
    rep.resize(n);
    std::iota(rep.begin(), rep.end(), std::size_t{0});
    plan.cell_n.assign(n, 1);
  }
  const std::size_t cells = rep.size();
  plan.cell_w.resize(cells);
  for (std::size_t c = 0; c < cells; ++c) plan.cell_w[c] = weight_of(d, rep[c]);
  plan.cell_group.assign(plan.columns.size(), std::vector<int32_t>(cells, 0));
  for (std::size_t col = 1; col < plan.columns.size(); ++col) {
    for (std::size_t c = 0; c < cells; ++c) {
      plan.cell_group[col][c] = plan.columns[col].group_of(rep[c]);
    }
  }
  plan.cell_conf.assign(plan.views.size(), std::vector<uint8_t>(cells, 0));
  for (std::size_t v = 0; v < plan.views.size(); ++v) {
    const int label = plan.labels[plan.views[v].label_pos];
    for (std::size_t c = 0; c < cells; ++c) {
      const std::size_t i = rep[c];
      plan.cell_conf[v][c] = static_cast<uint8_t>((d.y_true[i] == label ? 2 : 0) +
                                                  (predicted(d, label, plan.views[v], i) ? 1 : 0));
    }
  }
}

void accumulate(const Plan& plan, const std::vector<int64_t>& mult, bool weighted, Table& table) {
  table.assign(plan.views.size() * plan.table_size, {0, 0, 0, 0});
  const std::size_t cells = mult.size();
  for (std::size_t c = 0; c < cells; ++c) {
    if (mult[c] == 0) continue;
    const double m = static_cast<double>(mult[c]) * (weighted ? plan.cell_w[c] : 1.0);
    for (std::size_t v = 0; v < plan.views.size(); ++v) {
      const uint8_t q = plan.cell_conf[v][c];
      Cell* base = &table[v * plan.table_size];
      for (std::size_t col = 0; col < plan.columns.size(); ++col) {
        base[plan.offset[col] + static_cast<std::size_t>(plan.cell_group[col][c])][q] += m;
      }
    }
  }
}

}  // namespace fm::audit_detail

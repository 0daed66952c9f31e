#include "fm/fairness/audit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>
#include <unordered_map>

#include "fm/error.h"
#include "fm/fairness/metrics.h"
#include "fm/parallel.h"

namespace fm {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Beyond this many cells the cross-classification is close to one cell per row: resample rows.
constexpr int64_t kMaxCells = 1 << 18;
constexpr std::size_t kMaxIntersectionCells = 1 << 20;
// The delta-method pass costs rows × groups per column.
constexpr std::size_t kMaxAucCiGroups = 256;

// Confusion cell of a row for one view: 0 tn, 1 fp, 2 fn, 3 tp (= 2 y + ŷ).
using Table = std::vector<std::array<double, 4>>;

ConfusionCounts to_counts(const std::array<double, 4>& a) {
  ConfusionCounts c;
  c.tn = a[0];
  c.fp = a[1];
  c.fn = a[2];
  c.tp = a[3];
  return c;
}

struct Column {
  std::string name;
  bool plain = true;  // a group column (not an intersection, not the whole data)
  std::vector<std::string> groups;
  std::vector<int32_t> row_group;  // empty for the whole-data column (every row in group 0)
  int32_t group_of(std::size_t row) const { return row_group.empty() ? 0 : row_group[row]; }
};

struct View {
  int label_pos = 0;  // index into Plan::labels
  std::optional<double> threshold;
};

struct Plan {
  const AuditData* data = nullptr;
  const AuditOptions* options = nullptr;
  std::vector<int> labels;  // positive classes
  std::vector<std::string> label_names;
  bool multi = false;               // worst case over classes
  std::vector<View> views;          // label-major
  std::vector<Column> columns;      // [0] = whole data
  std::vector<std::size_t> offset;  // first table row of each column
  std::size_t table_size = 0;
  std::vector<int32_t> reference;  // per column: given or majority group (-1 for [0])
  bool min_metric = false;
  std::vector<std::string> notes;
  // Cells of the finest cross-classification (or one per row when it is too fine).
  bool poisson = false;
  int64_t rows = 0;
  std::vector<int64_t> cell_n;
  std::vector<double> cell_w;
  std::vector<std::vector<int32_t>> cell_group;  // [column][cell]
  std::vector<std::vector<uint8_t>> cell_conf;   // [view][cell]
  // Worst case over classes: for each "*" entry the slots of the same aggregate per class.
  std::vector<std::vector<std::size_t>> worst_slots;
  std::vector<int> worst_kind;
  // Flags per label position and table row.
  std::vector<std::vector<std::vector<std::string>>> flags;
};

enum WorstKind { kWorstMax = 0, kWorstMin = 1, kWorstMaxAbs = 2 };

int worst_kind_of(const std::string& name) {
  if (name == "statistical_parity_difference" || name == "average_odds_difference" ||
      name == "equal_opportunity_difference_aif360") {
    return kWorstMaxAbs;
  }
  if (name.find("ratio") != std::string::npos || name == "disparate_impact" ||
      name.find("auc") != std::string::npos || name == "final_bias_score") {
    return kWorstMin;
  }
  return kWorstMax;
}

double weight_of(const AuditData& d, std::size_t row) {
  return d.weights.empty() ? 1.0 : d.weights[row];
}

// ---------------------------------------------------------------------------------------------
// Validation and set-up.

void validate(const AuditData& d, const AuditOptions& o) {
  const std::size_t n = d.rows();
  if (n == 0) throw DataError("audit data: no rows");
  if (d.classes.empty()) throw DataError("audit data: no classes");
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
  for (const auto& parts : o.intersections) {
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
    plan.columns.push_back(std::move(col));
  }
  plan.offset.clear();
  plan.table_size = 0;
  for (const auto& col : plan.columns) {
    plan.offset.push_back(plan.table_size);
    plan.table_size += col.groups.size();
  }
}

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

void build_cells(const AuditData& d, const AuditOptions& o, Plan& plan) {
  const std::size_t n = d.rows();
  plan.rows = static_cast<int64_t>(n);
  std::vector<int32_t> ids(n, 0);
  int64_t ncells = 1;
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
  std::vector<std::size_t> rep;
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

// table[v * table_size + offset[col] + group] += multiplicity × weight of every cell.
void accumulate(const Plan& plan, const std::vector<int64_t>& mult, bool weighted, Table& table) {
  table.assign(plan.views.size() * plan.table_size, {0, 0, 0, 0});
  const std::size_t cells = mult.size();
  for (std::size_t c = 0; c < cells; ++c) {
    if (mult[c] == 0) continue;
    const double m = static_cast<double>(mult[c]) * (weighted ? plan.cell_w[c] : 1.0);
    for (std::size_t v = 0; v < plan.views.size(); ++v) {
      const uint8_t q = plan.cell_conf[v][c];
      std::array<double, 4>* base = &table[v * plan.table_size];
      for (std::size_t col = 0; col < plan.columns.size(); ++col) {
        base[plan.offset[col] + static_cast<std::size_t>(plan.cell_group[col][c])][q] += m;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Emission: the same sequence of values for the point estimate (with names, reasons, flags) and
// for every resample (values only), so that slot k always means the same metric.

const std::string kEmpty;
const std::vector<std::string> kNoFlags;

struct Emitter {
  std::vector<MetricValue>* meta = nullptr;
  std::vector<double>* values = nullptr;
  std::vector<std::size_t>* aggregate_slots = nullptr;  // point mode: column-level slots

  struct Entry {
    const char* name;
    const char* convention;
    const std::string* column;
    const std::string* group;
    const std::string* reference;
    const std::string* label;
    std::optional<double> threshold;
    const std::vector<std::string>* flags;
  };

  // `subject` names the group/column the reason refers to.
  void add(const Entry& e, RateValue v, const std::string& subject, bool aggregate = false,
           bool partial = false, std::optional<bool> fair = std::nullopt) {
    values->push_back(v.defined() ? v.value : kNaN);
    if (meta == nullptr) return;
    if (aggregate && aggregate_slots) aggregate_slots->push_back(values->size() - 1);
    MetricValue m;
    m.name = e.name;
    m.convention = e.convention;
    m.column = *e.column;
    m.group = *e.group;
    m.reference = *e.reference;
    m.label = *e.label;
    m.threshold = e.threshold;
    if (v.defined()) {
      m.value = v.value;
    } else {
      m.reason = undefined_reason(v.why, subject);
    }
    if (e.flags) m.flags = *e.flags;
    if (partial) m.flags.push_back("excludes_undefined_groups");
    if (v.defined()) m.fair = fair;
    meta->push_back(std::move(m));
  }
};

struct Spread {
  RateValue difference, ratio, difference_to_overall, ratio_to_overall;
  bool partial = false;
};

// Fairlearn's between_groups / to_overall spreads of one rate over the groups of a column.
Spread spread(const std::vector<RateValue>& rates, const std::vector<double>& counts,
              const RateValue& overall) {
  Spread s;
  double lo = 0, hi = 0, max_dev = 0, min_ratio = 0;
  bool any = false, any_ratio = false;
  for (std::size_t g = 0; g < rates.size(); ++g) {
    if (!(counts[g] > 0)) continue;
    if (!rates[g].defined()) {
      s.partial = true;
      continue;
    }
    const double r = rates[g].value;
    lo = any ? std::min(lo, r) : r;
    hi = any ? std::max(hi, r) : r;
    any = true;
    if (overall.defined()) {
      max_dev = std::max(max_dev, std::abs(r - overall.value));
      if (!(r == 0 && overall.value == 0)) {
        const double q =
            (r == 0 || overall.value == 0) ? 0.0 : std::min(r / overall.value, overall.value / r);
        min_ratio = any_ratio ? std::min(min_ratio, q) : q;
        any_ratio = true;
      }
    }
  }
  if (!any) {
    const RateValue none{kNaN, Undefined::kNoComparableGroups};
    s.difference = s.ratio = s.difference_to_overall = s.ratio_to_overall = none;
    return s;
  }
  s.difference = {hi - lo, Undefined::kNone};
  s.ratio =
      hi > 0 ? RateValue{lo / hi, Undefined::kNone} : RateValue{kNaN, Undefined::kZeroMaximum};
  if (!overall.defined()) {
    s.difference_to_overall = s.ratio_to_overall = {kNaN, overall.why};
  } else {
    s.difference_to_overall = {max_dev, Undefined::kNone};
    s.ratio_to_overall = any_ratio ? RateValue{min_ratio, Undefined::kNone}
                                   : RateValue{kNaN, Undefined::kZeroMaximum};
  }
  return s;
}

RateValue max_of(const RateValue& a, const RateValue& b) {
  if (!a.defined()) return a;
  if (!b.defined()) return b;
  return {std::max(a.value, b.value), Undefined::kNone};
}

RateValue min_of(const RateValue& a, const RateValue& b) {
  if (!a.defined()) return a;
  if (!b.defined()) return b;
  return {std::min(a.value, b.value), Undefined::kNone};
}

constexpr std::array<GroupRate, 11> kSpreadRates = {
    GroupRate::kSelectionRate, GroupRate::kTpr,      GroupRate::kFpr, GroupRate::kTnr,
    GroupRate::kFnr,           GroupRate::kPpv,      GroupRate::kNpv, GroupRate::kFdr,
    GroupRate::kFor,           GroupRate::kAccuracy, GroupRate::kF1};

struct AequitasRate {
  const char* name;
  GroupRate rate;
};
constexpr std::array<AequitasRate, 10> kAequitasRates = {{
    {"disparity_ppr", GroupRate::kPpr},
    {"disparity_pprev", GroupRate::kSelectionRate},
    {"disparity_precision", GroupRate::kPpv},
    {"disparity_fdr", GroupRate::kFdr},
    {"disparity_for", GroupRate::kFor},
    {"disparity_fpr", GroupRate::kFpr},
    {"disparity_fnr", GroupRate::kFnr},
    {"disparity_tpr", GroupRate::kTpr},
    {"disparity_tnr", GroupRate::kTnr},
    {"disparity_npv", GroupRate::kNpv},
}};

RateValue difference_vs(const RateValue& g, const RateValue& ref) {
  if (!g.defined()) return g;
  if (!ref.defined()) return {kNaN, Undefined::kUndefinedReference};
  return {g.value - ref.value, Undefined::kNone};
}

RateValue ratio_vs(const RateValue& g, const RateValue& ref) {
  if (!g.defined()) return g;
  if (!ref.defined()) return {kNaN, Undefined::kUndefinedReference};
  if (ref.value == 0) return {kNaN, Undefined::kZeroReference};
  return {g.value / ref.value, Undefined::kNone};
}

// Emits every count-based metric of `table` (weighted) in plan order.
void evaluate(const Plan& plan, const Table& table, Emitter& out) {
  const AuditOptions& o = *plan.options;
  const bool point = out.meta != nullptr;
  std::vector<std::array<RateValue, kNumGroupRates>> rates(plan.table_size);
  std::vector<RateValue> column_rates;
  std::vector<double> counts;
  for (std::size_t v = 0; v < plan.views.size(); ++v) {
    const View& view = plan.views[v];
    const std::string& label = plan.label_names[view.label_pos];
    const auto& flags = plan.flags[view.label_pos];
    const bool first_of_label = v == 0 || plan.views[v - 1].label_pos != view.label_pos;
    const std::array<double, 4>* base = &table[v * plan.table_size];
    for (std::size_t col = 0; col < plan.columns.size(); ++col) {
      const auto& c = plan.columns[col];
      double all_pp = 0;
      for (std::size_t g = 0; g < c.groups.size(); ++g) {
        all_pp += base[plan.offset[col] + g][1] + base[plan.offset[col] + g][3];
      }
      for (std::size_t g = 0; g < c.groups.size(); ++g) {
        const std::size_t row = plan.offset[col] + g;
        const ConfusionCounts cc = to_counts(base[row]);
        for (int r = 0; r < kNumGroupRates; ++r) {
          rates[row][r] = group_rate(static_cast<GroupRate>(r), cc, all_pp);
        }
      }
    }
    // Per-group rates; count/positives/negatives/prevalence once per class (no threshold).
    for (std::size_t col = 0; col < plan.columns.size(); ++col) {
      const auto& c = plan.columns[col];
      for (std::size_t g = 0; g < c.groups.size(); ++g) {
        const std::size_t row = plan.offset[col] + g;
        for (int r = 0; r < kNumGroupRates; ++r) {
          const bool threshold_free = r <= static_cast<int>(GroupRate::kPrevalence);
          if (threshold_free && !first_of_label) continue;
          const auto rate = static_cast<GroupRate>(r);
          const Emitter::Entry e{group_rate_name(rate),
                                 rate == GroupRate::kPpr ? "aequitas" : "fmkit",
                                 &c.name,
                                 &c.groups[g],
                                 &kEmpty,
                                 &label,
                                 threshold_free ? std::optional<double>() : view.threshold,
                                 &flags[row]};
          out.add(e, rates[row][r], c.groups[g]);
        }
      }
    }
    for (std::size_t col = 1; col < plan.columns.size(); ++col) {
      const auto& c = plan.columns[col];
      const std::size_t off = plan.offset[col];
      const std::size_t ng = c.groups.size();
      counts.resize(ng);
      for (std::size_t g = 0; g < ng; ++g) counts[g] = to_counts(base[off + g]).count();
      auto spread_of = [&](GroupRate r) {
        column_rates.resize(ng);
        for (std::size_t g = 0; g < ng; ++g) column_rates[g] = rates[off + g][static_cast<int>(r)];
        return spread(column_rates, counts, rates[0][static_cast<int>(r)]);
      };
      auto agg = [&](const char* name, const char* convention, const std::string& reference) {
        return Emitter::Entry{name,       convention, &c.name,        &kEmpty,
                              &reference, &label,     view.threshold, nullptr};
      };
      // Fairlearn.
      const Spread sr = spread_of(GroupRate::kSelectionRate);
      const Spread tpr = spread_of(GroupRate::kTpr);
      const Spread fpr = spread_of(GroupRate::kFpr);
      const bool partial_eo = tpr.partial || fpr.partial;
      out.add(agg("demographic_parity_difference", "fairlearn", kEmpty), sr.difference, c.name,
              true, sr.partial);
      out.add(agg("demographic_parity_ratio", "fairlearn", kEmpty), sr.ratio, c.name, true,
              sr.partial);
      out.add(agg("equalized_odds_difference", "fairlearn", kEmpty),
              max_of(tpr.difference, fpr.difference), c.name, true, partial_eo);
      out.add(agg("equalized_odds_ratio", "fairlearn", kEmpty), min_of(tpr.ratio, fpr.ratio),
              c.name, true, partial_eo);
      out.add(agg("equal_opportunity_difference", "fairlearn", kEmpty), tpr.difference, c.name,
              true, tpr.partial);
      out.add(agg("equal_opportunity_ratio", "fairlearn", kEmpty), tpr.ratio, c.name, true,
              tpr.partial);
      out.add(agg("demographic_parity_difference_to_overall", "fairlearn", kEmpty),
              sr.difference_to_overall, "", true, sr.partial);
      out.add(agg("demographic_parity_ratio_to_overall", "fairlearn", kEmpty), sr.ratio_to_overall,
              c.name, true, sr.partial);
      out.add(agg("equalized_odds_difference_to_overall", "fairlearn", kEmpty),
              max_of(tpr.difference_to_overall, fpr.difference_to_overall), "", true, partial_eo);
      out.add(agg("equalized_odds_ratio_to_overall", "fairlearn", kEmpty),
              min_of(tpr.ratio_to_overall, fpr.ratio_to_overall), c.name, true, partial_eo);
      out.add(agg("equal_opportunity_difference_to_overall", "fairlearn", kEmpty),
              tpr.difference_to_overall, "", true, tpr.partial);
      out.add(agg("equal_opportunity_ratio_to_overall", "fairlearn", kEmpty), tpr.ratio_to_overall,
              c.name, true, tpr.partial);
      static const std::array<const char*, 11> kDiffNames = {"selection_rate_difference",
                                                             "tpr_difference",
                                                             "fpr_difference",
                                                             "tnr_difference",
                                                             "fnr_difference",
                                                             "ppv_difference",
                                                             "npv_difference",
                                                             "fdr_difference",
                                                             "for_difference",
                                                             "accuracy_difference",
                                                             "f1_difference"};
      static const std::array<const char*, 11> kRatioNames = {"selection_rate_ratio",
                                                              "tpr_ratio",
                                                              "fpr_ratio",
                                                              "tnr_ratio",
                                                              "fnr_ratio",
                                                              "ppv_ratio",
                                                              "npv_ratio",
                                                              "fdr_ratio",
                                                              "for_ratio",
                                                              "accuracy_ratio",
                                                              "f1_ratio"};
      for (std::size_t k = 0; k < kSpreadRates.size(); ++k) {
        const Spread s = spread_of(kSpreadRates[k]);
        out.add(agg(kDiffNames[k], "fairlearn", kEmpty), s.difference, c.name, true, s.partial);
        out.add(agg(kRatioNames[k], "fairlearn", kEmpty), s.ratio, c.name, true, s.partial);
      }
      // AIF360: privileged = the column's reference group.
      const std::size_t ref = static_cast<std::size_t>(plan.reference[col]);
      const std::string& ref_name = c.groups[ref];
      const auto& rr = rates[off + ref];
      const int ksr = static_cast<int>(GroupRate::kSelectionRate);
      const int ktpr = static_cast<int>(GroupRate::kTpr);
      const int kfpr = static_cast<int>(GroupRate::kFpr);
      RateValue worst_spd{kNaN, Undefined::kNoComparableGroups},
          worst_di = worst_spd, worst_aod = worst_spd, worst_eod = worst_spd;
      auto keep_abs = [](RateValue& worst, const RateValue& x) {
        if (x.defined() && (!worst.defined() || std::abs(x.value) > std::abs(worst.value))) {
          worst = x;
        }
      };
      for (std::size_t g = 0; g < ng; ++g) {
        if (g == ref) continue;
        const auto& gr = rates[off + g];
        const Emitter::Entry base_entry{"",        "aif360", &c.name,        &c.groups[g],
                                        &ref_name, &label,   view.threshold, &flags[off + g]};
        auto subject = [&](const RateValue& x) -> const std::string& {
          return x.why == Undefined::kUndefinedReference || x.why == Undefined::kZeroReference
                     ? ref_name
                     : c.groups[g];
        };
        const RateValue spd = difference_vs(gr[ksr], rr[ksr]);
        const RateValue di = ratio_vs(gr[ksr], rr[ksr]);
        RateValue aod = difference_vs(gr[kfpr], rr[kfpr]);
        const RateValue dtpr = difference_vs(gr[ktpr], rr[ktpr]);
        if (aod.defined()) {
          aod = dtpr.defined() ? RateValue{0.5 * (aod.value + dtpr.value), Undefined::kNone} : dtpr;
        }
        Emitter::Entry e = base_entry;
        e.name = "statistical_parity_difference";
        out.add(e, spd, subject(spd));
        e.name = "disparate_impact";
        out.add(e, di, subject(di));
        e.name = "average_odds_difference";
        out.add(e, aod, subject(aod));
        e.name = "equal_opportunity_difference_aif360";
        out.add(e, dtpr, subject(dtpr));
        keep_abs(worst_spd, spd);
        keep_abs(worst_aod, aod);
        keep_abs(worst_eod, dtpr);
        if (di.defined()) {
          const double sym = di.value == 0 ? 0.0 : std::min(di.value, 1.0 / di.value);
          if (!worst_di.defined() || sym < worst_di.value) worst_di = {sym, Undefined::kNone};
        }
      }
      out.add(agg("statistical_parity_difference", "aif360", ref_name), worst_spd, c.name, true);
      out.add(agg("disparate_impact", "aif360", ref_name), worst_di, c.name, true);
      out.add(agg("average_odds_difference", "aif360", ref_name), worst_aod, c.name, true);
      out.add(agg("equal_opportunity_difference_aif360", "aif360", ref_name), worst_eod, c.name,
              true);
      // Aequitas.
      for (const auto& ar : kAequitasRates) {
        const int r = static_cast<int>(ar.rate);
        std::size_t aref = ref;
        bool have_ref = true;
        if (plan.min_metric && !std::any_of(o.reference_groups.begin(), o.reference_groups.end(),
                                            [&](const auto& p) { return p.first == c.name; })) {
          have_ref = false;
          for (std::size_t g = 0; g < ng; ++g) {
            const RateValue& x = rates[off + g][r];
            if (counts[g] > 0 && x.defined() &&
                (!have_ref || x.value < rates[off + aref][r].value)) {
              aref = g;
              have_ref = true;
            }
          }
        }
        const std::string& aref_name = have_ref ? c.groups[aref] : kEmpty;
        for (std::size_t g = 0; g < ng; ++g) {
          const Emitter::Entry e{ar.name,    "aequitas", &c.name,        &c.groups[g],
                                 &aref_name, &label,     view.threshold, &flags[off + g]};
          RateValue d = have_ref ? ratio_vs(rates[off + g][r], rates[off + aref][r])
                                 : RateValue{kNaN, Undefined::kNoComparableGroups};
          std::optional<bool> fair;
          if (point && d.defined()) fair = d.value >= o.tau && d.value <= 1.0 / o.tau;
          const std::string& subj =
              !have_ref ? c.name
              : (d.why == Undefined::kUndefinedReference || d.why == Undefined::kZeroReference)
                  ? aref_name
                  : c.groups[g];
          out.add(e, d, subj, false, false, fair);
        }
      }
    }
  }
}

void apply_worst(const Plan& plan, std::vector<double>& values) {
  for (std::size_t k = 0; k < plan.worst_slots.size(); ++k) {
    double best = kNaN;
    for (std::size_t slot : plan.worst_slots[k]) {
      const double x = values[slot];
      if (std::isnan(x)) continue;
      if (std::isnan(best)) {
        best = x;
      } else if (plan.worst_kind[k] == kWorstMax) {
        best = std::max(best, x);
      } else if (plan.worst_kind[k] == kWorstMin) {
        best = std::min(best, x);
      } else if (std::abs(x) > std::abs(best)) {
        best = x;
      }
    }
    values.push_back(best);
  }
}

// Point-mode "*" entries: one per aggregate of the first class, over the same slot of each class.
void add_worst_entries(Plan& plan, const std::vector<std::size_t>& aggregate_slots,
                       std::vector<MetricValue>& metrics, std::vector<double>& values) {
  if (!plan.multi) return;
  const std::size_t per_label = aggregate_slots.size() / plan.labels.size();
  for (std::size_t k = 0; k < per_label; ++k) {
    std::vector<std::size_t> slots;
    for (std::size_t l = 0; l < plan.labels.size(); ++l) {
      slots.push_back(aggregate_slots[l * per_label + k]);
    }
    plan.worst_slots.push_back(slots);
    plan.worst_kind.push_back(worst_kind_of(metrics[slots[0]].name));
  }
  const std::size_t first_new = values.size();
  apply_worst(plan, values);
  for (std::size_t k = 0; k < plan.worst_slots.size(); ++k) {
    MetricValue m = metrics[plan.worst_slots[k][0]];
    m.label = "*";
    m.flags.clear();
    m.reason.clear();
    m.fair.reset();
    const double x = values[first_new + k];
    bool some_undefined = false;
    for (std::size_t slot : plan.worst_slots[k]) some_undefined |= !metrics[slot].value.has_value();
    if (std::isnan(x)) {
      m.value.reset();
      m.reason = undefined_reason(Undefined::kEveryClassUndefined, "");
    } else {
      m.value = x;
      if (some_undefined) m.flags.push_back("excludes_undefined_classes");
    }
    metrics.push_back(std::move(m));
  }
}

void compute_flags(const AuditOptions& o, Plan& plan, AuditResult& result) {
  std::vector<int64_t> mult(plan.cell_n);
  Table rows, weighted;
  accumulate(plan, mult, false, rows);
  accumulate(plan, mult, true, weighted);
  plan.flags.assign(plan.labels.size(), std::vector<std::vector<std::string>>(plan.table_size));
  for (std::size_t v = 0; v < plan.views.size(); ++v) {
    const std::size_t lp = static_cast<std::size_t>(plan.views[v].label_pos);
    if (v > 0 && plan.views[v - 1].label_pos == plan.views[v].label_pos) continue;
    for (std::size_t col = 0; col < plan.columns.size(); ++col) {
      const auto& c = plan.columns[col];
      for (std::size_t g = 0; g < c.groups.size(); ++g) {
        const std::size_t row = plan.offset[col] + g;
        const ConfusionCounts n = to_counts(rows[v * plan.table_size + row]);
        const ConfusionCounts w = to_counts(weighted[v * plan.table_size + row]);
        auto& flags = plan.flags[lp][row];
        const auto count = static_cast<int64_t>(n.count());
        const auto pos = static_cast<int64_t>(n.tp + n.fn);
        const auto neg = static_cast<int64_t>(n.fp + n.tn);
        if (count == 0) flags.push_back("empty");
        if (count < o.min_group_size) flags.push_back("small_group");
        if (pos < o.min_group_positives) flags.push_back("few_positives");
        if (neg < o.min_group_negatives) flags.push_back("few_negatives");
        if (col == 0) continue;
        GroupSummary s;
        s.column = c.name;
        s.group = c.groups[g];
        s.label = plan.label_names[lp];
        s.count = w.count();
        s.positives = w.tp + w.fn;
        s.negatives = w.fp + w.tn;
        s.rows = count;
        s.positive_rows = pos;
        s.negative_rows = neg;
        s.flags = flags;
        result.groups.push_back(std::move(s));
      }
    }
  }
  // Disclose empty and tiny cells of intersections (once: they do not depend on the class).
  for (std::size_t col = 1; col < plan.columns.size(); ++col) {
    const auto& c = plan.columns[col];
    std::vector<std::string> empty, tiny;
    for (std::size_t g = 0; g < c.groups.size(); ++g) {
      const auto count = static_cast<int64_t>(to_counts(rows[plan.offset[col] + g]).count());
      if (count == 0) {
        empty.push_back(c.groups[g]);
      } else if (count < o.min_group_size) {
        tiny.push_back(c.groups[g]);
      }
    }
    auto list = [](const std::vector<std::string>& xs) {
      std::string s;
      for (std::size_t i = 0; i < xs.size() && i < 10; ++i) s += (i ? ", \"" : "\"") + xs[i] + "\"";
      if (xs.size() > 10) s += ", ... (" + std::to_string(xs.size() - 10) + " more)";
      return s;
    };
    if (!empty.empty()) {
      plan.notes.push_back("column \"" + c.name + "\": " + std::to_string(empty.size()) +
                           " empty cell(s) (no rows; their metrics are undefined): " + list(empty));
    }
    if (!tiny.empty()) {
      plan.notes.push_back("column \"" + c.name + "\": " + std::to_string(tiny.size()) +
                           " group(s) with fewer than " + std::to_string(o.min_group_size) +
                           " rows (flag small_group): " + list(tiny));
    }
  }
}

void choose_references(const AuditData& d, const AuditOptions& o, Plan& plan) {
  plan.reference.assign(plan.columns.size(), -1);
  plan.min_metric = o.reference_rule == "min_metric";
  for (const auto& [column, group] : o.reference_groups) {
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

// ---------------------------------------------------------------------------------------------
// Bootstrap of the count-based metrics.

void bootstrap(const Plan& plan, const AuditOptions& o, std::vector<MetricValue>& metrics,
               const std::vector<double>& point) {
  const auto samples = static_cast<std::size_t>(o.bootstrap_samples);
  const std::size_t m = point.size();
  if (samples == 0 || m == 0) return;
  std::vector<double> reps(samples * m);
  std::size_t threads = o.threads > 0 ? static_cast<std::size_t>(o.threads)
                                      : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, samples);
  auto work = [&](std::size_t t) {
    std::vector<int64_t> mult;
    Table table;
    std::vector<double> values;
    values.reserve(m);
    Emitter e;
    e.values = &values;
    for (std::size_t r = t; r < samples; r += threads) {
      Rng rng(o.seed, r);
      if (plan.poisson) {
        mult.resize(plan.cell_n.size());
        for (std::size_t c = 0; c < mult.size(); ++c) {
          mult[c] = rng.poisson(static_cast<double>(plan.cell_n[c]));
        }
      } else {
        multinomial(rng, plan.rows, plan.cell_n, mult);
      }
      accumulate(plan, mult, true, table);
      values.clear();
      evaluate(plan, table, e);
      apply_worst(plan, values);
      std::copy(values.begin(), values.end(), reps.begin() + static_cast<std::ptrdiff_t>(r * m));
    }
  };
  run_jobs(threads, static_cast<int>(threads), work);
  const double alpha = (1 - o.confidence) / 2;
  std::vector<double> xs;
  for (std::size_t k = 0; k < m; ++k) {
    if (std::isnan(point[k])) continue;
    xs.clear();
    for (std::size_t r = 0; r < samples; ++r) {
      const double x = reps[r * m + k];
      if (!std::isnan(x)) xs.push_back(x);
    }
    if (xs.empty()) continue;
    if (xs.size() < samples) metrics[k].flags.push_back("ci_excludes_undefined_resamples");
    metrics[k].lower = percentile(xs, alpha);
    metrics[k].upper = percentile(xs, 1 - alpha);
  }
}

// ---------------------------------------------------------------------------------------------
// Borkan et al. 2019 bias AUCs with DeLong / delta-method normal intervals.

struct ColumnAuc {
  std::vector<RateValue> sub, bpsn, bnsp;
  std::vector<double> var_sub, var_bpsn, var_bnsp;
  RateValue m_sub, m_bpsn, m_bnsp, final_score;
  double var_m_sub = 0, var_m_bpsn = 0, var_m_bnsp = 0, var_final = 0;
  bool ci = true;
};

// Power mean over the defined values and the derivative of it by each value (0 where undefined).
RateValue power_mean_with_gradient(const std::vector<RateValue>& xs, double p, double scale,
                                   std::vector<double>& grad) {
  std::vector<double> defined;
  for (const auto& x : xs) {
    if (x.defined()) defined.push_back(x.value);
  }
  grad.assign(xs.size(), 0.0);
  const auto pm = power_mean(defined, p);
  if (!pm) return {kNaN, Undefined::kNoComparableGroups};
  const double mean = *pm;
  const double inv = 1.0 / (scale > 0 ? scale : static_cast<double>(defined.size()));
  for (std::size_t g = 0; g < xs.size(); ++g) {
    if (!xs[g].defined() || xs[g].value <= 0 || mean <= 0) continue;
    grad[g] = p == 0 ? inv * mean / xs[g].value
                     : inv * std::pow(xs[g].value, p - 1) * std::pow(mean, 1 - p);
  }
  return {mean, Undefined::kNone};
}

struct AucPass1 {
  std::vector<double> wpos, wneg, num_sub, num_bpsn, num_bnsp;
  std::vector<int64_t> mpos, mneg;
};

void set_interval(MetricValue& m, double variance, double z) {
  if (!m.value || !(variance >= 0)) return;
  const double se = std::sqrt(variance);
  m.lower = std::max(0.0, *m.value - z * se);
  m.upper = std::min(1.0, *m.value + z * se);
}

void compute_bias_aucs(const Plan& plan, const AuditOptions& o, std::vector<MetricValue>& out,
                       std::vector<std::string>& notes) {
  const AuditData& d = *plan.data;
  const std::size_t n = d.rows();
  const double z = normal_quantile(1 - (1 - o.confidence) / 2);
  const bool want_ci = o.bootstrap_samples > 0;
  std::vector<std::vector<std::size_t>> first_slot_per_label;  // aggregate entries per label
  bool any = false;
  for (std::size_t lp = 0; lp < plan.labels.size(); ++lp) {
    const int label = plan.labels[lp];
    if (d.scores.empty() || d.scores[label].empty()) continue;
    any = true;
    const std::string& lname = plan.label_names[lp];
    const auto& s = d.scores[label];
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return s[a] < s[b]; });
    std::vector<uint8_t> y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = d.y_true[i] == label ? 1 : 0;
    std::vector<std::size_t> blocks;  // start of each tie block, plus n
    for (std::size_t k = 0; k < n; ++k) {
      if (k == 0 || s[order[k]] != s[order[k - 1]]) blocks.push_back(k);
    }
    blocks.push_back(n);
    // Overall AUC and each row's influence on it.
    double wpos = 0, wneg = 0;
    for (std::size_t i = 0; i < n; ++i) (y[i] ? wpos : wneg) += weight_of(d, i);
    std::vector<double> if_overall(n, 0.0);
    RateValue overall{kNaN, Undefined::kOneClass};
    double var_overall = 0;
    {
      std::vector<double> sc(n), w(d.weights);
      for (std::size_t i = 0; i < n; ++i) sc[i] = s[i];
      const AucValue a = roc_auc(sc, y, w);
      overall = a.auc;
      var_overall = a.variance;
      if (overall.defined()) {
        double neg_below = 0, pos_below = 0;
        for (std::size_t b = 0; b + 1 < blocks.size(); ++b) {
          double bp = 0, bn = 0;
          for (std::size_t k = blocks[b]; k < blocks[b + 1]; ++k) {
            (y[order[k]] ? bp : bn) += weight_of(d, order[k]);
          }
          for (std::size_t k = blocks[b]; k < blocks[b + 1]; ++k) {
            const std::size_t i = order[k];
            const double w_i = weight_of(d, i);
            if (y[i]) {
              if_overall[i] = w_i * ((neg_below + 0.5 * bn) / wneg - overall.value) / wpos;
            } else {
              if_overall[i] = w_i * ((wpos - pos_below - 0.5 * bp) / wpos - overall.value) / wneg;
            }
          }
          neg_below += bn;
          pos_below += bp;
        }
      }
    }
    const std::vector<std::string> no_flags;
    {
      MetricValue m;
      m.name = "overall_auc";
      m.label = lname;
      m.convention = "borkan2019";
      if (overall.defined()) {
        m.value = overall.value;
      } else {
        m.reason = undefined_reason(overall.why, "");
      }
      if (want_ci) set_interval(m, var_overall, z);
      out.push_back(std::move(m));
    }
    // Pass 1 for every column: the AUC numerators.
    std::vector<AucPass1> p1(plan.columns.size());
    std::vector<ColumnAuc> res(plan.columns.size());
    for (std::size_t col = 1; col < plan.columns.size(); ++col) {
      const Column& c = plan.columns[col];
      const std::size_t ng = c.groups.size();
      AucPass1& q = p1[col];
      q.wpos.assign(ng, 0);
      q.wneg.assign(ng, 0);
      q.num_sub.assign(ng, 0);
      q.num_bpsn.assign(ng, 0);
      q.num_bnsp.assign(ng, 0);
      q.mpos.assign(ng, 0);
      q.mneg.assign(ng, 0);
      for (std::size_t i = 0; i < n; ++i) {
        const auto g = static_cast<std::size_t>(c.group_of(i));
        (y[i] ? q.wpos[g] : q.wneg[g]) += weight_of(d, i);
        ++(y[i] ? q.mpos[g] : q.mneg[g]);
      }
      std::vector<double> cneg(ng, 0), cpos(ng, 0), bneg(ng, 0), bpos(ng, 0);
      double all_cneg = 0, all_cpos = 0;
      for (std::size_t b = 0; b + 1 < blocks.size(); ++b) {
        double abn = 0, abp = 0;
        for (std::size_t k = blocks[b]; k < blocks[b + 1]; ++k) {
          const std::size_t i = order[k];
          const auto g = static_cast<std::size_t>(c.group_of(i));
          (y[i] ? bpos[g] : bneg[g]) += weight_of(d, i);
          (y[i] ? abp : abn) += weight_of(d, i);
        }
        for (std::size_t k = blocks[b]; k < blocks[b + 1]; ++k) {
          const std::size_t i = order[k];
          const auto g = static_cast<std::size_t>(c.group_of(i));
          const double w_i = weight_of(d, i);
          if (y[i]) {
            q.num_sub[g] += w_i * (cneg[g] + 0.5 * bneg[g]);
            q.num_bnsp[g] += w_i * ((all_cneg - cneg[g]) + 0.5 * (abn - bneg[g]));
          } else {
            const double above_all = wpos - all_cpos - 0.5 * abp;
            const double above_g = q.wpos[g] - cpos[g] - 0.5 * bpos[g];
            q.num_bpsn[g] += w_i * (above_all - above_g);
          }
        }
        for (std::size_t k = blocks[b]; k < blocks[b + 1]; ++k) {
          const auto g = static_cast<std::size_t>(c.group_of(order[k]));
          cneg[g] += bneg[g];
          cpos[g] += bpos[g];
          bneg[g] = bpos[g] = 0;
        }
        all_cneg += abn;
        all_cpos += abp;
      }
      ColumnAuc& r = res[col];
      r.sub.resize(ng);
      r.bpsn.resize(ng);
      r.bnsp.resize(ng);
      for (std::size_t g = 0; g < ng; ++g) {
        auto auc = [](double num, double a, double b) {
          return a > 0 && b > 0 ? RateValue{num / (a * b), Undefined::kNone}
                                : RateValue{kNaN, Undefined::kOneClass};
        };
        r.sub[g] = auc(q.num_sub[g], q.wpos[g], q.wneg[g]);
        r.bpsn[g] = auc(q.num_bpsn[g], q.wneg[g], wpos - q.wpos[g]);
        r.bnsp[g] = auc(q.num_bnsp[g], q.wpos[g], wneg - q.wneg[g]);
      }
    }
    // Pooled power means over every plain column (the benchmark's identity subgroups).
    std::vector<RateValue> pool_sub, pool_bpsn, pool_bnsp;
    for (std::size_t col = 1; col < plan.columns.size(); ++col) {
      if (!plan.columns[col].plain) continue;
      pool_sub.insert(pool_sub.end(), res[col].sub.begin(), res[col].sub.end());
      pool_bpsn.insert(pool_bpsn.end(), res[col].bpsn.begin(), res[col].bpsn.end());
      pool_bnsp.insert(pool_bnsp.end(), res[col].bnsp.begin(), res[col].bnsp.end());
    }
    std::vector<double> pg_sub, pg_bpsn, pg_bnsp;
    const RateValue pm_sub = power_mean_with_gradient(pool_sub, o.power, 0, pg_sub);
    const RateValue pm_bpsn = power_mean_with_gradient(pool_bpsn, o.power, 0, pg_bpsn);
    const RateValue pm_bnsp = power_mean_with_gradient(pool_bnsp, o.power, 0, pg_bnsp);
    std::vector<double> if_pool(n, 0.0);
    std::size_t pool_off = 0;
    // Pass 2 per column: placements, DeLong variances and the influence of each row.
    for (std::size_t col = 1; col < plan.columns.size(); ++col) {
      const Column& c = plan.columns[col];
      const std::size_t ng = c.groups.size();
      const AucPass1& q = p1[col];
      ColumnAuc& r = res[col];
      std::vector<double> g_sub, g_bpsn, g_bnsp;
      r.m_sub = power_mean_with_gradient(r.sub, o.power, 0, g_sub);
      r.m_bpsn = power_mean_with_gradient(r.bpsn, o.power, 0, g_bpsn);
      r.m_bnsp = power_mean_with_gradient(r.bnsp, o.power, 0, g_bnsp);
      if (overall.defined() && r.m_sub.defined() && r.m_bpsn.defined() && r.m_bnsp.defined()) {
        r.final_score = {
            0.25 * overall.value + 0.25 * (r.m_sub.value + r.m_bpsn.value + r.m_bnsp.value),
            Undefined::kNone};
      } else {
        r.final_score = {kNaN, overall.defined() ? Undefined::kNoComparableGroups : overall.why};
      }
      r.var_sub.assign(ng, 0);
      r.var_bpsn.assign(ng, 0);
      r.var_bnsp.assign(ng, 0);
      r.ci = want_ci && ng <= kMaxAucCiGroups;
      if (!r.ci) {
        if (want_ci) {
          notes.push_back("column \"" + c.name + "\" has more than " +
                          std::to_string(kMaxAucCiGroups) +
                          " groups: no intervals for its bias AUCs");
        }
        if (c.plain) pool_off += ng;
        continue;
      }
      // Class sums of squared influences, per AUC and class (for DeLong's m/(m − 1)).
      std::vector<double> ss_sub_p(ng, 0), ss_sub_n(ng, 0), ss_bpsn_sub(ng, 0), ss_bpsn_bg(ng, 0),
          ss_bnsp_sub(ng, 0), ss_bnsp_bg(ng, 0);
      std::vector<double> cneg(ng, 0), cpos(ng, 0), bneg(ng, 0), bpos(ng, 0);
      double all_cneg = 0, all_cpos = 0;
      double ss_msub = 0, ss_mbpsn = 0, ss_mbnsp = 0, ss_final = 0;
      for (std::size_t b = 0; b + 1 < blocks.size(); ++b) {
        double abn = 0, abp = 0;
        for (std::size_t k = blocks[b]; k < blocks[b + 1]; ++k) {
          const std::size_t i = order[k];
          const auto g = static_cast<std::size_t>(c.group_of(i));
          (y[i] ? bpos[g] : bneg[g]) += weight_of(d, i);
          (y[i] ? abp : abn) += weight_of(d, i);
        }
        for (std::size_t k = blocks[b]; k < blocks[b + 1]; ++k) {
          const std::size_t i = order[k];
          const auto g = static_cast<std::size_t>(c.group_of(i));
          const double w_i = weight_of(d, i);
          double f_sub = 0, f_bpsn = 0, f_bnsp = 0;  // influence on the column's power means
          double f_pool = 0;                         // on the pooled final score
          const std::size_t pg = pool_off;
          auto pooled = [&](const std::vector<double>& grad, std::size_t h) {
            return c.plain && !grad.empty() ? grad[pg + h] : 0.0;
          };
          if (y[i]) {
            if (r.sub[g].defined()) {
              const double v = (cneg[g] + 0.5 * bneg[g]) / q.wneg[g];
              const double f = w_i * (v - r.sub[g].value) / q.wpos[g];
              ss_sub_p[g] += f * f;
              f_sub += g_sub[g] * f;
              f_pool += pooled(pg_sub, g) * f;
            }
            if (r.bnsp[g].defined()) {
              const double v = ((all_cneg - cneg[g]) + 0.5 * (abn - bneg[g])) / (wneg - q.wneg[g]);
              const double f = w_i * (v - r.bnsp[g].value) / q.wpos[g];
              ss_bnsp_sub[g] += f * f;
              f_bnsp += g_bnsp[g] * f;
              f_pool += pooled(pg_bnsp, g) * f;
            }
            for (std::size_t h = 0; h < ng; ++h) {
              if (h == g || !r.bpsn[h].defined()) continue;
              const double v = (cneg[h] + 0.5 * bneg[h]) / q.wneg[h];
              const double f = w_i * (v - r.bpsn[h].value) / (wpos - q.wpos[h]);
              ss_bpsn_bg[h] += f * f;
              f_bpsn += g_bpsn[h] * f;
              f_pool += pooled(pg_bpsn, h) * f;
            }
          } else {
            const double above_all = wpos - all_cpos - 0.5 * abp;
            const double above_g = q.wpos[g] - cpos[g] - 0.5 * bpos[g];
            if (r.sub[g].defined()) {
              const double f = w_i * (above_g / q.wpos[g] - r.sub[g].value) / q.wneg[g];
              ss_sub_n[g] += f * f;
              f_sub += g_sub[g] * f;
              f_pool += pooled(pg_sub, g) * f;
            }
            if (r.bpsn[g].defined()) {
              const double v = (above_all - above_g) / (wpos - q.wpos[g]);
              const double f = w_i * (v - r.bpsn[g].value) / q.wneg[g];
              ss_bpsn_sub[g] += f * f;
              f_bpsn += g_bpsn[g] * f;
              f_pool += pooled(pg_bpsn, g) * f;
            }
            for (std::size_t h = 0; h < ng; ++h) {
              if (h == g || !r.bnsp[h].defined()) continue;
              const double v = (q.wpos[h] - cpos[h] - 0.5 * bpos[h]) / q.wpos[h];
              const double f = w_i * (v - r.bnsp[h].value) / (wneg - q.wneg[h]);
              ss_bnsp_bg[h] += f * f;
              f_bnsp += g_bnsp[h] * f;
              f_pool += pooled(pg_bnsp, h) * f;
            }
          }
          ss_msub += f_sub * f_sub;
          ss_mbpsn += f_bpsn * f_bpsn;
          ss_mbnsp += f_bnsp * f_bnsp;
          const double f_final = 0.25 * (if_overall[i] + f_sub + f_bpsn + f_bnsp);
          ss_final += f_final * f_final;
          if_pool[i] += 0.25 * f_pool;
        }
        for (std::size_t k = blocks[b]; k < blocks[b + 1]; ++k) {
          const auto g = static_cast<std::size_t>(c.group_of(order[k]));
          cneg[g] += bneg[g];
          cpos[g] += bpos[g];
          bneg[g] = bpos[g] = 0;
        }
        all_cneg += abn;
        all_cpos += abp;
      }
      auto corr = [](double ss, int64_t m) { return m > 1 ? ss * m / (m - 1.0) : ss; };
      for (std::size_t g = 0; g < ng; ++g) {
        const int64_t bg_pos =
            std::accumulate(q.mpos.begin(), q.mpos.end(), int64_t{0}) - q.mpos[g];
        const int64_t bg_neg =
            std::accumulate(q.mneg.begin(), q.mneg.end(), int64_t{0}) - q.mneg[g];
        r.var_sub[g] = corr(ss_sub_p[g], q.mpos[g]) + corr(ss_sub_n[g], q.mneg[g]);
        r.var_bpsn[g] = corr(ss_bpsn_sub[g], q.mneg[g]) + corr(ss_bpsn_bg[g], bg_pos);
        r.var_bnsp[g] = corr(ss_bnsp_sub[g], q.mpos[g]) + corr(ss_bnsp_bg[g], bg_neg);
      }
      r.var_m_sub = ss_msub;
      r.var_m_bpsn = ss_mbpsn;
      r.var_m_bnsp = ss_mbnsp;
      r.var_final = ss_final;
      if (c.plain) pool_off += ng;
    }
    // Emit.
    std::vector<std::size_t> label_aggs;
    auto emit = [&](const char* name, const Column& c, const std::string& group, RateValue v,
                    double var, bool ci, const std::vector<std::string>& flags,
                    const std::string& subject, bool aggregate) {
      MetricValue m;
      m.name = name;
      m.column = c.name;
      m.group = group;
      m.label = lname;
      m.convention = "borkan2019";
      if (v.defined()) {
        m.value = v.value;
      } else {
        m.reason = undefined_reason(v.why, subject);
      }
      m.flags = flags;
      if (ci) set_interval(m, var, z);
      if (aggregate) {
        label_aggs.push_back(out.size());
      }
      out.push_back(std::move(m));
    };
    for (std::size_t col = 1; col < plan.columns.size(); ++col) {
      const Column& c = plan.columns[col];
      const ColumnAuc& r = res[col];
      for (std::size_t g = 0; g < c.groups.size(); ++g) {
        const auto& fl = plan.flags[lp][plan.offset[col] + g];
        emit("subgroup_auc", c, c.groups[g], r.sub[g], r.ci ? r.var_sub[g] : 0, r.ci, fl,
             c.groups[g], false);
        emit("bpsn_auc", c, c.groups[g], r.bpsn[g], r.ci ? r.var_bpsn[g] : 0, r.ci, fl, c.groups[g],
             false);
        emit("bnsp_auc", c, c.groups[g], r.bnsp[g], r.ci ? r.var_bnsp[g] : 0, r.ci, fl, c.groups[g],
             false);
      }
      emit("subgroup_auc_power_mean", c, kEmpty, r.m_sub, r.var_m_sub, r.ci, no_flags, c.name,
           true);
      emit("bpsn_auc_power_mean", c, kEmpty, r.m_bpsn, r.var_m_bpsn, r.ci, no_flags, c.name, true);
      emit("bnsp_auc_power_mean", c, kEmpty, r.m_bnsp, r.var_m_bnsp, r.ci, no_flags, c.name, true);
      emit("final_bias_score", c, kEmpty, r.final_score, r.var_final, r.ci, no_flags, c.name, true);
    }
    if (plan.columns.size() > 1) {
      bool all_ci = want_ci;
      for (std::size_t col = 1; col < plan.columns.size(); ++col) {
        all_ci = all_ci && (!plan.columns[col].plain || res[col].ci);
      }
      double var_pool = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const double f = if_pool[i] + 0.25 * if_overall[i];
        var_pool += f * f;
      }
      RateValue final_all{kNaN, Undefined::kNoComparableGroups};
      if (!overall.defined()) {
        final_all = overall;
      } else if (pm_sub.defined() && pm_bpsn.defined() && pm_bnsp.defined()) {
        final_all = {0.25 * overall.value + 0.25 * (pm_sub.value + pm_bpsn.value + pm_bnsp.value),
                     Undefined::kNone};
      }
      emit("final_bias_score", plan.columns[0], kEmpty, final_all, var_pool, all_ci, no_flags, "",
           true);
    }
    first_slot_per_label.push_back(label_aggs);
  }
  if (any) {
    notes.push_back(
        "bias AUCs (Borkan et al. 2019): normal intervals from DeLong's variance "
        "(power means and final_bias_score: delta method over the same placement "
        "values), not bootstrap");
  }
  // Worst case over classes: the class with the lowest value, with its interval.
  if (plan.multi && first_slot_per_label.size() == plan.labels.size() &&
      !first_slot_per_label.empty()) {
    const std::size_t per = first_slot_per_label[0].size();
    for (std::size_t k = 0; k < per; ++k) {
      const MetricValue* worst = nullptr;
      bool some_undefined = false;
      for (const auto& slots : first_slot_per_label) {
        const MetricValue& m = out[slots[k]];
        if (!m.value) {
          some_undefined = true;
          continue;
        }
        if (worst == nullptr || *m.value < *worst->value) worst = &m;
      }
      MetricValue m = out[first_slot_per_label[0][k]];
      m.label = "*";
      m.flags.clear();
      m.lower.reset();
      m.upper.reset();
      if (worst) {
        m.value = worst->value;
        m.reason.clear();
        m.lower = worst->lower;
        m.upper = worst->upper;
        if (some_undefined) m.flags.push_back("excludes_undefined_classes");
      } else {
        m.value.reset();
        m.reason = undefined_reason(Undefined::kEveryClassUndefined, "");
      }
      out.push_back(std::move(m));
    }
  }
}

}  // namespace

AuditResult compute_audit(const AuditData& data, const AuditOptions& options) {
  validate(data, options);
  Plan plan;
  plan.data = &data;
  plan.options = &options;
  choose_labels(data, options, plan);
  choose_views(data, options, plan);
  build_columns(data, options, plan);
  choose_references(data, options, plan);
  build_cells(data, options, plan);
  AuditResult result;
  compute_flags(options, plan, result);

  std::vector<int64_t> mult(plan.cell_n);
  Table table;
  accumulate(plan, mult, true, table);
  std::vector<double> values;
  std::vector<std::size_t> aggregate_slots;
  Emitter e;
  e.meta = &result.metrics;
  e.values = &values;
  e.aggregate_slots = &aggregate_slots;
  evaluate(plan, table, e);
  add_worst_entries(plan, aggregate_slots, result.metrics, values);
  bootstrap(plan, options, result.metrics, values);

  result.notes = plan.notes;
  if (options.bootstrap_samples > 0) {
    result.notes.push_back(
        "bootstrap: " + std::to_string(options.bootstrap_samples) + " resamples, seed " +
        std::to_string(options.seed) + ", percentile intervals at confidence " +
        std::to_string(options.confidence) +
        (plan.poisson
             ? "; Poisson(1) row resampling (the cross-classification of groups, classes, "
               "predictions and weights has too many cells)"
             : "; each resample is one multinomial draw of the " + std::to_string(plan.rows) +
                   " rows over the " + std::to_string(plan.cell_n.size()) +
                   " cells of groups x true class x predictions" +
                   (data.weights.empty() ? std::string() : " x weight value") +
                   ", exactly a row resample"));
  }
  if (plan.multi) {
    result.notes.push_back(
        "every class audited one-vs-rest; label \"*\" is the worst case over "
        "classes");
  }
  for (std::size_t col = 1; col < plan.columns.size(); ++col) {
    result.notes.push_back(
        "column \"" + plan.columns[col].name + "\": reference group \"" +
        plan.columns[col].groups[plan.reference[col]] + "\"" +
        (plan.min_metric ? " (AIF360; Aequitas uses the lowest group per rate)" : ""));
  }
  compute_bias_aucs(plan, options, result.metrics, result.notes);
  return result;
}

}  // namespace fm

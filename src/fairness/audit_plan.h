#pragma once
// Private to fairness/: the plan of one compute_audit call (what to compute, decided once from the
// data and the options) and the steps that share it, one concern per file:
//   audit_plan.cpp   validation, positive labels, views, columns, reference groups
//   cell_tables.cpp  cells of the finest cross-classification; weighted confusion tables
//   group_flags.cpp  size flags, group summaries, notes on empty and tiny cells
//   disparities.cpp  the metric sequence of one table: rates, Fairlearn, AIF360, Aequitas
//   worst_case.cpp   the label "*" values of a multi-class audit
//   bootstrap.cpp    percentile intervals of the count-based metrics
//   bias_auc.cpp     Borkan et al. 2019 AUCs with DeLong / delta-method intervals
//   audit.cpp        compute_audit: the steps in order, and the notes

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fm/fairness/audit.h"
#include "fm/fairness/catalogue.h"
#include "fm/fairness/metrics.h"

namespace fm::audit_detail {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline const std::string kEmpty;

// Beyond this many cells the cross-classification is close to one cell per row: resample rows.
constexpr int64_t kMaxCells = 1 << 18;
constexpr std::size_t kMaxIntersectionCells = 1 << 20;
// The delta-method pass costs rows × groups per column.
constexpr std::size_t kMaxAucCiGroups = 256;

// Weighted confusion counts of one table row, indexed by the confusion cell of a row for one
// view: 0 tn, 1 fp, 2 fn, 3 tp (= 2 y + ŷ).
using Cell = std::array<double, 4>;
using Table = std::vector<Cell>;

inline ConfusionCounts to_counts(const Cell& cell) {
  ConfusionCounts c;
  c.tn = cell[0];
  c.fp = cell[1];
  c.fn = cell[2];
  c.tp = cell[3];
  return c;
}

inline double weight_of(const AuditData& data, std::size_t row) {
  return data.weights.empty() ? 1.0 : data.weights[row];
}

// A group column, an intersection, or the whole data (column 0: one group "").
struct Column {
  std::string name;
  bool plain = true;  // a group column (not an intersection, not the whole data)
  std::vector<std::string> groups;
  std::vector<int32_t> row_group;  // empty for the whole-data column (every row in group 0)
  int32_t group_of(std::size_t row) const { return row_group.empty() ? 0 : row_group[row]; }
};

// One positive label under one decision rule.
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
  std::vector<ClassAggregate> worst_rule;
  // Flags per label position and table row.
  std::vector<std::vector<std::vector<std::string>>> flags;
};

// audit_plan.cpp: throws DataError / ConfigError for data and options that do not fit.
void validate_input(const AuditData& data, const AuditOptions& options);
void choose_labels(const AuditData& data, const AuditOptions& options, Plan& plan);
void choose_views(const AuditData& data, const AuditOptions& options, Plan& plan);
void build_columns(const AuditData& data, const AuditOptions& options, Plan& plan);
void choose_references(const AuditData& data, const AuditOptions& options, Plan& plan);
// Whether `row` is predicted positive for `label` under the view's decision rule.
bool predicted(const AuditData& data, int label, const View& view, std::size_t row);

// cell_tables.cpp.
void build_cells(const AuditData& data, const AuditOptions& options, Plan& plan);
// table[v * table_size + offset[col] + group] += multiplicity × weight of every cell.
void accumulate(const Plan& plan, const std::vector<int64_t>& mult, bool weighted, Table& table);

// group_flags.cpp: Plan::flags, the group summaries and notes on empty or tiny cells.
void compute_flags(const AuditOptions& options, Plan& plan, AuditResult& result);

// Emission: the same sequence of values for the point estimate (with names, reasons, flags) and
// for every resample (values only), so that slot k always means the same metric.
struct Emitter {
  std::vector<MetricValue>* meta = nullptr;
  std::vector<double>* values = nullptr;
  // Point mode: the column-level slots, each with its metric (the class worst cases use them).
  struct AggregateSlot {
    std::size_t slot;
    MetricId metric;
  };
  std::vector<AggregateSlot>* aggregate_slots = nullptr;

  struct Entry {
    MetricId metric;
    const std::string* column;
    const std::string* group;
    const std::string* reference;
    const std::string* label;
    std::optional<double> threshold;
    const std::vector<std::string>* flags;
  };

  // `subject` names the group/column the reason refers to. Inline: a resample only appends the
  // number, and evaluate() calls this for every value of every resample.
  void add(const Entry& e, RateValue v, const std::string& subject, bool aggregate = false,
           bool partial = false, std::optional<bool> fair = std::nullopt) {
    values->push_back(v.defined() ? v.value : kNaN);
    if (meta != nullptr) describe(e, v, subject, aggregate, partial, fair);
  }

 private:
  // Point mode: the MetricValue of the value just appended.
  void describe(const Entry& e, RateValue v, const std::string& subject, bool aggregate,
                bool partial, std::optional<bool> fair);
};

// disparities.cpp: emits every count-based metric of `table` (weighted) in plan order.
void evaluate(const Plan& plan, const Table& table, Emitter& out);

// worst_case.cpp.
// Whether `x` is worse than `current` under a worst-case rule (kWorstMax, kWorstMin,
// kWorstMaxAbs); ties keep `current`.
bool worse_over_classes(ClassAggregate rule, double x, double current);
// Appends to `values` the worst case over classes of each Plan::worst_slots entry.
void apply_worst(const Plan& plan, std::vector<double>& values);
// Point mode: one "*" entry per aggregate of the first class, over the same slot of each class.
void add_worst_entries(Plan& plan, const std::vector<Emitter::AggregateSlot>& aggregate_slots,
                       std::vector<MetricValue>& metrics, std::vector<double>& values);
// Point mode, for values with their own intervals (the bias AUCs): one "*" entry per aggregate
// slot of the first class, the worst class's value with its interval.
void add_worst_with_intervals(
    const std::vector<std::vector<Emitter::AggregateSlot>>& slots_per_label,
    std::vector<MetricValue>& metrics);

// bootstrap.cpp: percentile intervals of the count-based values `point` (NaN = undefined).
void bootstrap(const Plan& plan, const AuditOptions& options, std::vector<MetricValue>& metrics,
               const std::vector<double>& point);

// bias_auc.cpp: appends the bias AUCs of every label with a score, and their notes.
void compute_bias_aucs(const Plan& plan, const AuditOptions& options, std::vector<MetricValue>& out,
                       std::vector<std::string>& notes);

}  // namespace fm::audit_detail

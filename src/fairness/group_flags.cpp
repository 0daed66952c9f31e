// Size flags of every group (the options' minimums count rows, not weights), the group summaries
// of the result, and notes that disclose empty and tiny intersection cells.

#include "audit_plan.h"

namespace fm::audit_detail {
namespace {

std::string quoted_list(const std::vector<std::string>& xs) {
  std::string s;
  for (std::size_t i = 0; i < xs.size() && i < 10; ++i) s += (i ? ", \"" : "\"") + xs[i] + "\"";
  if (xs.size() > 10) s += ", ... (" + std::to_string(xs.size() - 10) + " more)";
  return s;
}

// Once per column: the cells do not depend on the class.
void note_empty_and_tiny_groups(const AuditOptions& o, const Table& rows, Plan& plan) {
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
    if (!empty.empty()) {
      plan.notes.push_back(
          "column \"" + c.name + "\": " + std::to_string(empty.size()) +
          " empty cell(s) (no rows; their metrics are undefined): " + quoted_list(empty));
    }
    if (!tiny.empty()) {
      plan.notes.push_back("column \"" + c.name + "\": " + std::to_string(tiny.size()) +
                           " group(s) with fewer than " + std::to_string(o.min_group_size) +
                           " rows (flag small_group): " + quoted_list(tiny));
    }
  }
}

}  // namespace

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
  note_empty_and_tiny_groups(o, rows, plan);
}

}  // namespace fm::audit_detail

// compute_audit: the steps of an audit in order (audit_plan.h lists the file of each step) and the
// notes that disclose how the numbers were computed.

#include "fm/fairness/audit.h"

#include "audit_plan.h"

namespace fm {
namespace {

using audit_detail::Plan;

std::string bootstrap_note(const AuditData& data, const AuditOptions& options, const Plan& plan) {
  return "bootstrap: " + std::to_string(options.bootstrap_samples) + " resamples, seed " +
         std::to_string(options.seed) + ", percentile intervals at confidence " +
         std::to_string(options.confidence) +
         (plan.poisson
              ? "; Poisson(1) row resampling (the cross-classification of groups, classes, "
                "predictions and weights has too many cells)"
              : "; each resample is one multinomial draw of the " + std::to_string(plan.rows) +
                    " rows over the " + std::to_string(plan.cell_n.size()) +
                    " cells of groups x true class x predictions" +
                    (data.weights.empty() ? std::string() : " x weight value") +
                    ", exactly a row resample");
}

void add_notes(const AuditData& data, const AuditOptions& options, const Plan& plan,
               AuditResult& result) {
  result.notes = plan.notes;
  if (options.bootstrap_samples > 0) result.notes.push_back(bootstrap_note(data, options, plan));
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
}

}  // namespace

AuditResult compute_audit(const AuditData& data, const AuditOptions& options) {
  using namespace audit_detail;
  validate_input(data, options);
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

  // The point estimate: every count-based value, then the class worst cases, then intervals.
  std::vector<int64_t> mult(plan.cell_n);
  Table table;
  accumulate(plan, mult, true, table);
  std::vector<double> values;
  std::vector<Emitter::AggregateSlot> aggregate_slots;
  Emitter e;
  e.meta = &result.metrics;
  e.values = &values;
  e.aggregate_slots = &aggregate_slots;
  evaluate(plan, table, e);
  add_worst_entries(plan, aggregate_slots, result.metrics, values);
  bootstrap(plan, options, result.metrics, values);

  add_notes(data, options, plan, result);
  compute_bias_aucs(plan, options, result.metrics, result.notes);
  return result;
}

}  // namespace fm

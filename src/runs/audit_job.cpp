#include "fm/runs/audit_job.h"

#include <iostream>
#include <optional>
#include <vector>

#include "fm/error.h"
#include "fm/fairness/audit.h"
#include "fm/fairness/gates.h"
#include "fm/fairness/predictions.h"
#include "fm/log.h"
#include "fm/report/audit_report.h"
#include "fm/runs/audit_run.h"

namespace fm {

int run_audit(const AuditJob& job) {
  const AuditPolicy& policy = job.policy;
  validate(policy);

  // The baseline is read first so that a wrong path fails before the (possibly slow) audit.
  std::optional<std::vector<MetricValue>> baseline;
  if (!policy.baseline.file.empty()) baseline = read_baseline_metrics(policy.baseline.file);

  AuditData data;
  std::vector<MetricValue> extra;
  std::string input;
  if (!policy.predictions.empty()) {
    PredictionColumns columns;
    columns.true_column = policy.true_column;
    columns.pred_column = policy.pred_column;
    columns.score_column = policy.score_column;
    columns.weight_column = policy.weight_column;
    columns.group_columns = policy.group_columns;
    columns.positive_label = policy.positive_label;
    data = read_predictions_csv(policy.predictions, columns);
    input = "predictions " + policy.predictions;
  } else {
    RunAuditInput run_input;
    run_input.run_dir = policy.run;
    run_input.data = policy.data;
    run_input.group_columns = policy.group_columns;
    run_input.counterfactual = policy.counterfactual;
    run_input.counterfactual_terms = policy.counterfactual_terms;
    run_input.threads = policy.threads;
    data = audit_data_from_run(run_input, policy.positive_label, extra);
    input = "run " + policy.run + " on " + policy.data;
  }
  input += " (" + std::to_string(data.rows()) + " rows)";
  log::info("audit", input + ", groups: " + std::to_string(data.group_columns.size()) +
                         " columns, bootstrap " + std::to_string(policy.bootstrap.samples));

  AuditReport report;
  report.input = input;
  report.rows = data.rows();
  report.classes = data.classes;
  report.positive_label = policy.positive_label;
  if (report.positive_label.empty() && data.classes.size() == 2) {
    report.positive_label = data.classes[1];
  }
  report.policy = policy;
  report.result = compute_audit(data, to_audit_options(policy));
  report.result.metrics.insert(report.result.metrics.end(), extra.begin(), extra.end());
  report.verdict = judge_audit(report.result, policy, baseline);
  write_audit_outputs(report, std::cout);
  log::info("audit", std::string("verdict: ") + gate_status_name(report.verdict.status));
  return report.verdict.status == GateStatus::kFail ? static_cast<int>(ExitCode::kGateFailed)
                                                    : static_cast<int>(ExitCode::kOk);
}

}  // namespace fm

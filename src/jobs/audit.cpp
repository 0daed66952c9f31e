#include "fm/jobs/audit.h"

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/fairness/audit.h"
#include "fm/fairness/gates.h"
#include "fm/data/predictions.h"
#include "fm/io/files.h"
#include "fm/log.h"
#include "fm/report/audit_report.h"
#include "fm/runs/run_files.h"

namespace fm {

int run_audit(const AuditJob& job) {
  const AuditPolicy& policy = job.policy;
  validate(policy);
  // An output must never be one of the inputs (predictions, data, baseline, a file of the run).
  std::vector<std::string> inputs = {policy.predictions, policy.data, policy.baseline.file};
  if (!policy.run.empty()) {
    for (const auto& name : run_input_files()) inputs.push_back(policy.run + "/" + name);
  }
  const auto& out = policy.outputs;
  refuse_overwriting_inputs("--output", out.output, inputs);
  refuse_overwriting_inputs("--junit", out.junit, inputs);
  refuse_overwriting_inputs("--csv", out.csv, inputs);
  refuse_overwriting_inputs("--markdown", out.markdown, inputs);
  check_outputs({{"--output", out.output}, {"--junit", out.junit}, {"--csv", out.csv},
                 {"--markdown", out.markdown}});

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
    // fm-audit hands run mode to fm-audit-run before getting here; reaching this without a hook
    // is a front-end bug, not a user error.
    if (!job.run_data) {
      throw Error("internal error: auditing run " + policy.run +
                  " needs LibTorch, but this program was built without run mode");
    }
    data = job.run_data(policy, extra);
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

#pragma once
/// \file
/// The LibTorch half of fm-audit's job: auditing a trained run directly (`run` + `data`). Predicts a
/// dataset with the run and builds the audit table, plus counterfactual token fairness (Garg et al.
/// 2019) from identity-term substitutions; plugged into the torch-free fm::run_audit
/// (fm/jobs/audit.h) as AuditJob::run_data.

#include <string>
#include <vector>

#include "fm/config/audit_policy.h"
#include "fm/fairness/audit.h"

namespace fm {

/// Where the model and the data come from when fm-audit is given `--run DIR --data FILE`.
struct RunAuditInput {
  std::string run_dir;
  std::string data;
  /// Group columns to carry (defaults to the run's data.group_columns when empty).
  std::vector<std::string> group_columns;
  /// Identity-term substitution list file (JSON); empty = the built-in English list.
  std::string counterfactual_terms;
  /// Compute counterfactual token fairness metrics.
  bool counterfactual = true;
  int64_t threads = 0;
};

/// Predicts `input.data` with the run and fills an AuditData (classes = the run's labels, scores =
/// softmax probabilities). When `input.counterfactual`, appends to `extra` the metrics
/// "ctf_mean_abs_delta" and "ctf_flip_rate" per identity-term pair (column = category, group =
/// "term→substitute") and per category (group empty), for `positive_label`.
AuditData audit_data_from_run(const RunAuditInput& input, const std::string& positive_label,
                              std::vector<MetricValue>& extra);

/// Predicts `policy.data` with the run directory `policy.run` through audit_data_from_run (group
/// columns, counterfactual settings and threads from the policy, for `policy.positive_label`);
/// counterfactual token fairness metrics go to `extra`.
AuditData audit_data_for_run_policy(const AuditPolicy& policy, std::vector<MetricValue>& extra);

}  // namespace fm

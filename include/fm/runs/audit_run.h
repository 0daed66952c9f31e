#pragma once
/// \file
/// Auditing a trained run directly: predict a dataset with the run and build the audit table, plus
/// counterfactual token fairness (Garg et al. 2019) from identity-term substitutions.

#include <string>
#include <vector>

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

}  // namespace fm

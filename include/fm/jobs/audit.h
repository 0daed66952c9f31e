#pragma once
/// \file
/// fm-audit's one library call: read the predictions (or get the table from a run), compute the
/// audit, check gates and baseline, write the reports. Torch-free: run mode (`run` + `data`)
/// predicts with a model, so the LibTorch library supplies it as AuditJob::run_data
/// (fm::audit_data_for_run_policy in fm/runs/audit_job.h).

#include <functional>
#include <vector>

#include "fm/fairness/audit.h"
#include "fm/config/audit_policy.h"

namespace fm {

/// Builds the audit table of a run-mode policy (`run` + `data` set) and appends metrics the
/// predictions alone cannot give (counterfactual token fairness) to `extra`.
using AuditRunData =
    std::function<AuditData(const AuditPolicy& policy, std::vector<MetricValue>& extra)>;

/// One fm-audit invocation.
struct AuditJob {
  /// The resolved policy (defaults < --config file < flags < --set).
  AuditPolicy policy;
  /// Run mode's table builder; empty in torch-free front-ends, which must not pass a run-mode
  /// policy (run_audit then throws fm::Error, exit 5).
  AuditRunData run_data;
};

/// Validates the policy, builds the audit table (predictions CSV, or `run` + `data` through
/// `job.run_data`), computes the metrics, judges gates and baseline and writes the outputs.
/// Returns 0 when nothing failed (warnings included) and ExitCode::kGateFailed (1) when a gate or
/// the baseline failed; errors are fm exceptions (ConfigError, DataError, ModelError, IoError).
int run_audit(const AuditJob& job);

}  // namespace fm

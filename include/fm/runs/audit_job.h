#pragma once
/// \file
/// fm-audit's one library call: read the predictions (or predict with a run), compute the audit,
/// check gates and baseline, write the reports.

#include <string>

#include "fm/fairness/policy.h"

namespace fm {

/// One fm-audit invocation.
struct AuditJob {
  /// The resolved policy (defaults < --config file < flags < --set).
  AuditPolicy policy;
};

/// Validates the policy, builds the audit table (predictions CSV, or `run` + `data` through
/// audit_data_from_run), computes the metrics, judges gates and baseline and writes the outputs.
/// Returns 0 when nothing failed (warnings included) and ExitCode::kGateFailed (1) when a gate or
/// the baseline failed; errors are fm exceptions (ConfigError, DataError, ModelError, IoError).
int run_audit(const AuditJob& job);

}  // namespace fm

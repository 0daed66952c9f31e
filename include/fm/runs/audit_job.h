#pragma once
/// \file
/// The LibTorch half of fm-audit: run mode (`run` + `data`), plugged into the torch-free
/// fm::run_audit (fm/report/audit_job.h) as AuditJob::run_data.

#include <vector>

#include "fm/fairness/audit.h"
#include "fm/fairness/policy.h"

namespace fm {

/// Predicts `policy.data` with the run directory `policy.run` through audit_data_from_run (group
/// columns, counterfactual settings and threads from the policy, for `policy.positive_label`);
/// counterfactual token fairness metrics go to `extra`.
AuditData audit_data_for_run_policy(const AuditPolicy& policy, std::vector<MetricValue>& extra);

}  // namespace fm

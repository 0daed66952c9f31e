#include "fm/runs/audit_job.h"

#include "fm/runs/audit_run.h"

namespace fm {

AuditData audit_data_for_run_policy(const AuditPolicy& policy, std::vector<MetricValue>& extra) {
  RunAuditInput input;
  input.run_dir = policy.run;
  input.data = policy.data;
  input.group_columns = policy.group_columns;
  input.counterfactual = policy.counterfactual;
  input.counterfactual_terms = policy.counterfactual_terms;
  input.threads = policy.threads;
  return audit_data_from_run(input, policy.positive_label, extra);
}

}  // namespace fm

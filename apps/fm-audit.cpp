// fm-audit: fairness audit of predictions (or of a run on a dataset) against a policy's gates.
//
// Built twice. fm-audit links only fmkit_core, so the CI gate on a predictions file starts in
// milliseconds instead of loading LibTorch's ~290 shared libraries. Run mode (--run DIR --data
// FILE) predicts with the model, so after resolving and validating the policy fm-audit execs its
// sibling fm-audit-run (this file with FM_AUDIT_WITH_TORCH, linking fmkit), handing over the
// resolved policy itself (hidden --resolved-policy JSON): a policy read from a pipe or a process
// substitution cannot be read a second time.

#include <iostream>
#include <string>
#include <vector>

#include "app_common.h"
#include "audit_flags.h"
#include "fm/config/audit_policy.h"
#include "fm/jobs/audit.h"
#include "fm/report/audit_report.h"
#include "fm/version.h"
#ifdef FM_AUDIT_WITH_TORCH
#include "fm/jobs/audit_run.h"
#include "fm/model/runtime.h"
#endif

int main(int argc, char** argv) {
  const std::string program = "fm-audit";
  CLI::App app{"Fairness audit of a classifier's predictions: per-group rates, disparities\n"
               "(Fairlearn, AIF360, Aequitas), text bias AUCs, bootstrap intervals, policy gates\n"
               "and a baseline comparison. Exit 1 when a gate fails.",
               program};
  fm::app::ConfigFlags config;
  fm::app::add_config_flags(app, config, "Audit policy JSON (see configs/audit-policy.json)");
  const fm::app::AuditPolicyFlags policy_flags(app);
  std::string list_metrics;
  app.add_option("--list-metrics", list_metrics,
                 "Print every metric (convention, formula, direction, when defined) as text or "
                 "markdown and exit")
      ->expected(0, 1)->default_str("text");
  std::string log_level, resolved;
#ifdef FM_AUDIT_WITH_TORCH
  app.add_option("--resolved-policy", resolved)->group("");  // fm-audit's hand-over (see above)
  fm::app::add_common_flags(app, [] { return fm::version_text("fm-audit-run"); }, log_level);
#else
  fm::app::add_common_flags(app, [&] {
    return fm::core_version_text(program, "not loaded (only --run mode loads it, in fm-audit-run)");
  }, log_level);
#endif
  if (auto rc = fm::app::parse(app, program, argc, argv)) return *rc;

  return fm::guarded_main(program, [&] {
    fm::app::init_logging(program, log_level);
    if (app.count("--list-metrics")) {
      std::cout << fm::format_metric_catalogue(list_metrics.empty() ? "text" : list_metrics);
      return 0;
    }
    fm::ConfigSources sources;
    if (!resolved.empty()) sources.load_text(resolved, "--resolved-policy");
    if (resolved.empty() && !config.path.empty()) sources.load_file(config.path, "policy");
    policy_flags.apply(sources);
    sources.assign_all(config.overrides);
    fm::AuditJob job{fm::resolve_audit_policy(sources), {}};
    if (config.print) {
      std::cout << fm::to_json(job.policy).dump(2) << std::endl;
      return 0;
    }
#ifdef FM_AUDIT_WITH_TORCH
    job.run_data = fm::audit_data_for_run_policy;
#else
    if (!job.policy.run.empty()) {
      fm::app::exec_sibling("fm-audit-run",
                            {"--resolved-policy", fm::to_json(job.policy).dump(), "--log-level",
                             log_level},
                            "auditing a run (--run) needs fm-audit-run, built with LibTorch, next "
                            "to fm-audit");
    }
#endif
    return fm::run_audit(job);
  });
}

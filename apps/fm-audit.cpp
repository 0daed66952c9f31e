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
#include "fm/config/audit_policy.h"
#include "fm/fairness/gates.h"
#include "fm/jobs/audit.h"
#include "fm/report/audit_report.h"
#include "fm/version.h"
#ifdef FM_AUDIT_WITH_TORCH
#include "fm/jobs/audit_run.h"
#include "fm/model/runtime.h"
#endif

namespace {

struct PolicyFlag {
  const char* flags;
  const char* key;
  const char* help;
};

// Each sets one key of the policy, above the --config file and below --set.
const PolicyFlag kPolicyFlags[] = {
    {"-p,--predictions", "predictions", "Predictions CSV (fm-eval's id,y_true,y_pred,p_<class>...)"},
    {"-r,--run", "run", "Run directory to audit directly (with --data)"},
    {"-d,--data", "data", "Labelled data file for --run"},
    {"--positive", "positive_label", "Positive class (default: the second sorted class)"},
    {"--true-column", "true_column", "True label column (default y_true)"},
    {"--pred-column", "pred_column", "Predicted label column (\"\" = thresholds decide)"},
    {"--score-column", "score_column", "One positive-class score column (binary data)"},
    {"--weight-column", "weight_column", "Sample weight column"},
    {"-f,--format", "outputs.format", "Report format: text, json or markdown (default text)"},
    {"-o,--output", "outputs.output", "Write the report here instead of stdout"},
    {"--junit", "outputs.junit", "Write JUnit XML (one test case per gate) here"},
    {"--csv", "outputs.csv", "Write one CSV row per group × metric here"},
    {"--markdown", "outputs.markdown", "Also write the Markdown summary here"},
    {"--baseline", "baseline.file", "Earlier fm-audit JSON report to compare with"},
};

}  // namespace

int main(int argc, char** argv) {
  const std::string program = "fm-audit";
  CLI::App app{"Fairness audit of a classifier's predictions: per-group rates, disparities\n"
               "(Fairlearn, AIF360, Aequitas), text bias AUCs, bootstrap intervals, policy gates\n"
               "and a baseline comparison. Exit 1 when a gate fails.",
               program};
  fm::app::ConfigFlags config;
  fm::app::add_config_flags(app, config, "Audit policy JSON (see configs/audit-policy.json)");
  std::vector<std::string> values(std::size(kPolicyFlags)), group_columns, gates;
  std::vector<double> thresholds;
  int64_t bootstrap = 0;
  std::vector<CLI::Option*> options;
  for (std::size_t i = 0; i < values.size(); ++i) {
    options.push_back(app.add_option(kPolicyFlags[i].flags, values[i], kPolicyFlags[i].help));
  }
  options[0]->excludes(options[1]);  // --predictions or --run
  app.add_option("-g,--group-column", group_columns, "Group column to audit (repeatable)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-t,--threshold", thresholds, "Decision threshold on the positive score (repeatable)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--gate", gates, "Add a gate METRIC<=X or METRIC>=X (repeatable)")
      ->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--bootstrap", bootstrap, "Bootstrap resamples (0 = no intervals; default 1000)");
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
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (options[i]->count()) sources.set(kPolicyFlags[i].key, values[i], options[i]->get_name());
    }
    // Auditing predictions or a run is one choice: naming one clears the other's keys.
    for (const char* key : {"run", "data"}) {
      if (app.count("--predictions")) sources.set(key, "", "--predictions");
    }
    if (app.count("--run")) sources.set("predictions", "", "--run");
    if (app.count("--group-column")) sources.set("group_columns", group_columns, "--group-column");
    if (app.count("--threshold")) sources.set("thresholds", thresholds, "--threshold");
    if (app.count("--bootstrap")) sources.set("bootstrap.samples", bootstrap, "--bootstrap");
    if (!gates.empty()) {
      auto all = sources.document().value("gates", nlohmann::json::array());
      for (const auto& g : gates) all.push_back(fm::to_json(fm::parse_gate(g)));
      sources.set("gates", all, "--gate");
    }
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

// fm-audit: fairness audit of predictions (or of a run on a dataset) against a policy's gates.
//
// Built twice. fm-audit links only fmkit_core, so the CI gate on a predictions file starts in
// milliseconds instead of loading LibTorch's ~290 shared libraries. Run mode (--run DIR --data
// FILE) predicts with the model, so after resolving and validating the policy fm-audit execs its
// sibling fm-audit-run (this file with FM_AUDIT_WITH_TORCH, linking fmkit), handing over the
// resolved policy itself (hidden --resolved-policy JSON): a policy read from a pipe or a process
// substitution cannot be read a second time.

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app_common.h"
#include "fm/config/audit_policy.h"
#include "fm/fairness/gates.h"
#include "fm/jobs/audit.h"

#ifdef FM_AUDIT_WITH_TORCH
#include "fm/jobs/audit_run.h"
#else
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "fm/version.h"
#endif

namespace {

#ifndef FM_AUDIT_WITH_TORCH
// /proc/self/exe rather than argv[0]: it is the real file even when fm-audit is reached through
// PATH or a symlink, so the sibling is the one installed with this binary.
[[noreturn]] void exec_run_mode(const fm::AuditPolicy& policy, const std::string& log_level) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    throw fm::Error("/proc/self/exe: " + ec.message() +
                    " (needed to find fm-audit-run, which audits a run)");
  }
  const std::string sibling = (self.parent_path() / "fm-audit-run").string();
  std::cout.flush();
  std::cerr.flush();
  const std::string resolved = fm::to_json(policy).dump();
  std::vector<const char*> args = {"fm-audit-run", "--resolved-policy", resolved.c_str()};
  if (!log_level.empty()) {
    args.push_back("--log-level");
    args.push_back(log_level.c_str());
  }
  args.push_back(nullptr);
  execv(sibling.c_str(), const_cast<char* const*>(args.data()));
  const int error = errno;
  throw fm::Error(sibling + ": cannot execute (" + std::strerror(error) +
                  "): auditing a run (--run) needs fm-audit-run, built with LibTorch, next to "
                  "fm-audit");
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const std::string program = "fm-audit";
  CLI::App app{
      "Fairness audit of a classifier's predictions: per-group rates, disparities\n"
      "(Fairlearn, AIF360, Aequitas), text bias AUCs, bootstrap intervals, policy gates\n"
      "and a baseline comparison. Exit 1 when a gate fails.",
      program};
  std::string config_path, log_level, predictions, run, data, positive, true_column, pred_column,
      score_column, weight_column, format, output, junit, csv, markdown, baseline;
  std::vector<std::string> overrides, group_columns, gates;
  std::vector<double> thresholds;
  int64_t bootstrap = 0;
  bool print_config = false;
  app.add_option("-c,--config", config_path, "Audit policy JSON (see configs/audit-policy.json)");
  app.add_option("-s,--set", overrides, "Override one policy value: key.path=value (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-p,--predictions", predictions,
                 "Predictions CSV (fm-eval's id,y_true,y_pred,p_<class>...,<groups>)");
  app.add_option("-r,--run", run, "Run directory to audit directly (with --data)");
  app.add_option("-d,--data", data, "Labelled data file for --run");
  app.add_option("-g,--group-column", group_columns, "Group column to audit (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--positive", positive, "Positive class (default: the second sorted class)");
  app.add_option("--true-column", true_column, "True label column (default y_true)");
  app.add_option("--pred-column", pred_column,
                 "Predicted label column (default y_pred; \"\" = thresholds on the score decide)");
  app.add_option("--score-column", score_column,
                 "One positive-class score column (binary data) instead of the p_<class> columns");
  app.add_option("--weight-column", weight_column, "Sample weight column");
  app.add_option("-t,--threshold", thresholds,
                 "Decision threshold on the positive score (repeatable; default: y_pred)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--gate", gates, "Add a gate METRIC<=X or METRIC>=X (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--bootstrap", bootstrap, "Bootstrap resamples (0 = no intervals; default 1000)");
  app.add_option("-f,--format", format, "Report format: text, json or markdown (default text)");
  app.add_option("-o,--output", output, "Write the report here instead of stdout");
  app.add_option("--junit", junit, "Write JUnit XML (one test case per gate) here");
  app.add_option("--csv", csv, "Write one CSV row per group × metric here");
  app.add_option("--markdown", markdown, "Also write the Markdown summary here");
  app.add_option("--baseline", baseline, "Earlier fm-audit JSON report to compare with");
  app.add_flag("--print-config", print_config, "Print the resolved policy as JSON and exit");
#ifdef FM_AUDIT_WITH_TORCH
  // The policy fm-audit resolved and validated (JSON); replaces --config and the other flags.
  std::string resolved_policy;
  app.add_option("--resolved-policy", resolved_policy)->group("");
  fm::app::add_common_flags(app, "fm-audit-run", log_level);
#else
  // A version text that needs no LibTorch (fm::version_text asks LibTorch and the loaded BLAS).
  fm::app::add_common_flags(
      app,
      [program] {
        return program + " (fmkit) " + fm::fmkit_version() + "\ncommit:   " + fm::git_commit() +
               "\nlibtorch: not loaded (only --run mode loads it, through fm-audit-run)\n"
               "threads:  " + std::to_string(std::thread::hardware_concurrency()) + " cores\n";
      },
      log_level);
#endif
  if (auto rc = fm::app::parse(app, program, argc, argv)) return *rc;

  return fm::guarded_main(program, [&] {
    fm::app::init_logging(program, log_level);
    fm::AuditJob job;
    fm::AuditPolicy& p = job.policy;
#ifdef FM_AUDIT_WITH_TORCH
    if (!resolved_policy.empty()) {
      nlohmann::json json;
      try {
        json = nlohmann::json::parse(resolved_policy);
      } catch (const nlohmann::json::exception& e) {
        throw fm::ConfigError(std::string("--resolved-policy: malformed JSON: ") + e.what());
      }
      p = fm::audit_policy_from_json(json);
      job.run_data = fm::audit_data_for_run_policy;
      return fm::run_audit(job);
    }
#endif
    if (!config_path.empty()) p = fm::load_audit_policy(config_path);
    // Flags override the policy file; --set overrides both.
    const auto given = [&](const char* flag) { return app.count(flag) > 0; };
    if (given("--predictions")) {
      p.predictions = predictions;
      p.run.clear();
      p.data.clear();
    }
    if (given("--run")) {
      p.run = run;
      p.predictions.clear();
    }
    if (given("--data")) p.data = data;
    if (given("--group-column")) p.group_columns = group_columns;
    if (given("--positive")) p.positive_label = positive;
    if (given("--true-column")) p.true_column = true_column;
    if (given("--pred-column")) p.pred_column = pred_column;
    if (given("--score-column")) p.score_column = score_column;
    if (given("--weight-column")) p.weight_column = weight_column;
    if (given("--threshold")) p.thresholds = thresholds;
    for (const auto& g : gates) p.gates.push_back(fm::parse_gate(g));
    if (given("--bootstrap")) p.bootstrap.samples = bootstrap;
    if (given("--format")) p.outputs.format = format;
    if (given("--output")) p.outputs.output = output;
    if (given("--junit")) p.outputs.junit = junit;
    if (given("--csv")) p.outputs.csv = csv;
    if (given("--markdown")) p.outputs.markdown = markdown;
    if (given("--baseline")) p.baseline.file = baseline;
    fm::apply_overrides(p, overrides);
    // Round-trip through the JSON reader so flag values get the same checks as a policy file
    // (e.g. --format must be text, json or markdown).
    try {
      p = fm::audit_policy_from_json(fm::to_json(p));
    } catch (const fm::ConfigError& e) {
      throw fm::ConfigError(std::string("command line: ") + e.what());
    }
    if (print_config) {
      std::cout << fm::to_json(p).dump(2) << std::endl;
      return 0;
    }
#ifdef FM_AUDIT_WITH_TORCH
    job.run_data = fm::audit_data_for_run_policy;
#else
    // Policy errors are reported here in both modes, so fm-audit-run is only started to run.
    fm::validate(p);
    if (!p.run.empty()) exec_run_mode(p, log_level);
#endif
    return fm::run_audit(job);
  });
}

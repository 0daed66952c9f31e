#pragma once
// fm-audit's flags that set policy keys: each sits above the --config file and below --set
// (fm/config/sources.h), so a flag and the policy key it sets are one thing.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app_common.h"
#include "fm/config/audit_policy.h"
#include "fm/config/sources.h"
#include "fm/fairness/gates.h"

namespace fm::app {

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


/// The values of the policy flags after parsing.
class AuditPolicyFlags {
 public:
  /// Adds every policy flag to `app`.
  explicit AuditPolicyFlags(CLI::App& app) : app_(app), values_(std::size(kPolicyFlags)) {
    for (std::size_t i = 0; i < values_.size(); ++i) {
      options_.push_back(app.add_option(kPolicyFlags[i].flags, values_[i], kPolicyFlags[i].help));
    }
    options_[0]->excludes(options_[1]);  // --predictions or --run
    add_list("-g,--group-column", group_columns_, "Group column to audit (repeatable)");
    add_list("-t,--threshold", thresholds_, "Decision threshold on the positive score (repeatable)");
    add_list("--gate", gates_, "Add a gate METRIC<=X or METRIC>=X (repeatable)");
    app.add_option("--bootstrap", bootstrap_, "Bootstrap resamples (0 = no intervals; default 1000)")
        ->check(kInt64);
  }

  /// Sets the keys of the flags given on the command line.
  void apply(ConfigSources& sources) const {
    for (std::size_t i = 0; i < values_.size(); ++i) {
      if (options_[i]->count()) sources.set(kPolicyFlags[i].key, values_[i], options_[i]->get_name());
    }
    // Auditing predictions or a run is one choice: naming one clears the other's keys.
    for (const char* key : {"run", "data"}) {
      if (app_.count("--predictions")) sources.set(key, "", "--predictions");
    }
    if (app_.count("--run")) sources.set("predictions", "", "--run");
    if (app_.count("--group-column")) sources.set("group_columns", group_columns_, "--group-column");
    if (app_.count("--threshold")) sources.set("thresholds", thresholds_, "--threshold");
    if (app_.count("--bootstrap")) sources.set("bootstrap.samples", bootstrap_, "--bootstrap");
    if (!gates_.empty()) {
      auto all = sources.document().value("gates", nlohmann::json::array());
      for (const auto& g : gates_) all.push_back(to_json(parse_gate(g)));
      sources.set("gates", all, "--gate");
    }
  }

 private:
  template <typename T>
  void add_list(const char* flags, std::vector<T>& into, const char* help) {
    app_.add_option(flags, into, help)->expected(1)->multi_option_policy(
        CLI::MultiOptionPolicy::TakeAll);
  }

  CLI::App& app_;
  std::vector<std::string> values_, group_columns_, gates_;
  std::vector<double> thresholds_;
  int64_t bootstrap_ = 0;
  std::vector<CLI::Option*> options_;
};

}  // namespace fm::app

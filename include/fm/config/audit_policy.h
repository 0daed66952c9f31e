#pragma once
/// \file
/// The audit policy (fm-audit `--config`): what to audit, which metrics to compute, the gates a
/// model must pass, the baseline it must not regress from, and where the reports go. JSON with the
/// same rules as training configs (defaults < file < `--set key.path=value`; unknown keys are
/// errors with a "did you mean"; every error names the JSON path).

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fm/config/sources.h"
#include "fm/fairness/options.h"

namespace fm {

/// Percentile bootstrap of the metric values (confidence intervals).
struct BootstrapPolicy {
  /// Resamples; 0 = no confidence intervals (then no gate may check a bound).
  int64_t samples = 1000;
  /// Coverage of the interval, in (0, 1).
  double confidence = 0.95;
  /// Seed of the resampling RNG.
  uint64_t seed = 13;
};

/// One pass/fail rule over the metric values named `metric`.
struct Gate {
  /// Metric name (fairness/metrics.h), e.g. "equalized_odds_difference".
  std::string metric;
  /// Bounds: the checked number must be >= min and <= max (at least one is required).
  std::optional<double> min, max;
  /// Which number is checked: "value", "lower_bound" or "upper_bound" of the bootstrap interval
  /// (statistical gating: "upper_bound" with max fails unless the whole interval is below max).
  std::string on = "value";
  /// false: one outcome over every matching value (all must pass); true: only per-group values,
  /// one outcome per group (one JUnit test case each).
  bool per_group = false;
  /// Filters on the matched values (unset = any): group column, group value, positive label and
  /// decision threshold.
  std::optional<std::string> column, group, label;
  std::optional<double> threshold;
};

/// Comparison with an earlier fm-audit JSON report.
struct BaselinePolicy {
  /// The earlier report (fm-audit --format json); empty = no comparison.
  std::string file;
  /// Worsening allowed in absolute terms (metric units).
  double max_increase = 0.0;
  /// Worsening allowed relative to |baseline value|; the allowance is the larger of the two.
  std::optional<double> max_relative_increase;
  /// Which way is worse: "auto" (from the gate's min/max, else from the metric's name),
  /// "higher_is_worse" or "lower_is_worse".
  std::string direction = "auto";
  /// Values compared: "gated" (those the gates match; every aggregate when there are no gates) or
  /// "aggregates" (every value without a group).
  std::string metrics = "gated";
};

/// Where the results go.
struct AuditOutputs {
  /// Main report format: "text", "json" or "markdown".
  std::string format = "text";
  /// Main report file; empty = stdout.
  std::string output;
  /// JUnit XML file (one test case per gate); empty = none.
  std::string junit;
  /// CSV file (one row per group × metric); empty = none.
  std::string csv;
  /// Markdown summary file written in addition to the main report (e.g. $GITHUB_STEP_SUMMARY).
  std::string markdown;
};

/// Everything fm-audit needs; defaults are in-class.
struct AuditPolicy {
  /// Predictions CSV (fm-eval's layout by default); exclusive with `run`.
  std::string predictions;
  /// Run directory to predict `data` with (audit a model directly); exclusive with `predictions`.
  std::string run;
  /// Labelled data file for `run`.
  std::string data;
  /// Columns of the predictions CSV: true label, predicted label ("" = none: thresholds on the
  /// score decide), single positive-class score ("" = the `p_<class>` columns), sample weight
  /// ("" = unweighted).
  std::string true_column = "y_true";
  std::string pred_column = "y_pred";
  std::string score_column;
  std::string weight_column;
  /// Group columns to audit (run mode: empty = the run's data.group_columns).
  std::vector<std::string> group_columns;
  /// Class treated as positive ("" = the second sorted class for binary data, one-vs-rest else).
  std::string positive_label;
  /// Reference group per column, e.g. {"gender": "male"}.
  std::vector<std::pair<std::string, std::string>> reference_groups;
  /// "majority", "min_metric" or "given" (see AuditOptions::reference_rule).
  std::string reference_rule = "majority";
  /// Intersections of group columns, e.g. [["gender", "race"]].
  std::vector<std::vector<std::string>> intersections;
  /// Decision thresholds on the positive score (empty = y_pred).
  std::vector<double> thresholds;
  /// Groups below these sizes are flagged.
  int64_t min_group_size = 30;
  int64_t min_group_positives = 5;
  int64_t min_group_negatives = 5;
  /// Aequitas' tau, in (0, 1]: a disparity d is fair iff tau <= d <= 1/tau.
  double tau = 0.8;
  /// Power-mean exponent of the Borkan et al. 2019 bias score (non-zero).
  double power = -5.0;
  BootstrapPolicy bootstrap;
  std::vector<Gate> gates;
  /// How an undefined value (or a missing bound) counts in a gate: "pass", "fail" or "warn".
  std::string undefined = "fail";
  BaselinePolicy baseline;
  AuditOutputs outputs;
  /// Run mode: counterfactual token fairness metrics, their substitution list ("" = built-in),
  /// and threads (LibTorch and the bootstrap; 0 = all cores).
  bool counterfactual = true;
  std::string counterfactual_terms;
  int64_t threads = 0;
};

/// JSON form of one gate (every field; unset optionals are `null`).
nlohmann::json to_json(const Gate& gate);
/// Full JSON form of `policy` (every field; unset optionals are `null`).
nlohmann::json to_json(const AuditPolicy& policy);

/// Reads a policy from JSON over `base` (absent keys keep base values). Unknown keys, wrong types
/// and out-of-set strings throw fm::ConfigError naming the JSON path. Ranges: validate().
AuditPolicy audit_policy_from_json(const nlohmann::json& j, const AuditPolicy& base = {});

/// Loads a policy file over the defaults. Errors are ConfigError prefixed with `path` (cannot
/// open, `path:LINE:COL: malformed JSON`, `path: gates[0].max: expected a number, ...`).
AuditPolicy load_audit_policy(const std::string& path);

/// Applies `key.path=value` overrides in order, as fm-train's --set does (value parsed as JSON
/// when it parses, else a string). `gates` is replaced as a whole (`--set 'gates=[...]'`). Errors:
/// `--set KEY=VALUE: <reason>`; `policy` is unchanged on error.
void apply_overrides(AuditPolicy& policy, const std::vector<std::string>& assignments);

/// fm-audit's one path to a policy: parses `sources` (defaults < --config file < fm-audit's flags
/// < --set, fm/config/sources.h) once and validates the result once, errors prefixed with the
/// source of the offending key.
AuditPolicy resolve_audit_policy(const ConfigSources& sources);

/// Range and cross-field checks; throws ConfigError "PATH must be RULE (got VALUE)" (or a
/// one-line explanation) for the first broken rule. Gate metric names are checked against the
/// known metrics with a "did you mean".
void validate(const AuditPolicy& policy);

/// The metric part of the policy, for compute_audit().
AuditOptions to_audit_options(const AuditPolicy& policy);

}  // namespace fm

#pragma once
/// \file
/// Gates (pass/fail rules over audit metric values) and the comparison with a baseline report.
/// Plain C++, no torch.

#include <optional>
#include <string>
#include <vector>

#include "fm/fairness/audit.h"
#include "fm/config/audit_policy.h"

namespace fm {

/// Verdict of one gate check or baseline comparison.
enum class GateStatus { kPass, kWarn, kFail };

/// "pass", "warn" or "fail".
const char* gate_status_name(GateStatus status);

/// Which way a metric gets worse (for baseline comparisons).
enum class MetricDirection {
  kHigherIsWorse,  ///< non-negative differences, error rates, counterfactual deltas
  kLowerIsWorse,   ///< min/max ratios, AUCs, rates of correct decisions
  kAwayFromOne,    ///< signed ratios whose ideal is 1 (Aequitas disparities, AIF360 DI)
  kAwayFromZero,   ///< signed differences whose ideal is 0 (AIF360)
  kAnyChange       ///< anything else (selection rate, counts): a change either way
};

/// "higher_is_worse", "lower_is_worse", "away_from_one", "away_from_zero" or "any_change".
const char* metric_direction_name(MetricDirection direction);

/// Metric names gates may use: those compute_audit() produces (fairness/metrics.h) and the
/// counterfactual ones from a run audit.
const std::vector<std::string>& known_metric_names();

/// Direction of a metric value when no gate or policy says (names: fairness/metrics.h): AIF360's
/// signed differences are away-from-zero; a group's disparate_impact and Aequitas' "disparity_*"
/// are away-from-one (a column's disparate_impact, min(DI, 1/DI), is lower-is-worse); other
/// "*_difference*" values, fpr, fnr, fdr, for and "ctf_*" are higher-is-worse; "*_ratio*", AUCs,
/// power means, tpr, tnr, ppv, npv, accuracy, f1 and final_bias_score lower-is-worse; the rest
/// (count, prevalence, selection_rate, ppr) any-change.
MetricDirection metric_direction(const MetricValue& metric);

/// Short identifier of a value: `name[column=group, ref=R, label=L, t=0.5]` (parts that are empty
/// left out; just `name` for an overall value). Unique within one AuditResult.
std::string metric_key(const MetricValue& metric);

/// A number for messages and tables: up to 4 significant digits ("0.153", "1e-05").
std::string format_metric_number(double value);

/// One matched metric value checked by a gate.
struct GateCheck {
  MetricValue metric;
  /// The number compared with min/max (value or a bound); nullopt = undefined or no interval.
  std::optional<double> checked;
  GateStatus status = GateStatus::kPass;
  /// Why it failed or warned; empty on a plain pass.
  std::string message;
};

/// Result of one gate (or, for a per_group gate, of one group).
struct GateOutcome {
  Gate gate;
  /// Short identifier, e.g. "equalized_odds_difference <= 0.1" or
  /// "bpsn_auc[gender=female] >= 0.85 (lower_bound)".
  std::string name;
  GateStatus status = GateStatus::kPass;
  /// The values the gate matched, each with its own verdict.
  std::vector<GateCheck> checks;
  /// One line: the worst check, or why nothing matched.
  std::string message;
};

/// A gate from its command-line form "METRIC<=NUMBER" or "METRIC>=NUMBER" (fm-audit --gate), on
/// the value. Throws fm::ConfigError "--gate TEXT: expected METRIC<=NUMBER or METRIC>=NUMBER".
/// The metric name is checked with the rest of the policy (validate()).
Gate parse_gate(const std::string& text);

/// Evaluates `policy.gates` over `result`. A gate that matches no value fails ("matched no
/// value"); an undefined value, or a missing interval bound for `on` lower/upper_bound, counts as
/// `policy.undefined` says. A per_group gate gives one outcome per (column, group), in first-seen
/// order.
std::vector<GateOutcome> evaluate_gates(const AuditResult& result, const AuditPolicy& policy);

/// One value compared with the baseline report.
struct BaselineEntry {
  MetricValue current;
  /// Baseline value; nullopt when missing from the baseline or undefined there.
  std::optional<double> baseline;
  MetricDirection direction = MetricDirection::kAnyChange;
  /// current − baseline (when both defined).
  std::optional<double> delta;
  /// How much worse than the baseline (≤ 0 = not worse), and the allowance it was checked against.
  std::optional<double> worsening;
  double allowed = 0.0;
  GateStatus status = GateStatus::kPass;
  std::string message;
};

/// The baseline comparison of an audit.
struct BaselineComparison {
  std::string file;
  std::vector<BaselineEntry> entries;
  GateStatus status = GateStatus::kPass;
};

/// Compares `current` with the metric values of a baseline report: the gated values (or every
/// aggregate, per policy.baseline.metrics) are matched by name, column, group, reference, label
/// and threshold. Worsening beyond max(max_increase, max_relative_increase × |baseline|) in the
/// bad direction fails; a value missing from the baseline, or undefined on either side, warns.
BaselineComparison compare_with_baseline(const AuditResult& current,
                                         const std::vector<MetricValue>& baseline,
                                         const AuditPolicy& policy);

/// Gates, baseline and verdict of one audit.
struct AuditVerdict {
  std::vector<GateOutcome> gates;
  std::optional<BaselineComparison> baseline;
  /// kFail when a gate or the baseline failed, kWarn when one warned, else kPass.
  GateStatus status = GateStatus::kPass;
};

/// evaluate_gates() plus, when `baseline` is given, compare_with_baseline(), and the overall
/// status.
AuditVerdict judge_audit(const AuditResult& result, const AuditPolicy& policy,
                         const std::optional<std::vector<MetricValue>>& baseline);

}  // namespace fm

#pragma once
/// \file
/// Gates (pass/fail rules over audit metric values) and the comparison with a baseline report.
/// Plain C++, no torch.

#include <optional>
#include <string>
#include <vector>

#include "fm/config/audit_policy.h"
#include "fm/fairness/audit.h"
#include "fm/fairness/catalogue.h"

namespace fm {

/// Verdict of one gate check or baseline comparison.
enum class GateStatus { kPass, kWarn, kFail };

/// "pass", "warn" or "fail".
const char* gate_status_name(GateStatus status);

/// Direction of a metric value when no gate or policy says: its catalogue row's (fairness/
/// catalogue.h) `direction`, or `column_direction` for a value without a group (a column's
/// disparate_impact, min(DI, 1/DI), is lower-is-worse where a group's is away-from-one); any-change
/// for a name the catalogue does not know. MetricDirection, metric_direction_name() and
/// known_metric_names() are declared in fairness/catalogue.h.
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

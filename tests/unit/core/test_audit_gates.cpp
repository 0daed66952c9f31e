#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "fm/fairness/gates.h"

namespace {

using fm::AuditPolicy;
using fm::AuditResult;
using fm::Gate;
using fm::GateStatus;
using fm::MetricValue;

MetricValue value(const std::string& name, const std::string& column, const std::string& group,
                  std::optional<double> v, std::optional<double> lower = std::nullopt,
                  std::optional<double> upper = std::nullopt) {
  MetricValue m;
  m.name = name;
  m.column = column;
  m.group = group;
  m.label = "toxic";
  m.value = v;
  m.lower = lower;
  m.upper = upper;
  if (!v) m.reason = "no positives in group \"" + group + "\"";
  return m;
}

// gender: eod 0.15 [0.05, 0.25]; religion: eod 0.08 [0.01, 0.12]; bpsn per group.
AuditResult sample_result() {
  AuditResult r;
  r.metrics = {value("equalized_odds_difference", "gender", "", 0.15, 0.05, 0.25),
               value("equalized_odds_difference", "religion", "", 0.08, 0.01, 0.12),
               value("bpsn_auc", "gender", "female", 0.95, 0.90, 0.97),
               value("bpsn_auc", "gender", "male", 0.84, 0.80, 0.88),
               value("bpsn_auc", "religion", "muslim", 0.91, 0.86, 0.94),
               value("tpr", "religion", "hindu", std::nullopt),
               value("tpr", "religion", "muslim", 0.8, 0.7, 0.9)};
  return r;
}

Gate max_gate(const std::string& metric, double max) {
  Gate g;
  g.metric = metric;
  g.max = max;
  return g;
}

Gate min_gate(const std::string& metric, double min) {
  Gate g;
  g.metric = metric;
  g.min = min;
  return g;
}

std::vector<fm::GateOutcome> run(const std::vector<Gate>& gates,
                                 const std::string& undefined = "fail") {
  AuditPolicy p;
  p.gates = gates;
  p.undefined = undefined;
  return fm::evaluate_gates(sample_result(), p);
}

TEST(AuditGates, PassAndFail) {
  Gate religion = max_gate("equalized_odds_difference", 0.1);
  religion.column = "religion";
  auto out = run({religion, max_gate("equalized_odds_difference", 0.1),
                  max_gate("equalized_odds_difference", 0.2)});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].status, GateStatus::kPass);
  EXPECT_EQ(out[0].checks.size(), 1u);
  EXPECT_EQ(out[1].status, GateStatus::kFail);  // gender 0.15 > 0.1
  EXPECT_EQ(out[1].checks.size(), 2u);
  EXPECT_EQ(out[1].message,
            "equalized_odds_difference[gender, label=toxic] 0.15 > max 0.1 (1 of 2 values failed)");
  EXPECT_EQ(out[1].name, "equalized_odds_difference <= 0.1");
  EXPECT_EQ(out[2].status, GateStatus::kPass);
  EXPECT_EQ(out[2].message, "all 2 values pass");
}

TEST(AuditGates, BoundIsInclusive) {
  // 0.15 <= 0.15 passes, and min == value passes.
  auto out = run({max_gate("equalized_odds_difference", 0.15), min_gate("bpsn_auc", 0.84)});
  EXPECT_EQ(out[0].status, GateStatus::kPass);
  EXPECT_EQ(out[1].status, GateStatus::kPass);
  Gate both = min_gate("bpsn_auc", 0.9);
  both.max = 0.94;
  out = run({both});
  EXPECT_EQ(out[0].status, GateStatus::kFail);  // 0.95 > 0.94 and 0.84 < 0.9
  EXPECT_EQ(out[0].name, "0.9 <= bpsn_auc <= 0.94");
}

TEST(AuditGates, UnmatchedGateFails) {
  Gate g = max_gate("equalized_odds_difference", 0.1);
  g.column = "race";
  auto out = run({g, max_gate("demographic_parity_difference", 0.1)});
  EXPECT_EQ(out[0].status, GateStatus::kFail);
  EXPECT_NE(out[0].message.find("matched no value of metric \"equalized_odds_difference\" with "
                                "column=race"),
            std::string::npos);
  EXPECT_EQ(out[1].status, GateStatus::kFail);
  EXPECT_TRUE(out[1].checks.empty());
  // per_group on an aggregate-only metric matches nothing.
  Gate per_group = max_gate("equalized_odds_difference", 1);
  per_group.per_group = true;
  out = run({per_group});
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status, GateStatus::kFail);
}

TEST(AuditGates, UndefinedFollowsPolicy) {
  Gate g = min_gate("tpr", 0.5);
  g.group = "hindu";
  EXPECT_EQ(run({g}, "pass")[0].status, GateStatus::kPass);
  EXPECT_EQ(run({g}, "warn")[0].status, GateStatus::kWarn);
  const auto failed = run({g}, "fail")[0];
  EXPECT_EQ(failed.status, GateStatus::kFail);
  EXPECT_EQ(failed.message,
            "tpr[religion=hindu, label=toxic] is undefined (no positives in group \"hindu\"); "
            "undefined counts as fail");
  EXPECT_FALSE(failed.checks[0].checked.has_value());
  // Mixed: the defined value passes, the undefined one warns → warn overall.
  EXPECT_EQ(run({min_gate("tpr", 0.5)}, "warn")[0].status, GateStatus::kWarn);
}

TEST(AuditGates, StatisticalGatingOnBounds) {
  // religion eod: value 0.08 passes max 0.1, but its upper bound 0.12 does not.
  Gate g = max_gate("equalized_odds_difference", 0.1);
  g.column = "religion";
  EXPECT_EQ(run({g})[0].status, GateStatus::kPass);
  g.on = "upper_bound";
  auto out = run({g});
  EXPECT_EQ(out[0].status, GateStatus::kFail);
  EXPECT_EQ(out[0].message,
            "equalized_odds_difference[religion, label=toxic] upper_bound 0.12 > max 0.1");
  EXPECT_DOUBLE_EQ(*out[0].checks[0].checked, 0.12);
  // gender eod 0.15 fails max 0.1 on its value, but the lower bound 0.05 says it is not
  // significantly above: "fail only when significant".
  Gate lenient = max_gate("equalized_odds_difference", 0.1);
  lenient.column = "gender";
  lenient.on = "lower_bound";
  EXPECT_EQ(run({lenient})[0].status, GateStatus::kPass);
  // male bpsn 0.84 fails min 0.85 on its value; lower bound too; with min 0.8 the value passes
  // and the lower bound 0.80 still passes (inclusive).
  Gate bpsn = min_gate("bpsn_auc", 0.8);
  bpsn.on = "lower_bound";
  EXPECT_EQ(run({bpsn})[0].status, GateStatus::kPass);
  bpsn.min = 0.81;
  EXPECT_EQ(run({bpsn})[0].status, GateStatus::kFail);
}

TEST(AuditGates, MissingBoundCountsAsUndefined) {
  AuditPolicy p;
  Gate g = max_gate("equalized_odds_difference", 0.5);
  g.on = "upper_bound";
  p.gates = {g};
  AuditResult r;
  r.metrics = {value("equalized_odds_difference", "gender", "", 0.1)};
  p.undefined = "warn";
  auto out = fm::evaluate_gates(r, p);
  EXPECT_EQ(out[0].status, GateStatus::kWarn);
  EXPECT_NE(out[0].message.find("has no upper_bound"), std::string::npos);
  p.undefined = "fail";
  EXPECT_EQ(fm::evaluate_gates(r, p)[0].status, GateStatus::kFail);
}

TEST(AuditGates, PerGroupGivesOneOutcomePerGroup) {
  Gate g = min_gate("bpsn_auc", 0.85);
  g.per_group = true;
  auto out = run({g});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].name, "bpsn_auc >= 0.85 [gender=female]");
  EXPECT_EQ(out[0].status, GateStatus::kPass);
  EXPECT_EQ(out[1].name, "bpsn_auc >= 0.85 [gender=male]");
  EXPECT_EQ(out[1].status, GateStatus::kFail);
  EXPECT_EQ(out[1].message, "bpsn_auc[gender=male, label=toxic] 0.84 < min 0.85");
  EXPECT_EQ(out[2].name, "bpsn_auc >= 0.85 [religion=muslim]");
  EXPECT_EQ(out[2].status, GateStatus::kPass);
  g.column = "religion";
  EXPECT_EQ(run({g}).size(), 1u);
}

TEST(AuditGates, LabelAndThresholdFilters) {
  AuditResult r;
  MetricValue a = value("fpr_difference", "gender", "", 0.3);
  a.threshold = 0.3;
  MetricValue b = value("fpr_difference", "gender", "", 0.05);
  b.threshold = 0.5;
  r.metrics = {a, b};
  AuditPolicy p;
  Gate g = max_gate("fpr_difference", 0.1);
  g.threshold = 0.5;
  p.gates = {g};
  EXPECT_EQ(fm::evaluate_gates(r, p)[0].status, GateStatus::kPass);
  p.gates[0].threshold = 0.3;
  EXPECT_EQ(fm::evaluate_gates(r, p)[0].status, GateStatus::kFail);
  p.gates[0].threshold.reset();
  p.gates[0].label = "non_toxic";
  EXPECT_EQ(fm::evaluate_gates(r, p)[0].status, GateStatus::kFail);  // matches nothing
  EXPECT_TRUE(fm::evaluate_gates(r, p)[0].checks.empty());
}

TEST(AuditGates, Directions) {
  MetricValue m;
  const auto dir = [&](const std::string& name, const std::string& convention = "fairlearn",
                       const std::string& group = "") {
    m.name = name;
    m.convention = convention;
    m.group = group;
    return fm::metric_direction(m);
  };
  EXPECT_EQ(dir("equalized_odds_difference"), fm::MetricDirection::kHigherIsWorse);
  EXPECT_EQ(dir("demographic_parity_difference_to_overall"), fm::MetricDirection::kHigherIsWorse);
  EXPECT_EQ(dir("equalized_odds_ratio"), fm::MetricDirection::kLowerIsWorse);
  EXPECT_EQ(dir("bpsn_auc", "borkan2019", "male"), fm::MetricDirection::kLowerIsWorse);
  EXPECT_EQ(dir("final_bias_score", "borkan2019"), fm::MetricDirection::kLowerIsWorse);
  EXPECT_EQ(dir("fpr", "fmkit", "male"), fm::MetricDirection::kHigherIsWorse);
  EXPECT_EQ(dir("statistical_parity_difference", "aif360", "male"),
            fm::MetricDirection::kAwayFromZero);
  EXPECT_EQ(dir("disparate_impact", "aif360", "male"), fm::MetricDirection::kAwayFromOne);
  EXPECT_EQ(dir("disparate_impact", "aif360", ""), fm::MetricDirection::kLowerIsWorse);
  EXPECT_EQ(dir("disparity_fpr", "aequitas", "male"), fm::MetricDirection::kAwayFromOne);
  EXPECT_EQ(dir("selection_rate", "fmkit", "male"), fm::MetricDirection::kAnyChange);
  EXPECT_EQ(dir("ctf_flip_rate", "fmkit"), fm::MetricDirection::kHigherIsWorse);
}

TEST(AuditBaseline, RegressionDetectedAndMissingReported) {
  AuditPolicy p;
  p.gates = {max_gate("equalized_odds_difference", 0.5), min_gate("bpsn_auc", 0.5)};
  p.baseline.file = "base.json";
  p.baseline.max_increase = 0.02;
  std::vector<MetricValue> base = {
      value("equalized_odds_difference", "gender", "", 0.10),    // 0.15: worse by 0.05 → fail
      value("equalized_odds_difference", "religion", "", 0.07),  // 0.08: worse by 0.01 → ok
      value("bpsn_auc", "gender", "female", 0.90),               // 0.95: better → ok
      value("bpsn_auc", "gender", "male", 0.855),                // 0.84: worse by 0.015 → ok
      // religion=muslim bpsn missing → warn
  };
  const auto cmp = fm::compare_with_baseline(sample_result(), base, p);
  ASSERT_EQ(cmp.entries.size(), 5u);
  EXPECT_EQ(cmp.status, GateStatus::kFail);
  EXPECT_EQ(cmp.entries[0].status, GateStatus::kFail);
  EXPECT_NEAR(*cmp.entries[0].worsening, 0.05, 1e-12);
  EXPECT_NEAR(*cmp.entries[0].delta, 0.05, 1e-12);
  EXPECT_EQ(cmp.entries[0].message,
            "equalized_odds_difference[gender, label=toxic] 0.1 -> 0.15: worse by 0.05 (allowed "
            "0.02, higher_is_worse)");
  EXPECT_EQ(cmp.entries[1].status, GateStatus::kPass);
  EXPECT_EQ(cmp.entries[2].status, GateStatus::kPass);
  EXPECT_NEAR(*cmp.entries[2].worsening, -0.05, 1e-12);
  EXPECT_EQ(cmp.entries[3].status, GateStatus::kPass);
  EXPECT_EQ(cmp.entries[3].direction, fm::MetricDirection::kLowerIsWorse);
  EXPECT_EQ(cmp.entries[4].status, GateStatus::kWarn);
  EXPECT_EQ(cmp.entries[4].message,
            "bpsn_auc[religion=muslim, label=toxic] is not in the baseline");

  // A relative allowance of 50% of 0.10 covers the 0.05 worsening.
  p.baseline.max_relative_increase = 0.5;
  EXPECT_EQ(fm::compare_with_baseline(sample_result(), base, p).entries[0].status,
            GateStatus::kPass);
  // Forcing the direction: lower is worse makes the higher eod an improvement.
  p.baseline.max_relative_increase.reset();
  p.baseline.direction = "lower_is_worse";
  EXPECT_EQ(fm::compare_with_baseline(sample_result(), base, p).entries[0].status,
            GateStatus::kPass);
}

TEST(AuditBaseline, UndefinedAndAggregateSelection) {
  AuditPolicy p;  // no gates: every aggregate (group "") is compared
  AuditResult current;
  current.metrics = {value("equalized_odds_difference", "gender", "", std::nullopt),
                     value("demographic_parity_ratio", "gender", "", 0.7),
                     value("tpr", "gender", "male", 0.1)};
  std::vector<MetricValue> base = {value("equalized_odds_difference", "gender", "", 0.1),
                                   value("demographic_parity_ratio", "gender", "", 0.8)};
  auto cmp = fm::compare_with_baseline(current, base, p);
  ASSERT_EQ(cmp.entries.size(), 2u);
  EXPECT_EQ(cmp.entries[0].status, GateStatus::kWarn);
  EXPECT_NE(cmp.entries[0].message.find("undefined in the current audit"), std::string::npos);
  EXPECT_EQ(cmp.entries[1].status, GateStatus::kFail);  // ratio fell by 0.1
  EXPECT_NEAR(*cmp.entries[1].worsening, 0.1, 1e-12);
  // A threshold is part of the identity: a value at another threshold is "not in the baseline".
  base[1].threshold = 0.5;
  cmp = fm::compare_with_baseline(current, base, p);
  EXPECT_EQ(cmp.entries[1].status, GateStatus::kWarn);
}

TEST(AuditBaseline, JudgeCombines) {
  AuditPolicy p;
  p.gates = {max_gate("equalized_odds_difference", 0.5)};
  auto verdict = fm::judge_audit(sample_result(), p, std::nullopt);
  EXPECT_EQ(verdict.status, GateStatus::kPass);
  EXPECT_FALSE(verdict.baseline.has_value());
  std::vector<MetricValue> base = {value("equalized_odds_difference", "gender", "", 0.0)};
  verdict = fm::judge_audit(sample_result(), p, base);
  EXPECT_EQ(verdict.status, GateStatus::kFail);  // 0.0 → 0.15 with allowance 0
  ASSERT_TRUE(verdict.baseline.has_value());
  EXPECT_EQ(verdict.baseline->entries[1].status, GateStatus::kWarn);  // religion not in baseline
}

}  // namespace

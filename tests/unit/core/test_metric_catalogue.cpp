// The metric catalogue against the rules the names, directions and worst cases followed before it
// existed (written out here independently), and against what compute_audit really produces on a
// rich multi-class input: every value's name, convention, scope, threshold and "*" worst case must
// match its row, and every row must be produced or be marked run-only.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fm/fairness/audit.h"
#include "fm/fairness/catalogue.h"
#include "fm/fairness/gates.h"
#include "fm/fairness/metrics.h"

namespace {

using fm::ClassAggregate;
using fm::MetricDirection;
using fm::MetricId;
using fm::MetricInfo;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The names gates accepted before the catalogue, in the same order.
std::vector<std::string> legacy_names() {
  std::vector<std::string> n = {
      "count", "positives", "negatives", "prevalence", "selection_rate", "tpr", "fpr", "tnr", "fnr",
      "ppv",   "npv",       "fdr",       "for",        "accuracy",       "f1",  "ppr"};
  for (std::string base : {"demographic_parity", "equalized_odds", "equal_opportunity"}) {
    for (std::string kind : {"_difference", "_ratio"}) {
      n.push_back(base + kind);
      n.push_back(base + kind + "_to_overall");
    }
  }
  for (std::string rate : {"selection_rate", "tpr", "fpr", "tnr", "fnr", "ppv", "npv", "fdr", "for",
                           "accuracy", "f1"}) {
    n.push_back(rate + "_difference");
    n.push_back(rate + "_ratio");
  }
  for (std::string name : {"statistical_parity_difference", "disparate_impact",
                           "average_odds_difference", "equal_opportunity_difference_aif360"}) {
    n.push_back(name);
  }
  for (std::string rate :
       {"ppr", "pprev", "precision", "fdr", "for", "fpr", "fnr", "tpr", "tnr", "npv"}) {
    n.push_back("disparity_" + rate);
  }
  for (std::string name : {"overall_auc", "subgroup_auc", "bpsn_auc", "bnsp_auc",
                           "subgroup_auc_power_mean", "bpsn_auc_power_mean", "bnsp_auc_power_mean",
                           "final_bias_score", "ctf_mean_abs_delta", "ctf_flip_rate"}) {
    n.push_back(name);
  }
  return n;
}

// The direction rules by name pattern that the baseline comparison used before the catalogue.
MetricDirection legacy_direction(const std::string& name, const std::string& convention,
                                 const std::string& group) {
  if (name == "disparate_impact") {
    return group.empty() ? MetricDirection::kLowerIsWorse : MetricDirection::kAwayFromOne;
  }
  if (convention == "aif360" && contains(name, "_difference")) {
    return MetricDirection::kAwayFromZero;
  }
  if (starts_with(name, "disparity_")) return MetricDirection::kAwayFromOne;
  if (contains(name, "_difference") || starts_with(name, "ctf_")) {
    return MetricDirection::kHigherIsWorse;
  }
  const std::set<std::string> higher = {"fpr", "fnr", "fdr", "for"};
  if (higher.count(name)) return MetricDirection::kHigherIsWorse;
  const std::set<std::string> lower = {
      "tpr", "tnr", "ppv", "npv", "accuracy", "f1", "final_bias_score"};
  if (lower.count(name) || contains(name, "_ratio") || contains(name, "auc")) {
    return MetricDirection::kLowerIsWorse;
  }
  return MetricDirection::kAnyChange;
}

// The worst-case rules over classes the audit used before the catalogue (for aggregates).
ClassAggregate legacy_worst(const std::string& name) {
  if (name == "statistical_parity_difference" || name == "average_odds_difference" ||
      name == "equal_opportunity_difference_aif360") {
    return ClassAggregate::kWorstMaxAbs;
  }
  if (contains(name, "ratio") || name == "disparate_impact" || contains(name, "auc") ||
      name == "final_bias_score") {
    return ClassAggregate::kWorstMin;
  }
  return ClassAggregate::kWorstMax;
}

bool has_worst_case(const MetricInfo& m) {
  return m.classes == ClassAggregate::kWorstMax || m.classes == ClassAggregate::kWorstMin ||
         m.classes == ClassAggregate::kWorstMaxAbs;
}

TEST(MetricCatalogue, RowsIndexedByIdWithUniqueNames) {
  const auto& rows = fm::metric_catalogue();
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(fm::kNumMetrics));
  std::set<std::string> names;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].name);
    EXPECT_EQ(static_cast<std::size_t>(rows[i].id), i);
    EXPECT_EQ(&fm::metric_info(rows[i].id), &fm::metric_info(static_cast<MetricId>(i)));
    EXPECT_TRUE(names.insert(rows[i].name).second) << "duplicate name";
    EXPECT_EQ(fm::find_metric(rows[i].name), &fm::metric_info(rows[i].id));
    EXPECT_GT(std::string(rows[i].formula).size(), 0u);
    EXPECT_GT(std::string(rows[i].defined_when).size(), 0u);
    EXPECT_TRUE(rows[i].scope.group || rows[i].scope.column || rows[i].scope.overall);
  }
  EXPECT_EQ(fm::find_metric("tprr"), nullptr);
  EXPECT_EQ(fm::find_metric(""), nullptr);
  EXPECT_STREQ(fm::metric_info(MetricId::kEqualizedOddsDifference).name,
               "equalized_odds_difference");
  EXPECT_STREQ(fm::metric_info(MetricId::kDisparityPrecision).name, "disparity_precision");
  EXPECT_STREQ(fm::metric_info(MetricId::kCtfFlipRate).name, "ctf_flip_rate");
}

TEST(MetricCatalogue, KnownNamesAreTheLegacyList) {
  EXPECT_EQ(fm::known_metric_names(), legacy_names());
}

TEST(MetricCatalogue, ConventionsAreDescribed) {
  std::set<std::string> described;
  for (const auto& c : fm::metric_conventions()) {
    EXPECT_TRUE(described.insert(c.key).second) << c.key;
    EXPECT_GT(std::string(c.source).size(), 10u) << c.key;
  }
  for (const MetricInfo& m : fm::metric_catalogue()) {
    EXPECT_TRUE(described.count(m.convention)) << m.name << ": " << m.convention;
  }
  EXPECT_EQ(described, (std::set<std::string>{"fmkit", "fairlearn", "aif360", "aequitas",
                                              "borkan2019", "garg2019"}));
}

TEST(MetricCatalogue, DirectionsMatchTheLegacyRules) {
  for (const MetricInfo& row : fm::metric_catalogue()) {
    for (const std::string group : {"x", ""}) {
      SCOPED_TRACE(std::string(row.name) + " group \"" + group + "\"");
      fm::MetricValue m;
      m.name = row.name;
      m.convention = row.convention;
      m.group = group;
      EXPECT_EQ(fm::metric_direction(m), legacy_direction(row.name, row.convention, group));
    }
  }
  fm::MetricValue unknown;
  unknown.name = "no_such_metric";
  EXPECT_EQ(fm::metric_direction(unknown), MetricDirection::kAnyChange);
  EXPECT_STREQ(fm::metric_direction_name(MetricDirection::kAwayFromOne), "away_from_one");
}

TEST(MetricCatalogue, WorstCasesMatchTheLegacyRules) {
  for (const MetricInfo& row : fm::metric_catalogue()) {
    if (!has_worst_case(row)) continue;
    SCOPED_TRACE(row.name);
    EXPECT_TRUE(row.scope.column) << "a worst case over classes is for column-level values";
    EXPECT_EQ(row.classes, legacy_worst(row.name));
  }
}

TEST(MetricCatalogue, GroupRatesAreTheFirstRows) {
  const std::vector<std::string> names = {
      "count", "positives", "negatives", "prevalence", "selection_rate", "tpr", "fpr", "tnr", "fnr",
      "ppv",   "npv",       "fdr",       "for",        "accuracy",       "f1",  "ppr"};
  ASSERT_EQ(names.size(), static_cast<std::size_t>(fm::kNumGroupRates));
  for (int r = 0; r < fm::kNumGroupRates; ++r) {
    const auto rate = static_cast<fm::GroupRate>(r);
    EXPECT_EQ(fm::group_rate_name(rate), names[r]);
    // Counts and prevalence do not depend on the decision rule.
    EXPECT_EQ(fm::metric_info(rate).uses_threshold, r > 3) << names[r];
  }
}

// Three classes with a score each, two group columns and their intersection (one empty cell),
// weights, two thresholds and a small bootstrap: every count-based and bias-AUC metric occurs.
fm::AuditData rich_data() {
  fm::AuditData d;
  d.classes = {"a", "b", "c"};
  d.group_columns = {"gender", "region"};
  d.group_values = {{"f", "m", "x"}, {"north", "south"}};
  d.group_codes.assign(2, {});
  d.scores.assign(3, {});
  fm::Rng rng(5);
  for (int i = 0; i < 240; ++i) {
    const int y = static_cast<int>(rng.next() % 3);
    const int gender = static_cast<int>(rng.next() % 3);
    const int region = gender == 2 ? 0 : static_cast<int>(rng.next() % 2);  // x&south is empty
    double p[3], total = 0;
    for (int c = 0; c < 3; ++c) total += p[c] = rng.uniform() + (c == y ? 0.8 + 0.2 * gender : 0);
    for (int c = 0; c < 3; ++c) d.scores[c].push_back(static_cast<float>(p[c] / total));
    d.y_true.push_back(y);
    d.group_codes[0].push_back(gender);
    d.group_codes[1].push_back(region);
    d.weights.push_back(1 + i % 3);
  }
  return d;
}

TEST(MetricCatalogue, EveryProducedValueMatchesItsRowAndEveryRowIsProduced) {
  fm::AuditOptions o;
  o.thresholds = {0.3, 0.5};
  o.intersections = {{"gender", "region"}};
  o.bootstrap_samples = 20;
  o.min_group_size = 5;
  const fm::AuditResult r = fm::compute_audit(rich_data(), o);
  std::set<std::string> produced, worst_cases;
  for (const fm::MetricValue& m : r.metrics) {
    SCOPED_TRACE(fm::metric_key(m));
    const MetricInfo* row = fm::find_metric(m.name);
    ASSERT_NE(row, nullptr) << "not in the catalogue";
    produced.insert(m.name);
    EXPECT_EQ(m.convention, row->convention);
    EXPECT_FALSE(row->run_only);
    if (!m.group.empty()) {
      EXPECT_TRUE(row->scope.group);
    } else if (!m.column.empty()) {
      EXPECT_TRUE(row->scope.column);
    } else {
      EXPECT_TRUE(row->scope.overall);
    }
    EXPECT_EQ(m.threshold.has_value(), row->uses_threshold);
    if (m.label == "*") {
      EXPECT_TRUE(has_worst_case(*row));
      EXPECT_TRUE(m.group.empty());
      worst_cases.insert(m.name);
    }
  }
  for (const MetricInfo& row : fm::metric_catalogue()) {
    SCOPED_TRACE(row.name);
    if (row.run_only) {
      EXPECT_TRUE(starts_with(row.name, "ctf_")) << "only the counterfactual metrics need a model";
      EXPECT_FALSE(produced.count(row.name));
      continue;
    }
    EXPECT_TRUE(produced.count(row.name)) << "never produced";
    EXPECT_EQ(worst_cases.count(row.name) == 1, has_worst_case(row));
  }
}

}  // namespace

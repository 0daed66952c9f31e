// compute_audit against a hand-computed three-group example (one group without positives), the
// pure metric functions against known values, the samplers' moments, and every validation rule.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/fairness/audit.h"
#include "fm/fairness/metrics.h"

namespace {

// Groups a (rows 0-3), b (4-6), muslim (7-9); class 1 = "toxic".
//   a:      y 1 1 1 0, ŷ 1 1 0 0  → tp 2, fn 1, fp 0, tn 1
//   b:      y 1 0 0,   ŷ 0 1 1    → tp 0, fn 1, fp 2, tn 0
//   muslim: y 0 0 0,   ŷ 1 0 0    → tp 0, fn 0, fp 1, tn 2
fm::AuditData hand_data() {
  fm::AuditData d;
  d.classes = {"non_toxic", "toxic"};
  d.y_true = {1, 1, 1, 0, 1, 0, 0, 0, 0, 0};
  d.y_pred = {1, 1, 0, 0, 0, 1, 1, 1, 0, 0};
  d.group_columns = {"religion"};
  d.group_values = {{"a", "b", "muslim"}};
  d.group_codes = {{0, 0, 0, 0, 1, 1, 1, 2, 2, 2}};
  return d;
}

fm::AuditOptions no_bootstrap() {
  fm::AuditOptions o;
  o.bootstrap_samples = 0;
  return o;
}

const fm::MetricValue& find(const fm::AuditResult& r, const std::string& name,
                            const std::string& column, const std::string& group,
                            const std::string& label = "toxic") {
  for (const auto& m : r.metrics) {
    if (m.name == name && m.column == column && m.group == group && m.label == label) return m;
  }
  throw std::runtime_error("metric not found: " + name + " " + column + " " + group);
}

double value(const fm::AuditResult& r, const std::string& name, const std::string& column,
             const std::string& group) {
  const auto& m = find(r, name, column, group);
  EXPECT_TRUE(m.value.has_value()) << name << " " << group << ": " << m.reason;
  return m.value.value_or(NAN);
}

TEST(FairnessAudit, HandComputedGroupTable) {
  const fm::AuditResult r = fm::compute_audit(hand_data(), no_bootstrap());
  struct Row {
    const char* group;
    double count, positives, sr, fpr, tnr, ppv, npv, fdr, fo, acc, f1, ppr;
  };
  const Row rows[] = {
      {"a", 4, 3, 0.5, 0, 1, 1, 0.5, 0, 0.5, 0.75, 0.8, 0.4},
      {"b", 3, 1, 2.0 / 3, 1, 0, 0, 0, 1, 1, 0, 0, 0.4},
      {"muslim", 3, 0, 1.0 / 3, 1.0 / 3, 2.0 / 3, 0, 1, 1, 0, 2.0 / 3, 0, 0.2},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.group);
    EXPECT_DOUBLE_EQ(value(r, "count", "religion", row.group), row.count);
    EXPECT_DOUBLE_EQ(value(r, "positives", "religion", row.group), row.positives);
    EXPECT_DOUBLE_EQ(value(r, "negatives", "religion", row.group), row.count - row.positives);
    EXPECT_DOUBLE_EQ(value(r, "prevalence", "religion", row.group), row.positives / row.count);
    EXPECT_DOUBLE_EQ(value(r, "selection_rate", "religion", row.group), row.sr);
    EXPECT_DOUBLE_EQ(value(r, "fpr", "religion", row.group), row.fpr);
    EXPECT_DOUBLE_EQ(value(r, "tnr", "religion", row.group), row.tnr);
    EXPECT_DOUBLE_EQ(value(r, "ppv", "religion", row.group), row.ppv);
    EXPECT_DOUBLE_EQ(value(r, "npv", "religion", row.group), row.npv);
    EXPECT_DOUBLE_EQ(value(r, "fdr", "religion", row.group), row.fdr);
    EXPECT_DOUBLE_EQ(value(r, "for", "religion", row.group), row.fo);
    EXPECT_DOUBLE_EQ(value(r, "accuracy", "religion", row.group), row.acc);
    EXPECT_DOUBLE_EQ(value(r, "f1", "religion", row.group), row.f1);
    EXPECT_DOUBLE_EQ(value(r, "ppr", "religion", row.group), row.ppr);
  }
  EXPECT_DOUBLE_EQ(value(r, "tpr", "religion", "a"), 2.0 / 3);
  EXPECT_DOUBLE_EQ(value(r, "fnr", "religion", "a"), 1.0 / 3);
  EXPECT_DOUBLE_EQ(value(r, "tpr", "religion", "b"), 0.0);
  for (const char* name : {"tpr", "fnr"}) {
    const auto& m = find(r, name, "religion", "muslim");
    EXPECT_FALSE(m.value.has_value()) << name;
    EXPECT_EQ(m.reason, "no positives in group \"muslim\"");
    EXPECT_NE(std::find(m.flags.begin(), m.flags.end(), "few_positives"), m.flags.end());
  }
  // Whole data: tp 2, fn 2, fp 3, tn 3.
  EXPECT_DOUBLE_EQ(value(r, "tpr", "", ""), 0.5);
  EXPECT_DOUBLE_EQ(value(r, "fpr", "", ""), 0.5);
  EXPECT_DOUBLE_EQ(value(r, "ppv", "", ""), 0.4);
}

TEST(FairnessAudit, HandComputedAggregates) {
  const fm::AuditResult r = fm::compute_audit(hand_data(), no_bootstrap());
  EXPECT_NEAR(value(r, "demographic_parity_difference", "religion", ""), 1.0 / 3, 1e-12);
  EXPECT_NEAR(value(r, "demographic_parity_ratio", "religion", ""), 0.5, 1e-12);
  EXPECT_NEAR(value(r, "equal_opportunity_difference", "religion", ""), 2.0 / 3, 1e-12);
  EXPECT_NEAR(value(r, "equalized_odds_difference", "religion", ""), 1.0, 1e-12);
  EXPECT_NEAR(value(r, "equalized_odds_ratio", "religion", ""), 0.0, 1e-12);
  const auto& eod = find(r, "equalized_odds_difference", "religion", "");
  EXPECT_EQ(eod.convention, "fairlearn");
  EXPECT_NE(std::find(eod.flags.begin(), eod.flags.end(), "excludes_undefined_groups"),
            eod.flags.end());
  // AIF360 with the majority group "a" as privileged.
  const auto& spd_b = find(r, "statistical_parity_difference", "religion", "b");
  EXPECT_EQ(spd_b.reference, "a");
  EXPECT_NEAR(*spd_b.value, 1.0 / 6, 1e-12);
  EXPECT_NEAR(value(r, "disparate_impact", "religion", "b"), 4.0 / 3, 1e-12);
  EXPECT_NEAR(value(r, "disparate_impact", "religion", "muslim"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(value(r, "average_odds_difference", "religion", "b"), 1.0 / 6, 1e-12);
  EXPECT_FALSE(find(r, "average_odds_difference", "religion", "muslim").value.has_value());
  EXPECT_NEAR(value(r, "disparate_impact", "religion", ""), 2.0 / 3, 1e-12);
  EXPECT_NEAR(std::abs(value(r, "statistical_parity_difference", "religion", "")), 1.0 / 6, 1e-12);
  // Aequitas.
  const auto& pprev_b = find(r, "disparity_pprev", "religion", "b");
  EXPECT_NEAR(*pprev_b.value, 4.0 / 3, 1e-12);
  EXPECT_EQ(pprev_b.fair, std::optional<bool>(false));
  EXPECT_EQ(find(r, "disparity_pprev", "religion", "a").fair, std::optional<bool>(true));
  const auto& fpr_b = find(r, "disparity_fpr", "religion", "b");
  EXPECT_FALSE(fpr_b.value.has_value());
  EXPECT_EQ(fpr_b.reason, "the reference group \"a\" has rate 0");
}

TEST(FairnessAudit, GroupSummariesAndFlags) {
  fm::AuditOptions o = no_bootstrap();
  o.min_group_size = 4;
  o.min_group_positives = 1;
  o.min_group_negatives = 1;
  const fm::AuditResult r = fm::compute_audit(hand_data(), o);
  ASSERT_EQ(r.groups.size(), 3u);
  EXPECT_EQ(r.groups[0].group, "a");
  EXPECT_TRUE(r.groups[0].flags.empty());
  EXPECT_EQ(r.groups[2].flags, (std::vector<std::string>{"small_group", "few_positives"}));
  EXPECT_EQ(find(r, "fpr", "religion", "muslim").flags, r.groups[2].flags);
}

TEST(FairnessAudit, IntersectionWithEmptyCell) {
  fm::AuditData d = hand_data();
  d.group_columns.push_back("gender");
  d.group_values.push_back({"f", "m"});
  d.group_codes.push_back({0, 1, 0, 1, 0, 0, 0, 1, 1, 1});  // b&m and muslim&f are empty
  fm::AuditOptions o = no_bootstrap();
  o.intersections = {{"religion", "gender"}};
  const fm::AuditResult r = fm::compute_audit(d, o);
  const auto& empty = find(r, "selection_rate", "religion&gender", "b&m");
  EXPECT_FALSE(empty.value.has_value());
  EXPECT_EQ(empty.reason, "no rows in group \"b&m\"");
  EXPECT_EQ(value(r, "count", "religion&gender", "muslim&f"), 0.0);
  EXPECT_DOUBLE_EQ(value(r, "selection_rate", "religion&gender", "a&f"), 0.5);
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("\"b&m\"") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(FairnessAudit, ThresholdsAndMultiClassWorstCase) {
  fm::AuditData d;
  d.classes = {"x", "y", "z"};
  d.y_true = {0, 1, 2, 0, 1, 2, 0, 1};
  d.scores = {{0.8f, 0.1f, 0.1f, 0.3f, 0.2f, 0.1f, 0.6f, 0.2f},
              {0.1f, 0.7f, 0.3f, 0.3f, 0.5f, 0.2f, 0.2f, 0.4f},
              {0.1f, 0.2f, 0.6f, 0.4f, 0.3f, 0.7f, 0.2f, 0.4f}};
  d.group_columns = {"g"};
  d.group_values = {{"p", "q"}};
  d.group_codes = {{0, 0, 0, 0, 1, 1, 1, 1}};
  fm::AuditOptions o = no_bootstrap();
  o.thresholds = {0.25, 0.5};
  const fm::AuditResult r = fm::compute_audit(d, o);
  // Class x at 0.5: p predicts rows 0 → SR 1/4; q predicts row 6 → SR 1/4. At 0.25: p rows 0, 3
  // (SR 1/2), q row 6 (1/4).
  auto at = [&](const std::string& name, const std::string& label, double t) -> double {
    for (const auto& m : r.metrics) {
      if (m.name == name && m.column == "g" && m.group.empty() && m.label == label &&
          m.threshold == t) {
        return m.value.value_or(NAN);
      }
    }
    return NAN;
  };
  EXPECT_NEAR(at("demographic_parity_difference", "x", 0.5), 0.0, 1e-12);
  EXPECT_NEAR(at("demographic_parity_difference", "x", 0.25), 0.25, 1e-12);
  const double worst = std::max({at("demographic_parity_difference", "x", 0.25),
                                 at("demographic_parity_difference", "y", 0.25),
                                 at("demographic_parity_difference", "z", 0.25)});
  EXPECT_DOUBLE_EQ(at("demographic_parity_difference", "*", 0.25), worst);
  const double worst_ratio =
      std::min({at("demographic_parity_ratio", "x", 0.5), at("demographic_parity_ratio", "y", 0.5),
                at("demographic_parity_ratio", "z", 0.5)});
  EXPECT_DOUBLE_EQ(at("demographic_parity_ratio", "*", 0.5), worst_ratio);
}

TEST(FairnessAudit, BootstrapDeterministicAcrossThreads) {
  fm::AuditData d = hand_data();
  for (int k = 0; k < 5; ++k) {
    const fm::AuditData base = hand_data();
    d.y_true.insert(d.y_true.end(), base.y_true.begin(), base.y_true.end());
    d.y_pred.insert(d.y_pred.end(), base.y_pred.begin(), base.y_pred.end());
    d.group_codes[0].insert(d.group_codes[0].end(), base.group_codes[0].begin(),
                            base.group_codes[0].end());
  }
  fm::AuditOptions o;
  o.bootstrap_samples = 300;
  o.threads = 1;
  const fm::AuditResult one = fm::compute_audit(d, o);
  o.threads = 2;
  const fm::AuditResult two = fm::compute_audit(d, o);
  ASSERT_EQ(one.metrics.size(), two.metrics.size());
  int with_ci = 0;
  for (std::size_t i = 0; i < one.metrics.size(); ++i) {
    EXPECT_EQ(one.metrics[i].lower, two.metrics[i].lower) << one.metrics[i].name;
    EXPECT_EQ(one.metrics[i].upper, two.metrics[i].upper) << one.metrics[i].name;
    if (one.metrics[i].lower) ++with_ci;
  }
  EXPECT_GT(with_ci, 50);
  const auto& sr = find(one, "selection_rate", "", "");
  EXPECT_LE(*sr.lower, *sr.value);
  EXPECT_GE(*sr.upper, *sr.value);
}

TEST(FairnessAudit, ValidationErrors) {
  fm::AuditOptions o = no_bootstrap();
  o.positive_label = "nope";
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  o = no_bootstrap();
  o.reference_rule = "best";
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  o = no_bootstrap();
  o.reference_groups = {{"religion", "zz"}};
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  o = no_bootstrap();
  o.reference_groups = {{"colour", "a"}};
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  o = no_bootstrap();
  o.intersections = {{"religion"}};
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  o = no_bootstrap();
  o.intersections = {{"religion", "colour"}};
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  o = no_bootstrap();
  o.thresholds = {0.5};  // no scores
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  o = no_bootstrap();
  o.tau = 1.5;
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  o = no_bootstrap();
  o.confidence = 1.0;
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  o = no_bootstrap();
  o.bootstrap_samples = -1;
  EXPECT_THROW(fm::compute_audit(hand_data(), o), fm::ConfigError);
  fm::AuditData d = hand_data();
  d.y_pred.pop_back();
  EXPECT_THROW(fm::compute_audit(d, no_bootstrap()), fm::DataError);
  d = hand_data();
  d.y_true[0] = 7;
  EXPECT_THROW(fm::compute_audit(d, no_bootstrap()), fm::DataError);
  d = hand_data();
  d.group_codes[0][0] = 3;
  EXPECT_THROW(fm::compute_audit(d, no_bootstrap()), fm::DataError);
  d = hand_data();
  d.weights.assign(10, 1.0);
  d.weights[2] = -1;
  EXPECT_THROW(fm::compute_audit(d, no_bootstrap()), fm::DataError);
  d = hand_data();
  d.y_pred.clear();
  EXPECT_THROW(fm::compute_audit(d, no_bootstrap()), fm::DataError);
  EXPECT_THROW(fm::compute_audit(fm::AuditData{}, no_bootstrap()), fm::DataError);
}

TEST(FairnessMetrics, RocAucHandExample) {
  // Positives 0.8, 0.4 (tie with a negative), negatives 0.4, 0.1: pairs (0.8 > 0.4, 0.8 > 0.1,
  // 0.4 = 0.4 → ½, 0.4 > 0.1) → 3.5 / 4.
  const fm::AucValue a = fm::roc_auc({0.8, 0.4, 0.4, 0.1}, {1, 1, 0, 0}, {});
  EXPECT_DOUBLE_EQ(a.auc.value, 0.875);
  EXPECT_FALSE(fm::roc_auc({0.1, 0.2}, {1, 1}, {}).auc.defined());
  // Weight 3 on the lower positive: (3·(½ + 1) + 1·2) / (4·2).
  EXPECT_DOUBLE_EQ(fm::roc_auc({0.8, 0.4, 0.4, 0.1}, {1, 1, 0, 0}, {1, 3, 1, 1}).auc.value,
                   6.5 / 8);
}

TEST(FairnessMetrics, PowerMeanQuantilePercentile) {
  EXPECT_NEAR(*fm::power_mean({0.5, 1.0}, -1), 2.0 / 3, 1e-15);  // harmonic mean
  EXPECT_NEAR(*fm::power_mean({4, 1}, 0), 2.0, 1e-15);
  EXPECT_FALSE(fm::power_mean({}, -5).has_value());
  EXPECT_NEAR(fm::normal_quantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(fm::normal_quantile(0.005), -2.5758293035489004, 1e-12);
  std::vector<double> xs = {5, 1, 4, 2, 3};
  EXPECT_DOUBLE_EQ(*fm::percentile(xs, 0.25), 2.0);  // numpy.percentile([1..5], 25)
  xs = {5, 1, 4, 2};
  EXPECT_DOUBLE_EQ(*fm::percentile(xs, 0.1), 1.3);  // numpy.percentile([1, 2, 4, 5], 10)
}

TEST(FairnessMetrics, SamplerMomentsAndDeterminism) {
  for (const auto& [n, p] : std::vector<std::pair<int64_t, double>>{
           {10, 0.3}, {1000, 0.002}, {1000000, 0.37}, {50000, 0.9}}) {
    fm::Rng rng(3, static_cast<uint64_t>(n));
    const int reps = 20000;
    double s = 0, s2 = 0;
    for (int i = 0; i < reps; ++i) {
      const auto x = static_cast<double>(rng.binomial(n, p));
      ASSERT_GE(x, 0);
      ASSERT_LE(x, n);
      s += x;
      s2 += x * x;
    }
    const double mean = s / reps, var = s2 / reps - mean * mean;
    const double want_var = n * p * (1 - p);
    EXPECT_NEAR(mean, n * p, 5 * std::sqrt(want_var / reps)) << n << " " << p;
    EXPECT_NEAR(var / want_var, 1.0, 0.05) << n << " " << p;
  }
  fm::Rng pr(11);
  double s = 0;
  for (int i = 0; i < 20000; ++i) s += static_cast<double>(pr.poisson(40.5));
  EXPECT_NEAR(s / 20000, 40.5, 5 * std::sqrt(40.5 / 20000));
  fm::Rng a(5, 1), b(5, 1), c(5, 2);
  EXPECT_EQ(a.binomial(1000000, 0.3), b.binomial(1000000, 0.3));
  EXPECT_NE(fm::Rng(5, 1).next(), c.next());
  std::vector<int64_t> out;
  fm::multinomial(a, 1000, {10, 0, 30, 60}, out);
  EXPECT_EQ(out[0] + out[1] + out[2] + out[3], 1000);
  EXPECT_EQ(out[1], 0);
}

}  // namespace

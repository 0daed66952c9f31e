// Per-group thresholds (Hardt et al. 2016, Fairlearn ThresholdOptimizer semantics) on small cases
// whose optimal rules are computed by hand in the comments.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/mitigation/thresholds.h"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Case {
  std::vector<double> scores;
  std::vector<int> positive;
  std::vector<std::string> groups;
};

// Group "a": scores .9+ .8+ .3- .2- (separable): ROC hull (0,0) → (0,1) [t=.55] → (1,1).
// Group "b": scores .9+ .6- .4+ .1-: ROC points (0,0) (0,.5)[t=.75] (.5,.5)[t=.5] (.5,1)[t=.25]
// (1,1)[t=-inf]; upper hull (0,0) (0,.5) (.5,1) (1,1).
Case two_groups() {
  return {{.9, .8, .3, .2, .9, .6, .4, .1},
          {1, 1, 0, 0, 1, 0, 1, 0},
          {"a", "a", "a", "a", "b", "b", "b", "b"}};
}

const fm::GroupThreshold& group(const fm::GroupThresholds& t, const std::string& name) {
  for (const auto& g : t.groups) {
    if (g.group == name) return g;
  }
  throw std::runtime_error("no group " + name);
}

// Demographic parity. With q = fraction of negatives (.5 in both groups), selection s = .5 FPR +
// .5 TPR and error e = .5 FPR + .5 (1 − TPR) at the hull vertices:
//   a: (s, e) = (0, .5), (.5, 0), (1, .5);  b: (0, .5), (.25, .25), (.75, .25), (1, .5).
// Mean error at the candidate selections: s=0: .5, .25: (.25+.25)/2 = .25, .5: (0 + .25)/2 = .125,
// .75: (.25 + .25)/2 = .25, 1: .5. Optimum s = .5: "a" thresholds at .55; "b" mixes its vertices
// s=.25 (t=.75) and s=.75 (t=.25) half and half.
TEST(GroupThresholds, DemographicParityHandComputed) {
  const auto c = two_groups();
  const auto t = fm::fit_group_thresholds(c.scores, c.positive, c.groups, "demographic_parity");
  EXPECT_DOUBLE_EQ(t.target_selection_rate, 0.5);
  const auto& a = group(t, "a");
  EXPECT_DOUBLE_EQ(a.rule.threshold0, 0.55);
  EXPECT_DOUBLE_EQ(a.rule.p0, 1.0);
  const auto& b = group(t, "b");
  EXPECT_DOUBLE_EQ(b.rule.threshold0, 0.75);
  EXPECT_DOUBLE_EQ(b.rule.threshold1, 0.25);
  EXPECT_DOUBLE_EQ(b.rule.p0, 0.5);
  EXPECT_DOUBLE_EQ(b.rule.p_ignore, 0.0);
  // The constraint holds exactly on the fitting data (expected over the randomisation).
  EXPECT_DOUBLE_EQ(a.selection_rate, 0.5);
  EXPECT_DOUBLE_EQ(b.selection_rate, 0.5);
  EXPECT_DOUBLE_EQ(a.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(b.accuracy, 0.75);
  EXPECT_DOUBLE_EQ(t.expected_accuracy, 0.875);
  // P(positive | score) of "b": 1 above .75, .5 between .25 and .75, 0 below.
  EXPECT_DOUBLE_EQ(b.rule.positive_probability(.9), 1.0);
  EXPECT_DOUBLE_EQ(b.rule.positive_probability(.6), 0.5);
  EXPECT_DOUBLE_EQ(b.rule.positive_probability(.1), 0.0);
}

// Equalized odds with group "a" = .9+ .5- .3- .2- (hull (0,0) → (0,1) [t=.7] → (1,1)) and "b" as
// above. y_min(x) = hull_b(x) = .5 + x on [0, .5], 1 after. n = 8, 3 positives, 5 negatives:
// error(x) = 5/8 x + 3/8 (1 − y_min(x)) = 3/16 + x/4 on [0, .5], rising after: optimum x = 0,
// y = .5. "b" sits on (0, .5) with threshold .75; "a" is at (0, 1) with threshold .7 and mixes in
// the score-blind rule "positive with probability 0" with p_ignore = (1 − .5) / (1 − 0) = .5.
TEST(GroupThresholds, EqualizedOddsHandComputed) {
  const Case c = {{.9, .5, .3, .2, .9, .6, .4, .1},
                  {1, 0, 0, 0, 1, 0, 1, 0},
                  {"a", "a", "a", "a", "b", "b", "b", "b"}};
  const auto t = fm::fit_group_thresholds(c.scores, c.positive, c.groups, "equalized_odds");
  EXPECT_DOUBLE_EQ(t.target_fpr, 0.0);
  EXPECT_DOUBLE_EQ(t.target_tpr, 0.5);
  const auto& a = group(t, "a");
  EXPECT_DOUBLE_EQ(a.rule.threshold0, 0.7);
  EXPECT_DOUBLE_EQ(a.rule.p0, 1.0);
  EXPECT_DOUBLE_EQ(a.rule.p_ignore, 0.5);
  EXPECT_DOUBLE_EQ(a.rule.constant, 0.0);
  const auto& b = group(t, "b");
  EXPECT_DOUBLE_EQ(b.rule.threshold0, 0.75);
  EXPECT_DOUBLE_EQ(b.rule.p_ignore, 0.0);
  // Equal TPR and FPR across groups (constraint violation 0), accuracy 1 − 3/16.
  EXPECT_DOUBLE_EQ(*a.tpr, 0.5);
  EXPECT_DOUBLE_EQ(*b.tpr, 0.5);
  EXPECT_DOUBLE_EQ(*a.fpr, 0.0);
  EXPECT_DOUBLE_EQ(*b.fpr, 0.0);
  EXPECT_DOUBLE_EQ(t.expected_accuracy, 1 - 3.0 / 16);
}

// Both groups reach the same vertex: "a": .9+ .8- .7+ .6- → hull (0,0) (0,.5) (.5,1)[t=.65]
// (1,1); "b": .9- .8+ .7+ .6- → points (.5,0) (.5,.5) (.5,1)[t=.65] (1,1), hull (0,0) (.5,1)
// (1,1), i.e. y = 2x on [0, .5]. y_min = 2x on [0, .5]; error(x) = x/2 + (1 − 2x)/2 = (1 − x)/2
// there and x/2 beyond: optimum (.5, 1), both groups deterministic at t = .65.
TEST(GroupThresholds, EqualizedOddsAtASharedVertex) {
  const Case c = {{.9, .8, .7, .6, .9, .8, .7, .6},
                  {1, 0, 1, 0, 0, 1, 1, 0},
                  {"a", "a", "a", "a", "b", "b", "b", "b"}};
  const auto t = fm::fit_group_thresholds(c.scores, c.positive, c.groups, "equalized_odds");
  EXPECT_DOUBLE_EQ(t.target_fpr, 0.5);
  EXPECT_DOUBLE_EQ(t.target_tpr, 1.0);
  for (const auto* name : {"a", "b"}) {
    const auto& g = group(t, name);
    EXPECT_NEAR(g.rule.positive_probability(.7), 1.0, 1e-15) << name;
    EXPECT_NEAR(g.rule.positive_probability(.6), 0.0, 1e-15) << name;
    EXPECT_NEAR(*g.tpr, 1.0, 1e-15);
    EXPECT_NEAR(*g.fpr, 0.5, 1e-15);
  }
}

// The optimum at a crossing of two hulls (no vertex of either): "a" as above, y = .5 + x on
// [0, .5]; "b": .95- .9+ .85+ .5- .4- → hull (0,0) (1/3,1)[t=.675] (1,1), y = 3x on [0, 1/3].
// They cross at x = .25, y = .75. n = 9, 4 positives: error = 5/9 x + 4/9 (1 − y_min) falls
// (4/9 − 7/9 x) before the crossing and rises (2/9 + x/9) after it: optimum (.25, .75), error .25.
// "a" mixes t=.85 and t=.65 half and half; "b" mixes "never" (1/4) and t=.675 (3/4).
TEST(GroupThresholds, EqualizedOddsAtACrossingOfTwoHulls) {
  const Case c = {{.9, .8, .7, .6, .95, .9, .85, .5, .4},
                  {1, 0, 1, 0, 0, 1, 1, 0, 0},
                  {"a", "a", "a", "a", "b", "b", "b", "b", "b"}};
  const auto t = fm::fit_group_thresholds(c.scores, c.positive, c.groups, "equalized_odds");
  EXPECT_NEAR(t.target_fpr, 0.25, 1e-12);
  EXPECT_NEAR(t.target_tpr, 0.75, 1e-12);
  EXPECT_NEAR(t.expected_accuracy, 0.75, 1e-12);
  const auto& a = group(t, "a");
  EXPECT_DOUBLE_EQ(a.rule.threshold0, 0.85);
  EXPECT_DOUBLE_EQ(a.rule.threshold1, 0.65);
  EXPECT_NEAR(a.rule.p0, 0.5, 1e-12);
  const auto& b = group(t, "b");
  EXPECT_EQ(b.rule.threshold0, kInf);
  EXPECT_DOUBLE_EQ(b.rule.threshold1, 0.675);
  EXPECT_NEAR(b.rule.p0, 0.25, 1e-12);
  for (const auto* g : {&a, &b}) {
    EXPECT_NEAR(*g->tpr, 0.75, 1e-12) << g->group;
    EXPECT_NEAR(*g->fpr, 0.25, 1e-12) << g->group;
    EXPECT_NEAR(g->rule.p_ignore, 0.0, 1e-12) << g->group;
  }
}

TEST(GroupThresholds, OverallRuleIsTheBestGroupBlindThreshold) {
  // All 8 rows of two_groups(): accuracy 7/8 at t = .7 and at t = .35; .35 is closer to .5.
  const auto c = two_groups();
  const auto t = fm::fit_group_thresholds(c.scores, c.positive, c.groups, "demographic_parity");
  EXPECT_DOUBLE_EQ(t.overall.threshold0, 0.35);
  EXPECT_DOUBLE_EQ(t.overall.p0, 1.0);
  bool unseen = false;
  EXPECT_EQ(&t.rule_for("zz", &unseen), &t.overall);
  EXPECT_TRUE(unseen);
  EXPECT_EQ(&t.rule_for("a", &unseen), &group(t, "a").rule);
  EXPECT_FALSE(unseen);
}

TEST(GroupThresholds, DegenerateGroupUsesTheOverallRule) {
  auto c = two_groups();
  c.scores.insert(c.scores.end(), {.7, .2});
  c.positive.insert(c.positive.end(), {0, 0});
  c.groups.insert(c.groups.end(), {"c", "c"});
  const auto t = fm::fit_group_thresholds(c.scores, c.positive, c.groups, "equalized_odds");
  const auto& g = group(t, "c");
  EXPECT_FALSE(g.fitted);
  EXPECT_NE(g.reason.find("no positives"), std::string::npos);
  bool unseen = true;
  EXPECT_EQ(&t.rule_for("c", &unseen), &t.overall);
  EXPECT_FALSE(unseen);
  EXPECT_FALSE(g.tpr.has_value());
}

TEST(GroupThresholds, ExtremeThresholdsRoundTripThroughJson) {
  // One group whose best rule is "always positive" (threshold −inf) or "never" (+inf).
  const Case c = {{.1, .2, .3, .9}, {1, 1, 1, 0}, {"a", "a", "a", "a"}};
  auto t = fm::fit_group_thresholds(c.scores, c.positive, c.groups, "demographic_parity");
  t.column = "g";
  t.positive_label = "toxic";
  t.seed = 7;
  const auto j = fm::group_thresholds_to_json(t);
  EXPECT_EQ(j["groups"][0]["threshold0"], "-inf");
  const auto back = fm::group_thresholds_from_json(j, "postprocess.json: thresholds");
  EXPECT_EQ(back.groups[0].rule.threshold0, -kInf);
  EXPECT_EQ(fm::group_thresholds_to_json(back), j);
  auto bad = j;
  bad["groups"][0]["p0"] = 2;
  EXPECT_THROW(fm::group_thresholds_from_json(bad, "x"), fm::ModelError);
  bad = j;
  bad["objective"] = "fastest";
  EXPECT_THROW(fm::group_thresholds_from_json(bad, "x"), fm::ModelError);
}

TEST(GroupThresholds, CoinsAreDeterministicAndUniform) {
  EXPECT_EQ(fm::decision_coin(13, "row-1"), fm::decision_coin(13, "row-1"));
  EXPECT_NE(fm::decision_coin(13, "row-1"), fm::decision_coin(14, "row-1"));
  EXPECT_NE(fm::decision_coin(13, "row-1"), fm::decision_coin(13, "row-2"));
  double sum = 0;
  int below = 0;
  for (int i = 0; i < 20000; ++i) {
    const double u = fm::decision_coin(5, std::to_string(i));
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    below += u < 0.25 ? 1 : 0;
  }
  EXPECT_NEAR(sum / 20000, 0.5, 0.01);
  EXPECT_NEAR(below / 20000.0, 0.25, 0.01);
}

TEST(GroupThresholds, Errors) {
  EXPECT_THROW(fm::fit_group_thresholds({.5}, {1}, {"a"}, "accuracy"), fm::ConfigError);
  EXPECT_THROW(fm::fit_group_thresholds({.5}, {1, 0}, {"a"}, "equalized_odds"), fm::DataError);
  EXPECT_THROW(fm::fit_group_thresholds({}, {}, {}, "equalized_odds"), fm::DataError);
  EXPECT_THROW(fm::fit_group_thresholds({.5, .6}, {1, 1}, {"a", "b"}, "equalized_odds"),
               fm::DataError);
  EXPECT_THROW(fm::fit_group_thresholds({NAN, .6}, {1, 0}, {"a", "a"}, "equalized_odds"),
               fm::DataError);
}

}  // namespace

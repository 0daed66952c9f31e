// fm::compute_reweighing (Kamiran & Calders 2012, AIF360 Reweighing). Expected weights are
// computed by hand from w(g, y) = n_g · n_y / (n · n_{g,y}); the factorisation property is checked
// on seeded random data against counts recomputed here.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fm/error.h"
#include "fm/mitigation/reweighing.h"

namespace {

using fm::compute_reweighing;

// Groups a (3 rows: labels 1, 1, 0) and b (5 rows: 1, 0, 0, 0, 0).
// n = 8, n_a = 3, n_b = 5, n_1 = 3, n_0 = 5, n_a1 = 2, n_a0 = 1, n_b1 = 1, n_b0 = 4.
const std::vector<std::string> kGroups = {"a", "a", "a", "b", "b", "b", "b", "b"};
const std::vector<std::string> kLabels = {"1", "1", "0", "1", "0", "0", "0", "0"};

TEST(Reweighing, HandComputedTwoByTwo) {
  const auto r = compute_reweighing(kGroups, kLabels);
  EXPECT_EQ(r.groups, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.labels, (std::vector<std::string>{"0", "1"}));
  EXPECT_DOUBLE_EQ(r.total, 8.0);
  EXPECT_DOUBLE_EQ(*r.cell("a", "1").weight, 9.0 / 16.0);   // 3·3 / (8·2)
  EXPECT_DOUBLE_EQ(*r.cell("a", "0").weight, 15.0 / 8.0);   // 3·5 / (8·1)
  EXPECT_DOUBLE_EQ(*r.cell("b", "1").weight, 15.0 / 8.0);   // 5·3 / (8·1)
  EXPECT_DOUBLE_EQ(*r.cell("b", "0").weight, 25.0 / 32.0);  // 5·5 / (8·4)
  EXPECT_DOUBLE_EQ(r.cell("a", "1").count, 2.0);
  EXPECT_DOUBLE_EQ(r.cell("b", "0").count, 4.0);
  const std::vector<double> expected = {9.0 / 16, 9.0 / 16, 15.0 / 8, 15.0 / 8,
                                        25.0 / 32, 25.0 / 32, 25.0 / 32, 25.0 / 32};
  ASSERT_EQ(r.row_weights.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_DOUBLE_EQ(r.row_weights[i], expected[i]);
  // The weighted total stays n.
  double sum = 0;
  for (const auto w : r.row_weights) sum += w;
  EXPECT_DOUBLE_EQ(sum, 8.0);
}

TEST(Reweighing, InstanceWeightsAreSummedAndMultiplied) {
  // Row 0 (a, 1) has instance weight 2: n = 9, n_a = 4, n_1 = 4, n_a1 = 3, others as above.
  std::vector<double> v(8, 1.0);
  v[0] = 2.0;
  const auto r = compute_reweighing(kGroups, kLabels, v);
  EXPECT_DOUBLE_EQ(r.total, 9.0);
  EXPECT_DOUBLE_EQ(*r.cell("a", "1").weight, 16.0 / 27.0);  // 4·4 / (9·3)
  EXPECT_DOUBLE_EQ(*r.cell("a", "0").weight, 20.0 / 9.0);   // 4·5 / (9·1)
  EXPECT_DOUBLE_EQ(*r.cell("b", "1").weight, 20.0 / 9.0);   // 5·4 / (9·1)
  EXPECT_DOUBLE_EQ(*r.cell("b", "0").weight, 25.0 / 36.0);  // 5·5 / (9·4)
  EXPECT_DOUBLE_EQ(r.row_weights[0], 2.0 * 16.0 / 27.0);
  EXPECT_DOUBLE_EQ(r.row_weights[1], 16.0 / 27.0);
}

TEST(Reweighing, EmptyCellIsUndefined) {
  const auto r = compute_reweighing({"a", "a", "b", "b"}, {"1", "1", "0", "1"});
  EXPECT_FALSE(r.cell("a", "0").weight.has_value());
  EXPECT_DOUBLE_EQ(r.cell("a", "0").count, 0.0);
  // a: n_a = 2, n_1 = 3, n_a1 = 2 → 2·3 / (4·2) = 0.75.
  EXPECT_DOUBLE_EQ(*r.cell("a", "1").weight, 0.75);
  const auto j = fm::reweighing_to_json(r);
  bool saw_null = false;
  for (const auto& c : j["cells"]) {
    if (c["group"] == "a" && c["label"] == "0") {
      saw_null = c["weight"].is_null() && c.contains("reason");
    }
  }
  EXPECT_TRUE(saw_null);
}

TEST(Reweighing, OneGroupGivesUnitWeights) {
  const auto r = compute_reweighing({"x", "x", "x"}, {"p", "n", "n"});
  for (const auto w : r.row_weights) EXPECT_DOUBLE_EQ(w, 1.0);
}

TEST(Reweighing, WeightedJointDistributionFactorises) {
  // Seeded random data with 4 groups and 3 labels, skewed so that label depends on group.
  std::mt19937 rng(7);
  std::vector<std::string> g, y;
  std::vector<double> v;
  for (int i = 0; i < 2000; ++i) {
    const int gi = static_cast<int>(rng() % 4);
    const int yi = static_cast<int>((rng() % 10 < static_cast<unsigned>(2 + 2 * gi)) ? gi % 3
                                                                                    : rng() % 3);
    g.push_back("g" + std::to_string(gi));
    y.push_back("y" + std::to_string(yi));
    v.push_back(0.5 + (rng() % 100) / 50.0);
  }
  for (const bool weighted : {false, true}) {
    const auto r = compute_reweighing(g, y, weighted ? v : std::vector<double>{});
    std::map<std::string, double> ng, ny;
    std::map<std::pair<std::string, std::string>, double> nw;
    double n = 0, nw_total = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
      const double vi = weighted ? v[i] : 1.0;
      ng[g[i]] += vi;
      ny[y[i]] += vi;
      n += vi;
      nw[{g[i], y[i]}] += r.row_weights[i];
      nw_total += r.row_weights[i];
    }
    EXPECT_NEAR(nw_total, n, 1e-9 * n);
    // Weighted P(g, y) = P(g) · P(y), and the weighted label rate is the same in every group.
    for (const auto& [gy, w] : nw) {
      EXPECT_NEAR(w / nw_total, ng[gy.first] / n * ny[gy.second] / n, 1e-12) << gy.first << gy.second;
    }
  }
}

TEST(Reweighing, Errors) {
  using Strings = std::vector<std::string>;
  EXPECT_THROW(compute_reweighing(Strings{"a"}, Strings{"1", "0"}), fm::DataError);
  EXPECT_THROW(compute_reweighing(Strings{}, Strings{}), fm::DataError);
  EXPECT_THROW(compute_reweighing({"a", "b"}, {"1", "0"}, {1.0}), fm::DataError);
  EXPECT_THROW(compute_reweighing({"a", "b"}, {"1", "0"}, {1.0, -1.0}), fm::DataError);
  EXPECT_THROW(compute_reweighing({"a", "b"}, {"1", "0"}, {0.0, 0.0}), fm::DataError);
  fm::Dataset d;
  d.group_columns = {"race"};
  d.examples.push_back({"0", "t", "1", {"x"}, 2});
  EXPECT_THROW(compute_reweighing(d, "gender"), fm::ConfigError);
  EXPECT_DOUBLE_EQ(compute_reweighing(d, "race").row_weights.at(0), 1.0);
}

}  // namespace

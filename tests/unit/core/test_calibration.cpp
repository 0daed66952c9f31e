// Calibration metrics and temperature scaling against hand-computed values and closed forms.

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/report/calibration.h"
#include "fm/eval/calibration.h"

namespace {

const std::vector<std::string> kLabels = {"non_toxic", "toxic"};

// Four rows with exactly representable probabilities:
//   [.25 .75] y=1 (conf .75, right)   [.375 .625] y=0 (conf .625, wrong)
//   [.875 .125] y=0 (conf .875, right) [.25 .75] y=1 (conf .75, right)
// Bins of 15: .75 in (11/15, 12/15], .625 in (9/15, 10/15], .875 in (13/15, 14/15].
// ECE = 2/4·|1 − .75| + 1/4·|0 − .625| + 1/4·|1 − .875| = .3125; MCE = .625.
// Brier = (.125 + .78125 + .03125 + .125) / 4 = .265625; positive-class Brier is half of it.
const std::vector<float> kProbs = {.25f, .75f, .375f, .625f, .875f, .125f, .25f, .75f};
const std::vector<int64_t> kY = {1, 0, 0, 1};

TEST(Calibration, HandComputedBinary) {
  const auto r = fm::calibration_report(kProbs, kLabels, kY);
  ASSERT_TRUE(r.ece.value && r.mce.value && r.brier.value && r.brier_positive.value);
  EXPECT_DOUBLE_EQ(*r.ece.value, 0.3125);
  EXPECT_DOUBLE_EQ(*r.mce.value, 0.625);
  EXPECT_DOUBLE_EQ(*r.brier.value, 0.265625);
  EXPECT_DOUBLE_EQ(*r.brier_positive.value, 0.1328125);
  EXPECT_EQ(r.positive_label, "toxic");
  EXPECT_DOUBLE_EQ(*r.accuracy.value, 0.75);
  EXPECT_NEAR(*r.nll.value, -(2 * std::log(.75) + std::log(.375) + std::log(.875)) / 4, 1e-12);
  ASSERT_EQ(r.bins.size(), 15u);
  EXPECT_EQ(r.bins[11].count, 2);
  EXPECT_DOUBLE_EQ(*r.bins[11].mean_confidence, 0.75);
  EXPECT_DOUBLE_EQ(*r.bins[11].accuracy, 1.0);
  EXPECT_EQ(r.bins[9].count, 1);
  EXPECT_DOUBLE_EQ(*r.bins[9].accuracy, 0.0);
  EXPECT_EQ(r.bins[13].count, 1);
  EXPECT_EQ(r.bins[0].count, 0);
  EXPECT_FALSE(r.bins[0].mean_confidence.has_value());
  EXPECT_DOUBLE_EQ(r.bins[14].upper, 1.0);
}

TEST(Calibration, BinEdgesAreLeftOpenRightClosed) {
  // Confidence exactly 0.5 lies in (7/15, 8/15]; exactly 1.0 in the last bin.
  const std::vector<float> p = {.5f, .5f, 0.f, 1.f};
  const auto r = fm::calibration_report(p, kLabels, {0, 1}, -1, 15);
  EXPECT_EQ(r.bins[7].count, 1);
  EXPECT_EQ(r.bins[14].count, 1);
  // Two bins: 0.5 is the upper edge of (0, 0.5].
  const auto two = fm::calibration_report(p, kLabels, {0, 1}, -1, 2);
  EXPECT_EQ(two.bins[0].count, 1);
  EXPECT_EQ(two.bins[1].count, 1);
}

TEST(Calibration, MultiClassBrierHasNoPositiveVersion) {
  const std::vector<std::string> labels = {"a", "b", "c"};
  const std::vector<float> p = {.5f, .25f, .25f, .125f, .75f, .125f};
  const auto r = fm::calibration_report(p, labels, {0, 2});
  // Row 1: .25 + .0625 + .0625; row 2: .015625 + .5625 + .765625.
  EXPECT_DOUBLE_EQ(*r.brier.value, (.375 + 1.34375) / 2);
  EXPECT_FALSE(r.brier_positive.value.has_value());
  EXPECT_NE(r.brier_positive.reason.find("binary"), std::string::npos);
  EXPECT_TRUE(r.positive_label.empty());
}

TEST(Calibration, NoRowsIsUndefinedWithReason) {
  const auto r = fm::calibration_report({}, kLabels, {});
  EXPECT_FALSE(r.ece.value.has_value());
  EXPECT_EQ(r.ece.reason, "no rows");
  const auto j = fm::calibration_to_json(r);
  EXPECT_TRUE(j["ece"].is_null());
  EXPECT_EQ(j["undefined"]["mce"], "no rows");
  EXPECT_NE(fm::format_calibration_text(r, 2, "no temperature").find("undefined"),
            std::string::npos);
}

TEST(Calibration, SizeMismatchIsADataError) {
  EXPECT_THROW(fm::calibration_report({.5f}, kLabels, {0}), fm::DataError);
  EXPECT_THROW(fm::calibration_report({.5f, .5f}, kLabels, {2}), fm::DataError);
  EXPECT_THROW(fm::calibration_report(kProbs, kLabels, kY, -1, 0), fm::ConfigError);
}

TEST(Calibration, TextAndMarkdownListNonEmptyBins) {
  const auto r = fm::calibration_report(kProbs, kLabels, kY);
  const auto text = fm::format_calibration_text(r, 2, "no temperature applied");
  EXPECT_NE(text.find("ECE 0.3125"), std::string::npos) << text;
  EXPECT_NE(text.find("(0.7333, 0.8000]"), std::string::npos) << text;
  EXPECT_EQ(text.find("(0.0000, 0.0667]"), std::string::npos) << text;
  const auto md = fm::format_calibration_markdown(r, 2, "temperature 2 applied");
  EXPECT_NE(md.find("| 0.3125 | 0.6250 |"), std::string::npos) << md;
}

// Closed form: every row has probabilities [.1, .9] and 3 of 4 rows are class 1. softmax(log p/T)
// gives σ(logit(.9)/T) for class 1, and the NLL is minimal where that equals the accuracy .75:
// logit(.75)/logit(.9) = ln 3 / ln 9 = 1/2, so T = 2.
TEST(Temperature, ClosedFormBinary) {
  const std::vector<float> p = {.1f, .9f, .1f, .9f, .1f, .9f, .1f, .9f};
  const std::vector<int64_t> y = {1, 1, 1, 0};
  const auto fit = fm::fit_temperature(p, 2, y);
  // The floats .9f and .1f move the exact answer in the 8th digit.
  const double logit = std::log(static_cast<double>(.9f)) - std::log(static_cast<double>(.1f));
  EXPECT_NEAR(fit.temperature, logit / std::log(3.0), 1e-9);
  EXPECT_NEAR(fit.temperature, 2.0, 1e-6);
  EXPECT_FALSE(fit.at_bound);
  const double h = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25));
  EXPECT_NEAR(fit.nll_after, h, 1e-12);
  EXPECT_NEAR(fit.nll_before, -(3 * std::log(.9f) + std::log(.1f)) / 4, 1e-7);
  auto q = p;
  fm::apply_temperature(q, 2, fit.temperature);
  EXPECT_NEAR(q[1], 0.75, 1e-6);
  EXPECT_NEAR(q[0] + q[1], 1.0, 1e-7);
}

TEST(Temperature, MinimumOfAGridAndLossRecomputed) {
  // Three classes, mixed rows: the fitted T beats every T of a fine grid.
  const std::vector<float> p = {.7f, .2f, .1f, .05f, .9f, .05f, .3f, .3f, .4f,
                                .6f, .3f, .1f, .2f,  .2f, .6f,  .8f, .1f, .1f};
  const std::vector<int64_t> y = {0, 1, 0, 1, 2, 2};
  const auto fit = fm::fit_temperature(p, 3, y);
  for (double t = 0.05; t < 20; t *= 1.01) {
    EXPECT_LE(fit.nll_after, fm::temperature_nll(p, 3, y, t) + 1e-12) << t;
  }
  EXPECT_NEAR(fm::temperature_nll(p, 3, y, fit.temperature), fit.nll_after, 1e-15);
  auto q = p;
  std::vector<float> loss(6, 0.f);
  fm::apply_temperature(q, 3, fit.temperature, y, &loss);
  double mean = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_NEAR(loss[i], -std::log(q[i * 3 + static_cast<std::size_t>(y[i])]), 1e-6);
    mean += loss[i] / 6;
  }
  EXPECT_NEAR(mean, fit.nll_after, 1e-6);
}

TEST(Temperature, SeparatedDataHitsTheLowerBound) {
  const std::vector<float> p = {.2f, .8f, .7f, .3f};
  const auto fit = fm::fit_temperature(p, 2, {1, 0});
  EXPECT_TRUE(fit.at_bound);
  EXPECT_DOUBLE_EQ(fit.temperature, fm::kMinTemperature);
  EXPECT_FALSE(fit.note.empty());
}

TEST(Temperature, UniformRowsKeepTemperatureOne) {
  const auto fit = fm::fit_temperature({.5f, .5f, .5f, .5f}, 2, {0, 1});
  EXPECT_DOUBLE_EQ(fit.temperature, 1.0);
  EXPECT_FALSE(fit.note.empty());
}

TEST(Temperature, ZeroProbabilityIsFlooredNotInfinite) {
  const auto fit = fm::fit_temperature({0.f, 1.f, 1.f, 0.f, .4f, .6f}, 2, {0, 0, 1});
  EXPECT_TRUE(std::isfinite(fit.nll_before));
  EXPECT_TRUE(std::isfinite(fit.temperature));
  EXPECT_GT(fit.temperature, 1.0);  // a confident mistake: soften
}

TEST(Temperature, Errors) {
  EXPECT_THROW(fm::fit_temperature({}, 2, {}), fm::DataError);
  EXPECT_THROW(fm::fit_temperature({.5f}, 2, {0}), fm::DataError);
  std::vector<float> p = {.5f, .5f};
  EXPECT_THROW(fm::apply_temperature(p, 2, 0.0), fm::ConfigError);
}

}  // namespace

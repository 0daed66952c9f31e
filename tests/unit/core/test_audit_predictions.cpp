#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/fairness/predictions.h"

namespace {

using fm::AuditData;
using fm::PredictionColumns;

const std::string kDir = std::string(FM_TEST_DATA_DIR) + "/audit/";

template <typename E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no error>";
}

PredictionColumns gender() {
  PredictionColumns c;
  c.group_columns = {"gender"};
  return c;
}

TEST(AuditPredictions, ReadsFmEvalLayout) {
  const AuditData d = fm::read_predictions_csv(kDir + "biased.csv", gender());
  EXPECT_EQ(d.classes, (std::vector<std::string>{"non_toxic", "toxic"}));
  ASSERT_EQ(d.rows(), 16u);
  EXPECT_EQ(d.y_true[0], 1);
  EXPECT_EQ(d.y_pred[3], 0);  // r4 toxic predicted non_toxic
  EXPECT_EQ(d.y_true[4], 0);  // r5 non_toxic
  EXPECT_EQ(d.y_pred[4], 1);
  ASSERT_EQ(d.scores.size(), 2u);
  EXPECT_FLOAT_EQ(d.scores[1][0], 0.9f);
  EXPECT_FLOAT_EQ(d.scores[0][0], 0.1f);
  EXPECT_TRUE(d.weights.empty());
  EXPECT_EQ(d.group_columns, (std::vector<std::string>{"gender"}));
  EXPECT_EQ(d.group_values[0], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.group_codes[0][7], 0);
  EXPECT_EQ(d.group_codes[0][8], 1);
}

TEST(AuditPredictions, OtherToolColumns) {
  PredictionColumns c;
  c.true_column = "label";
  c.pred_column = "pred";
  c.score_column = "score";
  c.weight_column = "w";
  c.group_columns = {"race", "gender"};
  const AuditData d = fm::read_predictions_csv(kDir + "other_tool.csv", c);
  EXPECT_EQ(d.classes, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(d.y_true, (std::vector<int32_t>{1, 0, 1, 0}));
  EXPECT_EQ(d.y_pred, (std::vector<int32_t>{1, 1, 0, 0}));
  ASSERT_EQ(d.scores.size(), 2u);
  EXPECT_TRUE(d.scores[0].empty());  // only the positive class has a score
  EXPECT_EQ(d.scores[1], (std::vector<float>{0.9f, 0.7f, 0.2f, 0.1f}));
  EXPECT_EQ(d.weights, (std::vector<double>{1, 2.5, 1, 0.5}));
  EXPECT_EQ(d.group_values[0], (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(d.group_values[1], (std::vector<std::string>{"f", "m", ""}));  // missing value kept
  EXPECT_EQ(d.group_codes[1], (std::vector<int32_t>{0, 1, 2, 0}));

  // Positive label "0": the single score column is placed on class "0".
  c.positive_label = "0";
  const AuditData flipped = fm::read_predictions_csv(kDir + "other_tool.csv", c);
  EXPECT_EQ(flipped.scores[0].size(), 4u);
  EXPECT_TRUE(flipped.scores[1].empty());
  // Without a predicted column (thresholds decide).
  c.pred_column.clear();
  EXPECT_TRUE(fm::read_predictions_csv(kDir + "other_tool.csv", c).y_pred.empty());
}

TEST(AuditPredictions, ClassesIncludeScoreColumnsAndPredictions) {
  // A class seen only in a p_ column still counts (a model that never predicts it).
  PredictionColumns c = gender();
  c.score_prefix = "p_";
  const std::string path = ::testing::TempDir() + "/extra_class.csv";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("id,y_true,y_pred,p_a,p_b,p_c,gender\n1,a,b,0.2,0.7,0.1,x\n", f);
  std::fclose(f);
  const AuditData d = fm::read_predictions_csv(path, c);
  EXPECT_EQ(d.classes, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(d.y_pred, (std::vector<int32_t>{1}));
  EXPECT_FLOAT_EQ(d.scores[2][0], 0.1f);
}

TEST(AuditPredictions, Errors) {
  using fm::ConfigError;
  using fm::DataError;
  PredictionColumns c = gender();
  c.group_columns = {"gendr"};
  EXPECT_NE(error_of<DataError>([&] {
              fm::read_predictions_csv(kDir + "biased.csv", c);
            }).find("biased.csv:1: no column \"gendr\""),
            std::string::npos);
  EXPECT_EQ(
      error_of<DataError>([&] { fm::read_predictions_csv(kDir + "header_only.csv", gender()); }),
      kDir + "header_only.csv:1: no predictions (header only)");
  EXPECT_EQ(
      error_of<DataError>([&] { fm::read_predictions_csv(kDir + "bad_score.csv", gender()); }),
      kDir + "bad_score.csv:3: column \"p_toxic\": expected a finite number, got \"abc\"");
  EXPECT_EQ(
      error_of<DataError>([&] { fm::read_predictions_csv(kDir + "logit_score.csv", gender()); }),
      kDir +
          "logit_score.csv:3: column \"p_non_toxic\": expected a probability in [0, 1], got -2.0");
  EXPECT_NE(error_of<DataError>([&] {
              fm::read_predictions_csv(kDir + "absent.csv", gender());
            }).find("cannot open"),
            std::string::npos);
  PredictionColumns other;
  other.true_column = "label";
  other.pred_column = "pred";
  other.weight_column = "gender";  // not a number
  other.group_columns = {"race"};
  EXPECT_EQ(error_of<DataError>([&] { fm::read_predictions_csv(kDir + "other_tool.csv", other); }),
            kDir + "other_tool.csv:2: column \"gender\": expected a finite number, got \"f\"");
  other.weight_column.clear();
  other.true_column = "gender";  // empty on line 4
  other.group_columns = {"race"};
  EXPECT_EQ(error_of<DataError>([&] { fm::read_predictions_csv(kDir + "other_tool.csv", other); }),
            kDir + "other_tool.csv:4: column \"gender\": empty label");
  PredictionColumns positive = gender();
  positive.positive_label = "toxik";
  EXPECT_EQ(error_of<ConfigError>([&] { fm::read_predictions_csv(kDir + "biased.csv", positive); }),
            "positive_label: \"toxik\" is not a class of " + kDir +
                "biased.csv (classes: non_toxic, toxic)");
  PredictionColumns multi = gender();
  multi.true_column = "id";  // 16 classes
  multi.pred_column.clear();
  multi.score_column = "p_toxic";
  EXPECT_NE(error_of<ConfigError>([&] {
              fm::read_predictions_csv(kDir + "fair.csv", multi);
            }).find("score_column: \"p_toxic\" needs binary data"),
            std::string::npos);
}

}  // namespace

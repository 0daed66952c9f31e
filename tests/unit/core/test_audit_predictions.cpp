#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/data/predictions.h"

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

/// Writes `content` byte for byte to a fresh file in a per-process temp directory.
std::string temp_file(const std::string& name, const std::string& content) {
  static const std::string dir = [] {
    std::string templ = ::testing::TempDir() + "fm_predictions_XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return templ;
  }();
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
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

TEST(AuditPredictions, CsvSyntaxInTheColumnsRead) {
  // BOM, CRLF, a blank line, a quoted score, a doubled quote in a group value and an id with an
  // embedded line break before the columns that are read.
  const std::string path = temp_file("syntax.csv",
                                     "\xEF\xBB\xBFid,y_true,y_pred,p_a,p_b,gender\r\n"
                                     "\"r\r\n1\",b,a,\"0.25\",0.75,\"x \"\"y\"\"\"\r\n"
                                     "\r\n"
                                     "r2,a,a,1,0,z\r\n"
                                     "r3,\"b\",\"b\",0,1,\"x \"\"y\"\"\"\r\n");
  const AuditData d = fm::read_predictions_csv(path, gender());
  EXPECT_EQ(d.classes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.y_true, (std::vector<int32_t>{1, 0, 1}));
  EXPECT_EQ(d.y_pred, (std::vector<int32_t>{0, 0, 1}));
  ASSERT_EQ(d.scores.size(), 2u);
  EXPECT_EQ(d.scores[0], (std::vector<float>{0.25f, 1.0f, 0.0f}));
  EXPECT_EQ(d.scores[1], (std::vector<float>{0.75f, 0.0f, 1.0f}));
  EXPECT_EQ(d.group_values[0], (std::vector<std::string>{"x \"y\"", "z"}));
  EXPECT_EQ(d.group_codes[0], (std::vector<int32_t>{0, 1, 0}));

  // The same rows with an error on the last one: its line counts the embedded line break (2-3),
  // the blank line (4) and the CR-only line ends.
  const std::string bad = temp_file("syntax_bad.csv",
                                    "id,y_true,y_pred,p_a,p_b,gender\r"
                                    "\"r\r1\",b,a,\"0.25\",0.75,x\r\r"
                                    "r2,a,a,1,0,z\r"
                                    "r3,b,b,0,\"1.5\",x\r");
  EXPECT_EQ(error_of<fm::DataError>([&] { fm::read_predictions_csv(bad, gender()); }),
            bad + ":6: column \"p_b\": expected a probability in [0, 1], got 1.5");
}

TEST(AuditPredictions, NumbersAsStrtodReadsThem) {
  PredictionColumns c;
  c.true_column = "y";
  c.pred_column.clear();
  c.score_column = "s";
  c.weight_column = "w";
  c.group_columns = {"g"};
  // Leading blanks, a plus sign, hex floats and exponents are numbers (as strtod reads them).
  const std::string ok = temp_file("numbers.csv",
                                   "y,s,w,g\n"
                                   "0, 0.5,+2,a\n"
                                   "1,0x1p-2,\t1e-3,a\n"
                                   "0,1E0,0x10,a\n"
                                   "1,.125,3.,a\n"
                                   "0,-0,7,a\n");
  const AuditData d = fm::read_predictions_csv(ok, c);
  EXPECT_EQ(d.scores[1], (std::vector<float>{0.5f, 0.25f, 1.0f, 0.125f, 0.0f}));
  EXPECT_EQ(d.weights, (std::vector<double>{2.0, 0.001, 16.0, 3.0, 7.0}));

  auto error_for = [&](const std::string& score, const std::string& weight) {
    const std::string path =
        temp_file("number.csv", "y,s,w,g\n0,0.5,1,a\n1," + score + "," + weight + ",b\n");
    const std::string message = error_of<fm::DataError>([&] { fm::read_predictions_csv(path, c); });
    const std::string prefix = path + ":3: ";
    return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size()) : message;
  };
  const std::string not_finite = "column \"s\": expected a finite number, got ";
  EXPECT_EQ(error_for("inf", "1"), not_finite + "\"inf\"");
  EXPECT_EQ(error_for("nan", "1"), not_finite + "\"nan\"");
  EXPECT_EQ(error_for("-infinity", "1"), not_finite + "\"-infinity\"");
  EXPECT_EQ(error_for("1e400", "1"), not_finite + "\"1e400\"");  // overflows a double
  EXPECT_EQ(error_for("0.5 ", "1"), not_finite + "\"0.5 \"");    // trailing blank
  EXPECT_EQ(error_for("\"\"", "1"), not_finite + "\"\"");        // empty (quoted)
  EXPECT_EQ(error_for("1e", "1"), not_finite + "\"1e\"");
  EXPECT_EQ(error_for("\"0,5\"", "1"), not_finite + "\"0,5\"");  // decimal comma
  EXPECT_EQ(error_for("0.5", "-1e308"), "column \"w\": expected a weight >= 0, got -1e308");
  EXPECT_EQ(error_for("0.5", "1e999"), "column \"w\": expected a finite number, got \"1e999\"");
  // Within a row the score is checked before the weight.
  EXPECT_EQ(error_for("2", "x"), "column \"s\": expected a probability in [0, 1], got 2");
}

TEST(AuditPredictions, MalformedRecordsAreReportedFirst) {
  // A short row (line 4) is found even after a bad score (line 2) and an empty label (line 3).
  const std::string path = temp_file("short.csv",
                                     "id,y_true,y_pred,p_a,p_b,gender\n"
                                     "1,a,a,abc,0.5,x\n"
                                     "2,,a,0.5,0.5,x\n"
                                     "3,a,a,0.5,0.5\n");
  EXPECT_EQ(error_of<fm::DataError>([&] { fm::read_predictions_csv(path, gender()); }),
            path + ":4: expected 6 fields, found 5");
  // A missing column is reported after the whole file has been checked.
  PredictionColumns typo = gender();
  typo.group_columns = {"gendr"};
  EXPECT_EQ(error_of<fm::DataError>([&] { fm::read_predictions_csv(path, typo); }),
            path + ":4: expected 6 fields, found 5");
  // Invalid UTF-8 in a column that is not read still fails, naming the column and line.
  const std::string latin1 = temp_file("latin1.csv",
                                       "id,y_true,y_pred,p_a,p_b,gender\n"
                                       "1,a,a,0.5,0.5,x\n"
                                       "\"caf\n\xE9\",a,a,0.5,0.5,x\n");
  EXPECT_EQ(error_of<fm::DataError>([&] { fm::read_predictions_csv(latin1, gender()); }),
            latin1 + ":4: invalid UTF-8 at byte 4 of field \"id\"");
  // Without malformed records: the empty label (line 3) before the bad score (line 2).
  const std::string empty = temp_file("empty_label.csv",
                                      "id,y_true,y_pred,p_a,p_b,gender\n"
                                      "1,a,a,abc,0.5,x\n"
                                      "2,a,,0.5,0.5,x\n");
  EXPECT_EQ(error_of<fm::DataError>([&] { fm::read_predictions_csv(empty, gender()); }),
            empty + ":3: column \"y_pred\": empty label");
}

TEST(AuditPredictions, ManyAndLongGroupValues) {
  // 300 distinct values (short, long, and differing only by a NUL byte): codes in first-seen order.
  std::string content = "y_true,y_pred,g\n";
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) {
    values.push_back("v" + std::to_string(i));
    values.push_back("a group value longer than sixteen bytes #" + std::to_string(i));
    values.push_back("v" + std::to_string(i) + std::string(1, '\0'));
  }
  for (const auto& v : values) content += "a,b," + v + "\n";
  for (auto it = values.rbegin(); it != values.rend(); ++it) content += "b,a," + *it + "\n";
  PredictionColumns c;
  c.group_columns = {"g"};
  const AuditData d = fm::read_predictions_csv(temp_file("groups.csv", content), c);
  EXPECT_EQ(d.group_values[0], values);
  ASSERT_EQ(d.group_codes[0].size(), 600u);
  for (int32_t i = 0; i < 300; ++i) {
    EXPECT_EQ(d.group_codes[0][static_cast<std::size_t>(i)], i);
    EXPECT_EQ(d.group_codes[0][static_cast<std::size_t>(599 - i)], i);
  }
}

}  // namespace

// Classification metrics against hand-computed confusion matrices and scores, and against the
// published scikit-learn docs example of classification_report.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/report/classification_text.h"
#include "fm/eval/metrics.h"
#include "fm/report/classification_json.h"

namespace {

using Labels = std::vector<std::string>;

// y_true = [t, t, t, n, n], y_pred = [t, n, t, n, t]
// confusion over (non_toxic, toxic) = [[1, 1], [1, 2]].
const Labels kBinaryTrue = {"toxic", "toxic", "toxic", "non_toxic", "non_toxic"};
const Labels kBinaryPred = {"toxic", "non_toxic", "toxic", "non_toxic", "toxic"};

// The example in sklearn.metrics.classification_report's docstring.
const Labels kDocsTrue = {"0", "1", "2", "2", "2"};
const Labels kDocsPred = {"0", "0", "2", "2", "1"};

TEST(EvalConfusionMatrix, BinaryHandComputed) {
  const fm::ConfusionMatrix cm = fm::confusion_matrix(kBinaryTrue, kBinaryPred);
  EXPECT_EQ(cm.labels, (Labels{"non_toxic", "toxic"}));
  EXPECT_EQ(cm.counts, (std::vector<int64_t>{1, 1, 1, 2}));
  EXPECT_EQ(cm.total(), 5);
  EXPECT_EQ(cm.at(1, 0), 1);
}

TEST(EvalConfusionMatrix, LabelsSortedByCodePoint) {
  const fm::ConfusionMatrix cm =
      fm::confusion_matrix(Labels{"b", "B", "é", "z"}, Labels{"a", "B", "z", "z"});
  EXPECT_EQ(cm.labels, (Labels{"B", "a", "b", "z", "é"}));
  EXPECT_EQ(cm.at(2, 1), 1);  // true b, predicted a
  EXPECT_EQ(cm.at(4, 3), 1);  // true é, predicted z
}

TEST(EvalConfusionMatrix, FromIndicesKeepsLabelOrder) {
  const fm::ConfusionMatrix cm =
      fm::confusion_matrix(std::vector<int>{0, 2, 2}, std::vector<int>{1, 2, 0}, {"z", "y", "x"});
  EXPECT_EQ(cm.labels, (Labels{"z", "y", "x"}));
  EXPECT_EQ(cm.counts, (std::vector<int64_t>{0, 1, 0, 0, 0, 0, 1, 0, 1}));
}

TEST(EvalConfusionMatrix, RejectsBadInput) {
  EXPECT_THROW(fm::confusion_matrix(Labels{"a", "b"}, Labels{"a"}), fm::DataError);
  EXPECT_THROW(fm::confusion_matrix(std::vector<int>{0, 2}, std::vector<int>{0, 1}, {"a", "b"}),
               fm::DataError);
  EXPECT_THROW(fm::confusion_matrix(std::vector<int>{0}, std::vector<int>{-1}, {"a", "b"}),
               fm::DataError);
}

TEST(EvalReport, BinaryScores) {
  const fm::ClassificationReport r = fm::classification_report(kBinaryTrue, kBinaryPred);
  ASSERT_EQ(r.classes.size(), 2u);
  EXPECT_EQ(r.classes[0].label, "non_toxic");
  EXPECT_DOUBLE_EQ(*r.classes[0].precision.value, 0.5);
  EXPECT_DOUBLE_EQ(*r.classes[0].recall.value, 0.5);
  EXPECT_DOUBLE_EQ(*r.classes[0].f1.value, 0.5);
  EXPECT_EQ(r.classes[0].support, 2);
  EXPECT_DOUBLE_EQ(*r.classes[1].precision.value, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*r.classes[1].f1.value, 2.0 / 3.0);
  EXPECT_EQ(r.classes[1].support, 3);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.6);
  EXPECT_TRUE(r.micro_is_accuracy);
  EXPECT_DOUBLE_EQ(*r.macro_avg.precision.value, (0.5 + 2.0 / 3.0) / 2.0);
  EXPECT_DOUBLE_EQ(*r.weighted_avg.f1.value, 0.6);
  EXPECT_TRUE(r.macro_avg.precision.reason.empty());
  EXPECT_EQ(r.total, 5);
}

TEST(EvalReport, BinaryText) {
  const std::string expected =
      "              precision    recall  f1-score   support\n"
      "\n"
      "   non_toxic       0.50      0.50      0.50         2\n"
      "       toxic       0.67      0.67      0.67         3\n"
      "\n"
      "    accuracy                           0.60         5\n"
      "   macro avg       0.58      0.58      0.58         5\n"
      "weighted avg       0.60      0.60      0.60         5\n";
  EXPECT_EQ(fm::format_report_text(fm::classification_report(kBinaryTrue, kBinaryPred)), expected);
}

TEST(EvalReport, SklearnDocsExampleDigits2) {
  // Verbatim from the docstring of sklearn.metrics.classification_report (target_names absent).
  const std::string expected =
      "              precision    recall  f1-score   support\n"
      "\n"
      "           0       0.50      1.00      0.67         1\n"
      "           1       0.00      0.00      0.00         1\n"
      "           2       1.00      0.67      0.80         3\n"
      "\n"
      "    accuracy                           0.60         5\n"
      "   macro avg       0.50      0.56      0.49         5\n"
      "weighted avg       0.70      0.60      0.61         5\n";
  EXPECT_EQ(fm::format_report_text(fm::classification_report(kDocsTrue, kDocsPred), 2), expected);
}

TEST(EvalReport, SklearnDocsExampleDigits4) {
  // macro: p = 1.5/3, r = (1 + 0 + 2/3)/3, f1 = (2/3 + 0 + 0.8)/3; weighted by (1, 1, 3) / 5.
  const std::string expected =
      "              precision    recall  f1-score   support\n"
      "\n"
      "           0     0.5000    1.0000    0.6667         1\n"
      "           1     0.0000    0.0000    0.0000         1\n"
      "           2     1.0000    0.6667    0.8000         3\n"
      "\n"
      "    accuracy                         0.6000         5\n"
      "   macro avg     0.5000    0.5556    0.4889         5\n"
      "weighted avg     0.7000    0.6000    0.6133         5\n";
  EXPECT_EQ(fm::format_report_text(fm::classification_report(kDocsTrue, kDocsPred), 4), expected);
}

TEST(EvalReport, SklearnDocsExampleDigits0) {
  // "%.0f" rounds half to even on the exact binary value: 0.5 -> "0", 0.5556 -> "1".
  const std::string expected =
      "              precision    recall  f1-score   support\n"
      "\n"
      "           0          0         1         1         1\n"
      "           1          0         0         0         1\n"
      "           2          1         1         1         3\n"
      "\n"
      "    accuracy                              1         5\n"
      "   macro avg          0         1         0         5\n"
      "weighted avg          1         1         1         5\n";
  EXPECT_EQ(fm::format_report_text(fm::classification_report(kDocsTrue, kDocsPred), 0), expected);
}

TEST(EvalReport, LargeDigitsWidenTheNameColumn) {
  // width = max(longest name, len("weighted avg"), digits) = 14; values overflow their 9 columns.
  const std::string text =
      fm::format_report_text(fm::classification_report(Labels{"a"}, Labels{"a"}), 14);
  EXPECT_EQ(text.substr(0, 25), std::string(15, ' ') + " precision");
  EXPECT_NE(text.find("             a  1.00000000000000 1.00000000000000 1.00000000000000"
                      "         1\n"),
            std::string::npos);
}

TEST(EvalReport, ClassNeverPredicted) {
  // b is never predicted: precision undefined (printed 0), recall 0/1, f1 undefined.
  const fm::ClassificationReport r =
      fm::classification_report(Labels{"a", "b", "c", "c"}, Labels{"a", "a", "c", "c"});
  const fm::ClassScores& b = r.classes[1];
  EXPECT_FALSE(b.precision.value.has_value());
  EXPECT_EQ(b.precision.reason, "no predicted samples for class \"b\"");
  EXPECT_DOUBLE_EQ(*b.recall.value, 0.0);
  EXPECT_FALSE(b.f1.value.has_value());
  EXPECT_EQ(b.f1.reason, "no predicted samples for class \"b\"");
  EXPECT_DOUBLE_EQ(*r.macro_avg.precision.value, 0.5);  // (1/2 + 0 + 1) / 3
  EXPECT_NE(r.macro_avg.precision.reason.find("\"b\""), std::string::npos);
  EXPECT_DOUBLE_EQ(*r.weighted_avg.recall.value, 0.75);
  EXPECT_TRUE(r.weighted_avg.recall.reason.empty());
  const std::string expected =
      "              precision    recall  f1-score   support\n"
      "\n"
      "           a       0.50      1.00      0.67         1\n"
      "           b       0.00      0.00      0.00         1\n"
      "           c       1.00      1.00      1.00         2\n"
      "\n"
      "    accuracy                           0.75         4\n"
      "   macro avg       0.50      0.67      0.56         4\n"
      "weighted avg       0.62      0.75      0.67         4\n";
  EXPECT_EQ(fm::format_report_text(r), expected);
}

TEST(EvalReport, ClassOnlyInPredictions) {
  const fm::ClassificationReport r =
      fm::classification_report(Labels{"a", "a", "b"}, Labels{"a", "x", "b"});
  ASSERT_EQ(r.classes.size(), 3u);
  const fm::ClassScores& x = r.classes[2];
  EXPECT_EQ(x.label, "x");
  EXPECT_DOUBLE_EQ(*x.precision.value, 0.0);
  EXPECT_FALSE(x.recall.value.has_value());
  EXPECT_EQ(x.recall.reason, "no true samples for class \"x\"");
  EXPECT_EQ(x.support, 0);
  // x has weight 0 in the weighted average: nothing was substituted there.
  EXPECT_TRUE(r.weighted_avg.f1.reason.empty());
  EXPECT_NE(r.macro_avg.f1.reason.find("\"x\""), std::string::npos);
  EXPECT_DOUBLE_EQ(*r.macro_avg.recall.value, 0.5);  // (1/2 + 1 + 0) / 3
}

TEST(EvalReport, SingleClass) {
  const std::string expected =
      "              precision    recall  f1-score   support\n"
      "\n"
      "           a       1.00      1.00      1.00         2\n"
      "\n"
      "    accuracy                           1.00         2\n"
      "   macro avg       1.00      1.00      1.00         2\n"
      "weighted avg       1.00      1.00      1.00         2\n";
  EXPECT_EQ(fm::format_report_text(fm::classification_report(Labels{"a", "a"}, Labels{"a", "a"})),
            expected);
}

TEST(EvalReport, NoCorrectPredictionPrintsFloatSupport) {
  // sklearn 1.2's multilabel_confusion_matrix turns the counts into floats when tp == 0 everywhere.
  const std::string expected =
      "              precision    recall  f1-score   support\n"
      "\n"
      "           a       0.00      0.00      0.00       1.0\n"
      "           b       0.00      0.00      0.00       1.0\n"
      "\n"
      "    accuracy                           0.00       2.0\n"
      "   macro avg       0.00      0.00      0.00       2.0\n"
      "weighted avg       0.00      0.00      0.00       2.0\n";
  EXPECT_EQ(fm::format_report_text(fm::classification_report(Labels{"a", "b"}, Labels{"b", "a"})),
            expected);
}

TEST(EvalReport, UnicodeLabelsPadByCodePoint) {
  // 14 code points (28 bytes) sets the width; "日本" (2 code points) gets 12 spaces.
  const std::string long_label = "ääääääääääääää";
  const fm::ClassificationReport r =
      fm::classification_report(Labels{long_label, "日本", "日本"}, Labels{"日本", "日本", "日本"});
  EXPECT_EQ(r.classes[0].label, long_label);  // "ä" (U+00E4) sorts before "日" (U+65E5)
  const std::string expected =
      "                precision    recall  f1-score   support\n"
      "\n"
      "ääääääääääääää      0.000     0.000     0.000         1\n"
      "            日本      0.667     1.000     0.800         2\n"
      "\n"
      "      accuracy                          0.667         3\n"
      "     macro avg      0.333     0.500     0.400         3\n"
      "  weighted avg      0.444     0.667     0.533         3\n";
  EXPECT_EQ(fm::format_report_text(r, 3), expected);
}

TEST(EvalReport, AbsentLabelGivesMicroAvgRow) {
  // sklearn: classification_report(["a", "b"], ["a", "a"], labels=["a", "b", "c"]).
  const fm::ConfusionMatrix cm =
      fm::confusion_matrix(std::vector<int>{0, 1}, std::vector<int>{0, 0}, {"a", "b", "c"});
  const fm::ClassificationReport r = fm::classification_report(cm);
  EXPECT_FALSE(r.micro_is_accuracy);
  EXPECT_EQ(r.classes[2].f1.reason, "no predicted and no true samples for class \"c\"");
  const std::string expected =
      "              precision    recall  f1-score   support\n"
      "\n"
      "           a       0.50      1.00      0.67         1\n"
      "           b       0.00      0.00      0.00         1\n"
      "           c       0.00      0.00      0.00         0\n"
      "\n"
      "   micro avg       0.50      0.50      0.50         2\n"
      "   macro avg       0.17      0.33      0.22         2\n"
      "weighted avg       0.25      0.50      0.33         2\n";
  EXPECT_EQ(fm::format_report_text(r), expected);
}

TEST(EvalReport, RejectsBadInput) {
  EXPECT_THROW(fm::classification_report(Labels{}, Labels{}), fm::DataError);
  EXPECT_THROW(fm::classification_report(Labels{"a"}, Labels{"a", "b"}), fm::DataError);
  fm::ConfusionMatrix bad{{"a", "b"}, {1, 2, 3}};
  EXPECT_THROW(fm::classification_report(bad), fm::DataError);
  const fm::ClassificationReport r = fm::classification_report(kDocsTrue, kDocsPred);
  EXPECT_THROW(fm::format_report_text(r, -1), fm::ConfigError);
  EXPECT_THROW(fm::format_report_markdown(r, -1), fm::ConfigError);
}

TEST(EvalMetrics, PureFunctionsOverConfusionMatrix) {
  const fm::ConfusionMatrix cm = fm::confusion_matrix(kBinaryTrue, kBinaryPred);
  EXPECT_DOUBLE_EQ(fm::macro_f1(cm), (0.5 + 2.0 / 3.0) / 2.0);
  EXPECT_DOUBLE_EQ(fm::weighted_f1(cm), (0.5 * 2 + 2.0 / 3.0 * 3) / 5.0);
  EXPECT_DOUBLE_EQ(fm::accuracy(cm), 0.6);
  const fm::ConfusionMatrix docs = fm::confusion_matrix(kDocsTrue, kDocsPred);
  EXPECT_DOUBLE_EQ(fm::macro_f1(docs), (2.0 / 3.0 + 0.0 + 0.8) / 3.0);
  EXPECT_DOUBLE_EQ(fm::weighted_f1(docs), (2.0 / 3.0 + 3 * 0.8) / 5.0);
}

TEST(EvalMetrics, EmptyMatrixIsUndefined) {
  const fm::ConfusionMatrix empty{{"a", "b"}, {0, 0, 0, 0}};
  EXPECT_TRUE(std::isnan(fm::macro_f1(empty)));
  EXPECT_TRUE(std::isnan(fm::weighted_f1(empty)));
  EXPECT_TRUE(std::isnan(fm::accuracy(empty)));
}

TEST(EvalFormat, ConfusionText) {
  const std::string expected =
      "Confusion matrix (rows: true label, columns: predicted label)\n"
      "true \\ pred  0  1  2\n"
      "0            1  0  0\n"
      "1            1  0  0\n"
      "2            0  1  2\n";
  EXPECT_EQ(fm::format_confusion_text(fm::confusion_matrix(kDocsTrue, kDocsPred)), expected);
}

TEST(EvalFormat, ConfusionTextWideCells) {
  const fm::ConfusionMatrix cm{{"a-long-label", "b"}, {12345, 0, 7, 1}};
  const std::string expected =
      "Confusion matrix (rows: true label, columns: predicted label)\n"
      "true \\ pred   a-long-label  b\n"
      "a-long-label         12345  0\n"
      "b                        7  1\n";
  EXPECT_EQ(fm::format_confusion_text(cm), expected);
}

TEST(EvalFormat, Markdown) {
  const fm::ClassificationReport r =
      fm::classification_report(Labels{"a", "b", "c", "c"}, Labels{"a", "a", "c", "c"});
  const std::string md = fm::format_report_markdown(r);
  EXPECT_EQ(md.substr(0, md.find('\n')), "| class | precision | recall | f1-score | support |");
  EXPECT_NE(md.find("| a | 0.50 | 1.00 | 0.67 | 1 |\n"), std::string::npos);
  EXPECT_NE(md.find("| b | — | 0.00 | — | 1 |\n"), std::string::npos);
  EXPECT_NE(md.find("| accuracy | | | 0.75 | 4 |\n"), std::string::npos);
  EXPECT_NE(md.find("| macro avg | 0.50 | 0.67 | 0.56 | 4 |\n"), std::string::npos);
  EXPECT_NE(md.find("no predicted samples for class \"b\""), std::string::npos);
  EXPECT_NE(md.find("| true \\ pred | a | b | c |\n"), std::string::npos);
  EXPECT_NE(md.find("| b | 1 | 0 | 0 |\n"), std::string::npos);
  const std::string piped =
      fm::format_report_markdown(fm::classification_report(Labels{"x|y"}, Labels{"x|y"}), 1);
  EXPECT_NE(piped.find("| x\\|y | 1.0 | 1.0 | 1.0 | 1 |\n"), std::string::npos);
}

TEST(EvalFormat, Json) {
  const nlohmann::json j = fm::report_to_json(
      fm::classification_report(Labels{"a", "b", "c", "c"}, Labels{"a", "a", "c", "c"}));
  EXPECT_TRUE(j["classes"]["b"]["precision"].is_null());
  EXPECT_EQ(j["classes"]["b"]["undefined"]["precision"], "no predicted samples for class \"b\"");
  EXPECT_EQ(j["classes"]["b"]["recall"], 0.0);
  EXPECT_EQ(j["classes"]["a"]["precision"], 0.5);
  EXPECT_FALSE(j["classes"]["a"].contains("undefined"));
  EXPECT_EQ(j["classes"]["c"]["support"], 2);
  EXPECT_EQ(j["accuracy"], 0.75);
  EXPECT_EQ(j["macro_avg"]["precision"], 0.5);
  EXPECT_TRUE(j["macro_avg"]["zero_division"].contains("precision"));
  EXPECT_EQ(j["total"], 4);
  EXPECT_EQ(j["confusion_matrix"]["labels"], (Labels{"a", "b", "c"}));
  EXPECT_EQ(j["confusion_matrix"]["counts"],
            nlohmann::json::parse("[[1, 0, 0], [1, 0, 0], [0, 0, 2]]"));
}

TEST(EvalPerformance, MillionExamples) {
  const Labels names = {"toxic", "non_toxic", "severe_toxic", "obscene"};
  const std::size_t n = 1000000;
  Labels y_true(n);
  Labels y_pred(n);
  int64_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) {
    y_true[i] = names[i % 4];
    y_pred[i] = names[(i % 7 == 0) ? (i + 1) % 4 : i % 4];
    correct += y_true[i] == y_pred[i];
  }
  const auto start = std::chrono::steady_clock::now();
  const fm::ClassificationReport r = fm::classification_report(y_true, y_pred);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "classification_report over 1M examples: " << ms << " ms\n";
  EXPECT_EQ(r.total, static_cast<int64_t>(n));
  EXPECT_DOUBLE_EQ(r.accuracy, static_cast<double>(correct) / static_cast<double>(n));
  // Loose bound for a loaded shared machine; catches a per-example sort or quadratic behaviour.
  EXPECT_LT(ms, 2000.0);
}

}  // namespace

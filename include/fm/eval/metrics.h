#pragma once
/// \file
/// Classification metrics as pure functions over label indices and counts (no torch).
/// Definitions follow scikit-learn's `precision_recall_fscore_support`, `accuracy_score` and
/// `confusion_matrix`.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fm {

/// A metric value that may be undefined (empty denominator); `reason` says why when it is.
struct MaybeValue {
  std::optional<double> value;
  std::string reason;  ///< empty when defined
};

/// Square confusion matrix over `labels`: counts[t * n + p] = examples with true t, predicted p.
struct ConfusionMatrix {
  std::vector<std::string> labels;
  std::vector<int64_t> counts;
  int64_t at(std::size_t t, std::size_t p) const { return counts[t * labels.size() + p]; }
};

/// Confusion matrix of label indices into `labels` (indices must be < labels.size()).
ConfusionMatrix confusion_matrix(const std::vector<int>& y_true, const std::vector<int>& y_pred,
                                 const std::vector<std::string>& labels);

/// One row of a classification report.
struct ClassScores {
  std::string label;
  MaybeValue precision;  ///< tp / (tp + fp); undefined when the class is never predicted
  MaybeValue recall;     ///< tp / (tp + fn); undefined when the class has no true examples
  MaybeValue f1;         ///< harmonic mean; undefined when precision + recall is undefined/0 per sklearn
  int64_t support = 0;   ///< number of true examples of the class
};

/// Everything scikit-learn's `classification_report` shows, with undefined values kept explicit.
/// Averages follow sklearn's default zero_division behaviour (undefined components count as 0) and
/// say so in `reason` when that happened.
struct ClassificationReport {
  std::vector<ClassScores> classes;  ///< sorted union of labels in y_true and y_pred (sklearn order)
  double accuracy = 0.0;
  ClassScores macro_avg;
  ClassScores weighted_avg;
  int64_t total = 0;
  ConfusionMatrix confusion;  ///< over the same labels as `classes`
};

/// Builds the report from string labels (the classes are sklearn's `unique_labels(y_true, y_pred)`).
ClassificationReport classification_report(const std::vector<std::string>& y_true,
                                           const std::vector<std::string>& y_pred);

/// Text byte-identical to `sklearn.metrics.classification_report(y_true, y_pred, digits=digits)`.
std::string format_report_text(const ClassificationReport& report, int digits = 2);
/// The confusion matrix as an aligned text table (rows = true, columns = predicted).
std::string format_confusion_text(const ConfusionMatrix& cm);
/// GitHub-flavoured Markdown tables (report + confusion matrix).
std::string format_report_markdown(const ClassificationReport& report, int digits = 2);

}  // namespace fm

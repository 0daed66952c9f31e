#pragma once
/// \file
/// Classification metrics as pure functions over label indices and counts (no torch).
/// Definitions follow scikit-learn 1.2's `precision_recall_fscore_support`, `f1_score`,
/// `accuracy_score`, `confusion_matrix` and `classification_report`, down to the order of the
/// floating-point operations (numpy's pairwise summation), so printed reports are byte-identical.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fm {

/// A metric value that may be undefined (empty denominator); `reason` says why when it is.
/// For averages the value is always set (sklearn counts undefined components as 0) and a non-empty
/// `reason` is a note saying which undefined per-class values were counted as 0.
struct MaybeValue {
  std::optional<double> value;
  std::string reason;  ///< empty when defined (or, for averages, when nothing was substituted)
  /// The value, or `fallback` when undefined (sklearn's zero_division="warn" prints 0).
  double value_or(double fallback) const { return value.value_or(fallback); }
};

/// Square confusion matrix over `labels`: counts[t * n + p] = examples with true t, predicted p.
struct ConfusionMatrix {
  std::vector<std::string> labels;  ///< class names, in row/column order
  std::vector<int64_t> counts;      ///< row-major labels.size() x labels.size() counts
  /// Number of examples with true label index `t` and predicted label index `p`.
  int64_t at(std::size_t t, std::size_t p) const { return counts[t * labels.size() + p]; }
  /// Total number of examples.
  int64_t total() const;
};

/// Confusion matrix of label indices into `labels`, like sklearn's
/// `confusion_matrix(y_true, y_pred, labels=labels)`. Throws fm::DataError when the lengths differ
/// or an index is outside [0, labels.size()).
ConfusionMatrix confusion_matrix(const std::vector<int>& y_true, const std::vector<int>& y_pred,
                                 const std::vector<std::string>& labels);

/// Confusion matrix of string labels over sklearn's `unique_labels(y_true, y_pred)`: the sorted
/// (code point = UTF-8 byte order) union of the labels that occur. One hash lookup per example.
/// Throws fm::DataError when the lengths differ.
ConfusionMatrix confusion_matrix(const std::vector<std::string>& y_true,
                                 const std::vector<std::string>& y_pred);

/// One row of a classification report.
struct ClassScores {
  std::string label;     ///< class name, or "macro avg" / "weighted avg"
  MaybeValue precision;  ///< tp / (tp + fp); undefined when the class is never predicted
  MaybeValue recall;     ///< tp / (tp + fn); undefined when the class has no true examples
  /// 2 p r / (p + r), 0 when p + r == 0; undefined when precision or recall is undefined (sklearn:
  /// "Precision and F-score are ill-defined ...")
  MaybeValue f1;
  int64_t support = 0;  ///< number of true examples of the class (all examples for averages)
};

/// Everything scikit-learn's `classification_report` shows, with undefined values kept explicit.
/// Averages follow sklearn's default zero_division="warn" behaviour (undefined components count as
/// 0) and say so in their `reason` when that happened.
struct ClassificationReport {
  std::vector<ClassScores> classes;  ///< one row per label of `confusion`, in its order
  /// Correct predictions / total (sklearn `accuracy_score`).
  double accuracy = 0.0;
  /// sklearn prints the micro average as an "accuracy" row when every label occurs in y_true or
  /// y_pred; false when `confusion` has a label that occurs in neither (a "micro avg" row instead).
  bool micro_is_accuracy = true;
  /// Micro average: precision = recall = accuracy (every example has one true and one predicted
  /// label); sklearn prints its f1 in the "accuracy" row.
  ClassScores micro_avg;
  ClassScores macro_avg;      ///< unweighted mean over classes
  ClassScores weighted_avg;   ///< mean weighted by support
  int64_t total = 0;          ///< number of examples
  ConfusionMatrix confusion;  ///< over the same labels as `classes`
};

/// Builds the report from string labels (the classes are sklearn's `unique_labels(y_true,
/// y_pred)`). Throws fm::DataError when the lengths differ or the inputs are empty (sklearn raises
/// too).
ClassificationReport classification_report(const std::vector<std::string>& y_true,
                                           const std::vector<std::string>& y_pred);

/// Builds the report over the labels of `cm`, in their order: sklearn's
/// `classification_report(y_true, y_pred, labels=cm.labels)`. Throws fm::DataError when `cm` has no
/// examples or its counts do not match its labels.
ClassificationReport classification_report(const ConfusionMatrix& cm);

/// Macro-averaged F1 over the labels of `cm`, as sklearn's `f1_score(..., labels=cm.labels,
/// average="macro")` (a class with undefined F1 counts as 0). NaN when `cm` has no examples.
double macro_f1(const ConfusionMatrix& cm);
/// Support-weighted F1 as sklearn's `f1_score(..., average="weighted")`. NaN when `cm` has no
/// examples (sklearn returns 0.0 there; an empty evaluation set is undefined, not a score of 0).
double weighted_f1(const ConfusionMatrix& cm);
/// Fraction of examples on the diagonal, as sklearn's `accuracy_score`. NaN when `cm` has no
/// examples.
double accuracy(const ConfusionMatrix& cm);

}  // namespace fm

#pragma once
/// \file
/// Writers of a classification report (fm/eval/metrics.h) as text and Markdown.

#include <string>

#include "fm/eval/metrics.h"

namespace fm {

/// Text byte-identical to `sklearn.metrics.classification_report(y_true, y_pred, digits=digits)`
/// (with `labels=cm.labels` for reports built from a confusion matrix). Undefined values print as
/// 0.00, as sklearn does. Throws fm::ConfigError when `digits` < 0.
std::string format_report_text(const ClassificationReport& report, int digits = 2);
/// The confusion matrix as an aligned text table: a header line, then one row per true label and
/// one column per predicted label; ends with a newline.
std::string format_confusion_text(const ConfusionMatrix& cm);
/// GitHub-flavoured Markdown: the report table (undefined per-class values shown as "—" with the
/// reason in a note below the table; averages as sklearn computes them), then the confusion matrix
/// table. Throws fm::ConfigError when `digits` < 0.
std::string format_report_markdown(const ClassificationReport& report, int digits = 2);

}  // namespace fm

#pragma once
/// \file
/// fm-eval's job: evaluate one or many runs on a dataset in one process (each run loaded once, the
/// data read once per column layout), write the report and the predictions.

#include <cstdint>
#include <string>
#include <vector>

namespace fm {

/// What fm-eval was asked to do.
struct EvalJob {
  /// Run directories to evaluate (each loaded once).
  std::vector<std::string> runs;
  /// Labelled CSV/JSONL file, read with each run's column names.
  std::string data;
  /// "text" (scikit-learn's report + confusion matrix), "json" or "markdown".
  std::string format = "text";
  /// Decimal digits in text/markdown reports (scikit-learn's `digits`).
  int digits = 2;
  /// Predictions CSV path; with several runs, "-<run name>" is inserted before the extension.
  std::string predictions;
  /// Report destination; empty = stdout.
  std::string output;
  /// LibTorch threads; 0 = all cores.
  int64_t threads = 0;
  /// Inference batch size.
  int64_t batch_size = 256;
};

/// Runs the whole job: load runs, read data, predict, write report and predictions.
void run_eval(const EvalJob& job);

}  // namespace fm

#pragma once
/// \file
/// fm-train's library side: read data, fit the tokenizer, train with early stopping, write the run.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fm/config/config.h"

namespace fm {

/// What fm-train was asked to do.
struct TrainJob {
  /// The resolved configuration (defaults < file < --set).
  RunConfig config;
  /// Continue the run in config.output.dir from its last checkpoint.
  bool resume = false;
  /// Config file the job came from (recorded in the manifest), empty if none.
  std::string config_path;
};

/// Validation (and training) figures of one epoch, as written to metrics.jsonl.
struct EpochMetrics {
  int64_t epoch = 0;
  double train_loss = 0.0;
  std::optional<double> val_loss, val_accuracy, val_macro_f1, val_weighted_f1;
  double seconds = 0.0;
  double tokens_per_second = 0.0;  ///< non-padding training tokens per second
  std::optional<double> epsilon;   ///< DP-SGD: ε spent after this epoch (training.privacy)
};

/// Summary of a finished training job.
struct TrainResult {
  std::string run_dir;
  std::vector<EpochMetrics> history;
  int64_t best_epoch = 0;
  std::optional<double> best_score;  ///< the early-stopping metric at best_epoch
  bool stopped_early = false;
  double seconds = 0.0;
  /// Text printed on stdout at the end (summary, and the test report when data.test is set).
  std::string summary;
};

/// Trains and writes the run directory. Throws fm::Interrupted (after saving a checkpoint) on SIGINT,
/// and the other fm::Error types on bad config, data or output.
TrainResult run_train(const TrainJob& job);

}  // namespace fm

#pragma once
/// \file
/// fm-train's library side: read data, fit the tokenizer, train with early stopping, write the run.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fm/config/config.h"
#include "fm/runs/checkpoint.h"

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

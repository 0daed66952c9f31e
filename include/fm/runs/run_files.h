#pragma once
/// \file
/// The names of the files in a run directory (torch-free, so fm-audit can name them too). What each
/// holds: fm/runs/run_directory.h.

#include <string>
#include <vector>

namespace fm {

/// File names inside a run directory.
struct RunFiles {
  static constexpr const char* kModel = "model.pt";
  static constexpr const char* kTokenizer = "tokenizer.json";
  static constexpr const char* kLabels = "labels.json";
  static constexpr const char* kConfig = "config.json";
  static constexpr const char* kMetrics = "metrics.jsonl";
  static constexpr const char* kManifest = "manifest.json";
  static constexpr const char* kPostprocess = "postprocess.json";
  static constexpr const char* kCheckpointDir = "checkpoint";
  static constexpr const char* kTestPredictions = "test_predictions.csv";
  static constexpr const char* kTestReport = "test_report.json";
};

/// The files of a run that predicting with it reads (relative names): outputs must never
/// overwrite them.
inline const std::vector<std::string>& run_input_files() {
  static const std::vector<std::string> names = {RunFiles::kManifest,  RunFiles::kConfig,
                                                 RunFiles::kTokenizer, RunFiles::kLabels,
                                                 RunFiles::kModel,     RunFiles::kPostprocess};
  return names;
}

}  // namespace fm

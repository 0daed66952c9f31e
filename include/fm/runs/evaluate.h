#pragma once
/// \file
/// Evaluating a run on a dataset: predict, apply the run's post-processing, build the reports.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fm/data/dataset.h"
#include "fm/eval/evaluation.h"
#include "fm/runs/postprocess.h"
#include "fm/runs/predict.h"
#include "fm/runs/run_directory.h"

namespace fm {

/// Predicts `data` with `run`, applies the run's post-processing and builds the classification
/// report and the calibration report (labels must be known to the run).
RunEvaluation evaluate_run(LoadedRun& run, const Dataset& data, int64_t batch_size = 256);

}  // namespace fm

#pragma once
/// \file
/// fm-privacy's job: the (ε, δ) guarantee of DP-SGD training, or the noise multiplier for a target
/// ε (fm/privacy/analysis.h), as text or JSON.

#include <string>

#include "fm/privacy/analysis.h"

namespace fm {

/// Answers `query` (validated by analyze_dp_sgd: fm::ConfigError naming the flag) and returns the
/// report in `query.format` ("text" or "json").
std::string run_privacy(const privacy::DpSgdQuery& query);

}  // namespace fm

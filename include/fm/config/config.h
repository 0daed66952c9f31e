#pragma once
/// \file
/// The training run configuration: one struct per concern, JSON (de)serialisation with path-aware
/// errors, `--set key.path=value` overrides and validation.

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "fm/data/dataset.h"
#include "fm/model/options.h"
#include "fm/text/padding.h"
#include "fm/text/tokenizer.h"
#include "fm/train/options.h"

namespace fm {

/// Everything fm-train needs; defaults are in-class in each member struct.
struct RunConfig {
  DataOptions data;
  TokenizerOptions tokenizer;
  PaddingOptions padding;  ///< maxlen defaults to 128 in RunConfig (see default_run_config)
  ModelOptions model;
  TrainOptions training;
  OutputOptions output;
};

/// Defaults of every field (same as RunConfig{} except padding.maxlen = 128, padding = post).
RunConfig default_run_config();

/// Full JSON form of `config` (every field, so the resolved config documents itself).
nlohmann::json to_json(const RunConfig& config);

/// Reads a config from JSON over `base`: keys present override, absent keep base values.
/// Unknown keys ("did you mean ...?"), wrong types and invalid values throw fm::ConfigError naming
/// the JSON path, e.g. `training.batch_size: expected an integer, got "x"`.
RunConfig run_config_from_json(const nlohmann::json& j, const RunConfig& base = default_run_config());

/// Loads a config file (defaults < file). `source` in errors is the file name.
/// Malformed JSON → ConfigError "file:line:col: ...".
RunConfig load_run_config(const std::string& path);

/// Applies `key.path=value` overrides (value parsed as JSON when it parses, else as a string) in order.
void apply_overrides(RunConfig& config, const std::vector<std::string>& assignments);

/// Cross-field and range checks; throws ConfigError naming path, value and rule:
/// `training.batch_size must be > 0 (got 0)`.
void validate(const RunConfig& config);

}  // namespace fm

#pragma once
/// \file
/// The training run configuration: one struct per concern, JSON (de)serialisation with path-aware
/// errors, `--set key.path=value` overrides and validation.

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "fm/config/sources.h"
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
  /// Keras' pad_sequences options, with fmkit's defaults: maxlen 128, "post" padding and truncation.
  /// Post-truncation keeps the start of a comment (where its subject usually is); the padding side
  /// does not change results (the model is length-aware) but post is its fast path. Keras' own
  /// "pre" defaults suit RNNs that read the padding, which this model never does.
  PaddingOptions padding{128, PadSide::kPost, PadSide::kPost, 0};
  ModelOptions model;
  TrainOptions training;
  OutputOptions output;
};

/// Defaults of every field (the same as RunConfig{}).
RunConfig default_run_config();

/// Full JSON form of `config`: every field under its struct field name, optional fields unset →
/// `null`, PadSide as "pre"/"post" (so the resolved config documents itself).
nlohmann::json to_json(const RunConfig& config);

/// Reads a config from JSON over `base`: keys present override, absent keep base values.
/// Unknown keys ("did you mean ...?"), wrong types and out-of-set enum strings throw
/// fm::ConfigError naming the JSON path, e.g. `training.batch_size: expected an integer, got string
/// "x"` (type rules: fm/config/json_reader.h). Ranges are checked by validate(), not here.
RunConfig run_config_from_json(const nlohmann::json& j,
                               const RunConfig& base = default_run_config());

/// Loads a config file over default_run_config() (defaults < file). Errors are ConfigError prefixed
/// with `path`: "path: cannot open config: <reason>", "path:LINE:COL: malformed JSON: <reason>"
/// (1-based line and byte column of the character where parsing stopped), "path: training.epochs:
/// expected an integer, got ...".
/// Does not validate: apply overrides first, then call validate().
RunConfig load_run_config(const std::string& path);

/// Applies `key.path=value` overrides in order (a later one wins). The value is parsed as JSON when
/// it parses (`training.epochs=3`, `data.group_columns=["a","b"]`, `tokenizer.num_words=null`),
/// else taken as a string (`output.dir=runs/x`); quote it to force a string (`data.train="3"`).
/// Errors are ConfigError prefixed with the flag: "--set foo: expected key.path=value",
/// `--set training.epoc=3: training.epoc: unknown key (did you mean "epochs"?)`. On error `config`
/// is left unchanged.
void apply_overrides(RunConfig& config, const std::vector<std::string>& assignments);

/// fm-train's one path to a config: parses `sources` (defaults < file < flags < --set, fm/config/
/// sources.h) once and validates the result once, errors prefixed with the source of the
/// offending key. `for_training` as in validate().
RunConfig resolve_run_config(const ConfigSources& sources, bool for_training = true);

/// Range and cross-field checks; throws ConfigError "PATH must be RULE (got VALUE)" for the first
/// broken rule, e.g. `training.batch_size must be >= 1 (got 0)`. `for_training` = false skips the
/// rules only training needs (data.train set), for tools that only read the config.
void validate(const RunConfig& config, bool for_training = true);

}  // namespace fm

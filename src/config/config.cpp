#include "fm/config/config.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fm/config/json_reader.h"
#include "fm/validation.h"
#include "fm/error.h"
#include "fm/text/redact.h"

namespace fm {
namespace {

using nlohmann::json;

// Mapped here rather than through parse_pad_side so that config errors carry the JSON path and a
// suggestion instead of std::invalid_argument.
const std::vector<std::pair<std::string, PadSide>> kPadSides = {{"pre", PadSide::kPre},
                                                                {"post", PadSide::kPost}};
const std::vector<std::string> kClassWeights = {"none", "balanced"};
const std::vector<std::string> kStoppingMetrics = {"macro_f1", "accuracy", "weighted_f1", "loss"};
const std::vector<std::string> kCalibrations = {"none", "temperature"};
const std::vector<std::string> kAdversaryCriteria = {"equalized_odds", "demographic_parity"};
const std::vector<std::string> kThresholdObjectives = {"none", "demographic_parity",
                                                       "equalized_odds"};

const char* pad_side_name(PadSide side) { return side == PadSide::kPre ? "pre" : "post"; }

template <typename T>
json optional_to_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

void read_data(JsonObjectReader r, DataOptions& d) {
  r.read("train", d.train);
  r.read("validation", d.validation);
  r.read("test", d.test);
  r.read("validation_split", d.validation_split);
  r.read("text_column", d.text_column);
  r.read("label_column", d.label_column);
  r.read("group_columns", d.group_columns);
  r.read("id_column", d.id_column);
  r.read("redact", d.redact);
  r.finish();
}

void read_tokenizer(JsonObjectReader r, TokenizerOptions& t) {
  r.read("num_words", t.num_words);
  r.read("filters", t.filters);
  r.read("lower", t.lower);
  r.read("split", t.split);
  r.read("char_level", t.char_level);
  r.read("oov_token", t.oov_token);
  r.finish();
}

void read_padding(JsonObjectReader r, PaddingOptions& p) {
  r.read("maxlen", p.maxlen);
  r.read_enum("padding", p.padding, kPadSides);
  r.read_enum("truncating", p.truncating, kPadSides);
  r.read("value", p.value);
  r.finish();
}

void read_model(JsonObjectReader r, ModelOptions& m) {
  r.read("embedding_dim", m.embedding_dim);
  r.read("hidden_size", m.hidden_size);
  r.read("num_layers", m.num_layers);
  r.read("bidirectional", m.bidirectional);
  r.read("dropout", m.dropout);
  r.finish();
}

void read_early_stopping(JsonObjectReader r, EarlyStoppingOptions& e) {
  r.read_enum("metric", e.metric, kStoppingMetrics);
  r.read("patience", e.patience);
  r.read("min_delta", e.min_delta);
  r.read("restore_best", e.restore_best);
  r.finish();
}

void read_adversarial(JsonObjectReader r, AdversarialOptions& a) {
  r.read("enabled", a.enabled);
  r.read("alpha", a.alpha);
  r.read("hidden_size", a.hidden_size);
  r.read_enum("criterion", a.criterion, kAdversaryCriteria);
  r.read("learning_rate", a.learning_rate);
  r.finish();
}

void read_augmentation(JsonObjectReader r, AugmentationOptions& a) {
  r.read("enabled", a.enabled);
  r.read("categories", a.categories);
  r.read("terms", a.terms);
  r.read("max_copies", a.max_copies);
  r.finish();
}

void read_thresholds(JsonObjectReader r, ThresholdOptions& t) {
  r.read_enum("objective", t.objective, kThresholdObjectives);
  r.read("positive_label", t.positive_label);
  r.finish();
}

void read_fairness(JsonObjectReader r, FairnessOptions& f) {
  r.read("group_column", f.group_column);
  r.read("reweighing", f.reweighing);
  read_augmentation(r.child("augmentation"), f.augmentation);
  read_adversarial(r.child("adversarial"), f.adversarial);
  read_thresholds(r.child("thresholds"), f.thresholds);
  r.finish();
}

void read_privacy(JsonObjectReader r, PrivacyOptions& p) {
  r.read("enabled", p.enabled);
  r.read("noise_multiplier", p.noise_multiplier);
  r.read("max_grad_norm", p.max_grad_norm);
  r.read("delta", p.delta);
  r.read("target_epsilon", p.target_epsilon);
  r.finish();
}

void read_training(JsonObjectReader r, TrainOptions& t) {
  r.read("epochs", t.epochs);
  r.read("batch_size", t.batch_size);
  r.read("learning_rate", t.learning_rate);
  r.read("weight_decay", t.weight_decay);
  r.read("clip_grad_norm", t.clip_grad_norm);
  r.read_enum("class_weight", t.class_weight, kClassWeights);
  r.read("seed", t.seed);
  r.read("threads", t.threads);
  r.read("bucket_by_length", t.bucket_by_length);
  read_early_stopping(r.child("early_stopping"), t.early_stopping);
  r.read_enum("calibrate", t.calibrate, kCalibrations);
  read_fairness(r.child("fairness"), t.fairness);
  read_privacy(r.child("privacy"), t.privacy);
  r.finish();
}

void read_output(JsonObjectReader r, OutputOptions& o) {
  r.read("dir", o.dir);
  r.finish();
}

using namespace validation;  // invalid, show, require_*

// Upper bounds of the config's sizes (README, "Configuration reference"): far beyond any model
// this CPU toolkit trains, they turn a typo (2^32 hidden units) into a config error instead of a
// multi-terabyte allocation. The model's total size is checked against memory when it is built.
constexpr int64_t kMaxVocabulary = 100'000'000;
constexpr int64_t kMaxSequenceLength = 1'000'000;
constexpr int64_t kMaxWidth = 65'536;
constexpr int64_t kMaxLayers = 64;
constexpr int64_t kMaxEpochs = 1'000'000;
constexpr int64_t kMaxBatch = 1'000'000;
constexpr int64_t kMaxThreads = 4'096;
constexpr int64_t kMaxCopies = 1'000;

void validate_data(const DataOptions& d, bool for_training) {
  if (for_training && d.train.empty()) {
    invalid("data.train", "non-empty for training", show(d.train));
  }
  require_unit_interval("data.validation_split", d.validation_split);
  require_non_empty("data.text_column", d.text_column);
  require_non_empty("data.label_column", d.label_column);
  if (d.label_column == d.text_column) {
    invalid("data.label_column", "different from data.text_column", show(d.label_column));
  }
  for (std::size_t i = 0; i < d.group_columns.size(); ++i) {
    const std::string path = "data.group_columns[" + std::to_string(i) + "]";
    const std::string& column = d.group_columns[i];
    require_non_empty(path, column);
    if (column == d.text_column) invalid(path, "different from data.text_column", show(column));
    if (column == d.label_column) invalid(path, "different from data.label_column", show(column));
    for (std::size_t k = 0; k < i; ++k) {
      if (d.group_columns[k] == column) {
        invalid(path, "distinct from data.group_columns[" + std::to_string(k) + "]", show(column));
      }
    }
  }
  parse_pii_types(d.redact, "data.redact");
  for (std::size_t i = 0; i < d.redact.size(); ++i) {
    for (std::size_t k = 0; k < i; ++k) {
      if (d.redact[k] == d.redact[i]) {
        invalid("data.redact[" + std::to_string(i) + "]",
                "distinct from data.redact[" + std::to_string(k) + "]", show(d.redact[i]));
      }
    }
  }
}

void validate_tokenizer(const TokenizerOptions& t) {
  // Keras keeps indices < num_words and index 0 is padding, so num_words = 2 keeps one word; an
  // OOV token takes index 1 and needs one more.
  if (t.num_words) {
    if (t.oov_token && *t.num_words < 3) {
      invalid("tokenizer.num_words", ">= 3 when tokenizer.oov_token is set",
              std::to_string(*t.num_words));
    }
    require_in_range("tokenizer.num_words", *t.num_words, 2, kMaxVocabulary);
  }
  if (t.split.empty() && !t.char_level) {
    invalid("tokenizer.split", "non-empty unless tokenizer.char_level is true", show(t.split));
  }
}

void validate_padding(const PaddingOptions& p) {
  if (p.maxlen) require_in_range("padding.maxlen", *p.maxlen, 1, kMaxSequenceLength);
  // The model's embedding reserves index 0 for padding; another value would be read as a word.
  if (p.value != 0) invalid("padding.value", "0 (the model's padding index)", std::to_string(p.value));
}

void validate_model(const ModelOptions& m) {
  require_in_range("model.embedding_dim", m.embedding_dim, 1, kMaxWidth);
  require_in_range("model.hidden_size", m.hidden_size, 1, kMaxWidth);
  require_in_range("model.num_layers", m.num_layers, 1, kMaxLayers);
  require_unit_interval("model.dropout", m.dropout);
}

void validate_fairness(const FairnessOptions& f, const DataOptions& d) {
  const bool any = f.reweighing || f.augmentation.enabled || f.adversarial.enabled ||
                   f.thresholds.objective != "none";
  if (!f.group_column.empty() && std::find(d.group_columns.begin(), d.group_columns.end(),
                                           f.group_column) == d.group_columns.end()) {
    invalid("training.fairness.group_column", "one of data.group_columns", show(f.group_column));
  }
  if (any && f.group_column.empty() && !(f.augmentation.enabled && !f.reweighing &&
                                         !f.adversarial.enabled &&
                                         f.thresholds.objective == "none")) {
    // Counterfactual augmentation alone works from the text; every other mitigation needs groups.
    invalid("training.fairness.group_column", "set (one of data.group_columns) when a mitigation "
            "that uses groups is enabled", show(f.group_column));
  }
  require_in_range("training.fairness.augmentation.max_copies", f.augmentation.max_copies, 0,
                   kMaxCopies);
  require_non_negative("training.fairness.adversarial.alpha", f.adversarial.alpha);
  require_in_range("training.fairness.adversarial.hidden_size", f.adversarial.hidden_size, 0,
                   kMaxWidth);
  require_positive("training.fairness.adversarial.learning_rate", f.adversarial.learning_rate);
  require_one_of("training.fairness.adversarial.criterion", f.adversarial.criterion,
                 kAdversaryCriteria);
  require_one_of("training.fairness.thresholds.objective", f.thresholds.objective,
                 kThresholdObjectives);
}

void validate_privacy(const PrivacyOptions& p) {
  require_positive("training.privacy.noise_multiplier", p.noise_multiplier);
  require_positive("training.privacy.max_grad_norm", p.max_grad_norm);
  if (!(p.delta > 0 && p.delta < 1)) invalid("training.privacy.delta", "in (0, 1)", show(p.delta));
  if (p.target_epsilon) require_positive("training.privacy.target_epsilon", *p.target_epsilon);
}

void validate_training(const TrainOptions& t) {
  require_in_range("training.epochs", t.epochs, 1, kMaxEpochs);
  require_in_range("training.batch_size", t.batch_size, 1, kMaxBatch);
  require_positive("training.learning_rate", t.learning_rate);
  require_non_negative("training.weight_decay", t.weight_decay);
  require_non_negative("training.clip_grad_norm", t.clip_grad_norm);
  require_one_of("training.class_weight", t.class_weight, kClassWeights);
  require_in_range("training.threads", t.threads, 0, kMaxThreads);
  require_one_of("training.early_stopping.metric", t.early_stopping.metric, kStoppingMetrics);
  require_in_range("training.early_stopping.patience", t.early_stopping.patience, 0, kMaxEpochs);
  require_non_negative("training.early_stopping.min_delta", t.early_stopping.min_delta);
  require_one_of("training.calibrate", t.calibrate, kCalibrations);
  validate_privacy(t.privacy);
}

}  // namespace

RunConfig default_run_config() { return RunConfig{}; }

json to_json(const RunConfig& config) {
  const DataOptions& d = config.data;
  const TokenizerOptions& t = config.tokenizer;
  const PaddingOptions& p = config.padding;
  const ModelOptions& m = config.model;
  const TrainOptions& tr = config.training;
  const EarlyStoppingOptions& es = tr.early_stopping;
  json j = json::object();
  j["data"] = {{"train", d.train},
               {"validation", d.validation},
               {"test", d.test},
               {"validation_split", d.validation_split},
               {"text_column", d.text_column},
               {"label_column", d.label_column},
               {"group_columns", d.group_columns},
               {"id_column", d.id_column},
               {"redact", d.redact}};
  j["tokenizer"] = {{"num_words", optional_to_json(t.num_words)},
                    {"filters", t.filters},
                    {"lower", t.lower},
                    {"split", t.split},
                    {"char_level", t.char_level},
                    {"oov_token", optional_to_json(t.oov_token)}};
  j["padding"] = {{"maxlen", optional_to_json(p.maxlen)},
                  {"padding", pad_side_name(p.padding)},
                  {"truncating", pad_side_name(p.truncating)},
                  {"value", p.value}};
  j["model"] = {{"embedding_dim", m.embedding_dim},
                {"hidden_size", m.hidden_size},
                {"num_layers", m.num_layers},
                {"bidirectional", m.bidirectional},
                {"dropout", m.dropout}};
  j["training"] = {{"epochs", tr.epochs},
                   {"batch_size", tr.batch_size},
                   {"learning_rate", tr.learning_rate},
                   {"weight_decay", tr.weight_decay},
                   {"clip_grad_norm", tr.clip_grad_norm},
                   {"class_weight", tr.class_weight},
                   {"seed", tr.seed},
                   {"threads", tr.threads},
                   {"bucket_by_length", tr.bucket_by_length},
                   {"early_stopping",
                    {{"metric", es.metric},
                     {"patience", es.patience},
                     {"min_delta", es.min_delta},
                     {"restore_best", es.restore_best}}},
                   {"calibrate", tr.calibrate}};
  const FairnessOptions& f = tr.fairness;
  j["training"]["fairness"] = {
      {"group_column", f.group_column},
      {"reweighing", f.reweighing},
      {"augmentation",
       {{"enabled", f.augmentation.enabled},
        {"categories", f.augmentation.categories},
        {"terms", f.augmentation.terms},
        {"max_copies", f.augmentation.max_copies}}},
      {"adversarial",
       {{"enabled", f.adversarial.enabled},
        {"alpha", f.adversarial.alpha},
        {"hidden_size", f.adversarial.hidden_size},
        {"criterion", f.adversarial.criterion},
        {"learning_rate", f.adversarial.learning_rate}}},
      {"thresholds",
       {{"objective", f.thresholds.objective}, {"positive_label", f.thresholds.positive_label}}}};
  const PrivacyOptions& pr = tr.privacy;
  j["training"]["privacy"] = {{"enabled", pr.enabled},
                              {"noise_multiplier", pr.noise_multiplier},
                              {"max_grad_norm", pr.max_grad_norm},
                              {"delta", pr.delta},
                              {"target_epsilon", optional_to_json(pr.target_epsilon)}};
  j["output"] = {{"dir", config.output.dir}};
  return j;
}

RunConfig run_config_from_json(const json& j, const RunConfig& base) {
  RunConfig config = base;
  JsonObjectReader root(j, "");
  read_data(root.child("data"), config.data);
  read_tokenizer(root.child("tokenizer"), config.tokenizer);
  read_padding(root.child("padding"), config.padding);
  read_model(root.child("model"), config.model);
  read_training(root.child("training"), config.training);
  read_output(root.child("output"), config.output);
  root.finish();
  return config;
}

RunConfig load_run_config(const std::string& path) {
  ConfigSources sources;
  sources.load_file(path, "config");
  RunConfig result;
  sources.parse([&](const json& document) { result = run_config_from_json(document); });
  return result;
}

RunConfig resolve_run_config(const ConfigSources& sources, bool for_training) {
  RunConfig config;
  sources.parse([&](const json& document) {
    config = run_config_from_json(document);
    validate(config, for_training);
  });
  return config;
}

void apply_overrides(RunConfig& config, const std::vector<std::string>& assignments) {
  ConfigSources sources;
  sources.load_document(to_json(config), "");
  sources.assign_all(assignments);
  RunConfig result;
  sources.parse([&](const json& document) { result = run_config_from_json(document, config); });
  config = std::move(result);
}

void validate(const RunConfig& config, bool for_training) {
  validate_data(config.data, for_training);
  validate_tokenizer(config.tokenizer);
  validate_padding(config.padding);
  validate_model(config.model);
  validate_training(config.training);
  validate_fairness(config.training.fairness, config.data);
  if (config.training.privacy.enabled && config.training.fairness.adversarial.enabled) {
    invalid("training.privacy.enabled",
            "false when training.fairness.adversarial.enabled is true (the adversary's gradient "
            "is not clipped per example)", "true");
  }
  require_non_empty("output.dir", config.output.dir);
}

}  // namespace fm

#include "fm/train/postprocess_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "fm/error.h"
#include "fm/eval/calibration.h"
#include "fm/eval/metrics.h"
#include "fm/log.h"
#include "fm/runs/predict.h"
#include "fm/runs/run_directory.h"

namespace fm {
namespace fs = std::filesystem;
namespace {

std::string fmt(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

nlohmann::json maybe(const MaybeValue& v) {
  return v.value ? nlohmann::json(*v.value) : nlohmann::json(nullptr);
}

/// Realised group-fairness differences of the decisions (Fairlearn's between_groups: max − min over
/// the groups where the rate is defined).
nlohmann::json group_differences(const std::vector<int64_t>& y, const std::vector<int64_t>& pred,
                                 int64_t positive, const std::vector<std::string>& groups) {
  struct Counts {
    double n = 0, sel = 0, pos = 0, tp = 0, neg = 0, fp = 0;
  };
  std::map<std::string, Counts> by;
  for (std::size_t i = 0; i < y.size(); ++i) {
    auto& c = by[groups[i]];
    const bool p = pred[i] == positive;
    c.n += 1;
    c.sel += p;
    if (y[i] == positive) {
      c.pos += 1;
      c.tp += p;
    } else {
      c.neg += 1;
      c.fp += p;
    }
  }
  auto spread = [&](auto rate) -> nlohmann::json {
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& [g, c] : by) {
      const auto r = rate(c);
      if (!r) continue;
      lo = std::min(lo, *r);
      hi = std::max(hi, *r);
    }
    return hi >= lo ? nlohmann::json(hi - lo) : nlohmann::json(nullptr);
  };
  using R = std::optional<double>;
  const auto dp = spread([](const Counts& c) { return c.n ? R(c.sel / c.n) : R(); });
  const auto tpr = spread([](const Counts& c) { return c.pos ? R(c.tp / c.pos) : R(); });
  const auto fpr = spread([](const Counts& c) { return c.neg ? R(c.fp / c.neg) : R(); });
  nlohmann::json eo = nullptr;
  if (tpr.is_number() && fpr.is_number()) {
    eo = std::max(tpr.get<double>(), fpr.get<double>());
  }
  return {{"demographic_parity_difference", dp},
          {"equalized_odds_difference", eo},
          {"tpr_difference", tpr},
          {"fpr_difference", fpr}};
}

/// Validation numbers of one stage: calibration of the probabilities, accuracy / macro-F1 of the
/// decisions, and (with groups) the realised fairness differences.
nlohmann::json stage_numbers(const Predictions& pred, const std::vector<int64_t>& y,
                             const std::vector<std::string>& labels, int64_t positive,
                             const std::vector<std::string>* groups) {
  const auto cal =
      calibration_report(pred.probabilities, labels, y, labels.size() == 2 ? positive : -1);
  std::vector<int> yt(y.begin(), y.end()), yp(pred.predicted.begin(), pred.predicted.end());
  const auto cm = confusion_matrix(yt, yp, labels);
  nlohmann::json j = {{"nll", maybe(cal.nll)},
                      {"ece", maybe(cal.ece)},
                      {"mce", maybe(cal.mce)},
                      {"brier", maybe(cal.brier)},
                      {"brier_positive", maybe(cal.brier_positive)},
                      {"accuracy", accuracy(cm)},
                      {"macro_f1", macro_f1(cm)}};
  if (groups) j.update(group_differences(y, pred.predicted, positive, *groups));
  return j;
}

std::string number_or_dash(const nlohmann::json& v) {
  return v.is_number() ? fmt(v.get<double>()) : std::string("-");
}

/// The validation set's predictions as the post-processing steps change them, with what they are
/// judged on.
struct ValidationPredictions {
  ValidationPredictions(LstmClassifier& model, const EncodedDataset& valid,
                        const std::vector<std::string>& class_labels)
      : pred(predict(model, valid)), y(valid.labels), labels(class_labels) {}

  Predictions pred;
  const std::vector<int64_t>& y;
  const std::vector<std::string>& labels;
  int64_t positive = -1;  ///< class index for binary tasks, -1 otherwise
  bool by_group = false;  ///< with thresholds: groups and ids hold each row's group and id
  std::vector<std::string> groups, ids;

  nlohmann::json numbers() const {
    return stage_numbers(pred, y, labels, positive, by_group ? &groups : nullptr);
  }
};

/// Each validation row's value of the thresholds' group column, and its id (the input of its coin).
void collect_groups_and_ids(const Dataset& valid, const std::string& group_column,
                            ValidationPredictions& v) {
  const auto col = std::find(valid.group_columns.begin(), valid.group_columns.end(), group_column);
  if (col == valid.group_columns.end()) {
    throw ConfigError("training.fairness.group_column: \"" + group_column +
                      "\" is not among the validation data's group columns");
  }
  const auto c = static_cast<std::size_t>(col - valid.group_columns.begin());
  for (const auto& ex : valid.examples) {
    v.groups.push_back(ex.groups[c]);
    v.ids.push_back(ex.id);
  }
}

/// Fits the softmax temperature on the validation rows, records the fit and applies it to them.
void fit_temperature_step(ValidationPredictions& v, PostProcess& post) {
  const auto k = static_cast<int64_t>(v.labels.size());
  const auto fit = fit_temperature(v.pred.probabilities, k, v.y);
  post.temperature = fit.temperature;
  post.details["temperature_fit"] = {{"nll_before", fit.nll_before},
                                     {"nll_after", fit.nll_after},
                                     {"iterations", fit.iterations},
                                     {"at_bound", fit.at_bound},
                                     {"note", fit.note},
                                     {"bounds", {kMinTemperature, kMaxTemperature}}};
  apply_temperature(v.pred.probabilities, k, fit.temperature, v.y, &v.pred.loss);
  if (fit.at_bound) log::warn("postprocess", "temperature: " + fit.note);
}

/// Fits per-group thresholds on the validation scores of the positive class and applies them to
/// the validation rows.
void fit_thresholds_step(const TrainOptions& tc, ValidationPredictions& v, PostProcess& post) {
  const auto& y = v.y;
  std::vector<double> scores(y.size());
  std::vector<int> is_positive(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    scores[i] = v.pred.probabilities[i * 2 + static_cast<std::size_t>(v.positive)];
    is_positive[i] = y[i] == v.positive ? 1 : 0;
  }
  auto t = fit_group_thresholds(scores, is_positive, v.groups, tc.fairness.thresholds.objective);
  t.column = tc.fairness.group_column;
  t.positive_label = v.labels[static_cast<std::size_t>(v.positive)];
  t.seed = tc.seed;
  for (const auto& g : t.groups) {
    if (!g.fitted) log::warn("postprocess", t.column + "=\"" + g.group + "\": " + g.reason);
  }
  post.thresholds = std::move(t);
  PostProcess thresholds_only;
  thresholds_only.thresholds = post.thresholds;
  apply_postprocess(thresholds_only, v.labels, v.groups, v.ids, {}, v.pred);
}

/// One log line a step: its validation numbers before and after.
void log_validation_changes(const TrainOptions& tc, const PostProcess& post,
                            const nlohmann::json& validation) {
  const auto& th = tc.fairness.thresholds;
  const auto& b = validation["before"];
  const auto& a = validation["after"];
  if (post.temperature) {
    log::info("postprocess", "temperature " + fmt(*post.temperature) + ": validation NLL " +
                                 number_or_dash(b["nll"]) + " -> " + number_or_dash(a["nll"]) +
                                 ", ECE " + number_or_dash(b["ece"]) + " -> " +
                                 number_or_dash(a["ece"]));
  }
  if (post.thresholds) {
    const auto metric = th.objective == "demographic_parity" ? "demographic_parity_difference"
                                                             : "equalized_odds_difference";
    log::info("postprocess",
              th.objective + " thresholds on " + tc.fairness.group_column + " (" +
                  std::to_string(post.thresholds->groups.size()) + " groups): validation " +
                  metric + " " + number_or_dash(b[metric]) + " -> " + number_or_dash(a[metric]) +
                  ", accuracy " + number_or_dash(b["accuracy"]) + " -> " +
                  number_or_dash(a["accuracy"]) + ", macro-F1 " + number_or_dash(b["macro_f1"]) +
                  " -> " + number_or_dash(a["macro_f1"]));
  }
}

}  // namespace

void check_postprocess_config(const RunConfig& config, bool has_validation,
                              const std::vector<std::string>& labels) {
  const auto& tc = config.training;
  const char* needs_valid =
      " needs a validation set (data.validation, or data.validation_split > 0)";
  if (tc.calibrate == "temperature" && !has_validation) {
    throw ConfigError(std::string("training.calibrate: \"temperature\"") + needs_valid);
  }
  const auto& th = tc.fairness.thresholds;
  if (th.objective == "none") return;
  if (!has_validation) {
    throw ConfigError("training.fairness.thresholds.objective: \"" + th.objective + "\"" +
                      needs_valid);
  }
  if (labels.size() != 2) {
    throw ConfigError(
        "training.fairness.thresholds.objective: per-group thresholds need a binary "
        "task (the training data has " +
        std::to_string(labels.size()) + " classes: " + join(labels) + ")");
  }
  if (!th.positive_label.empty() &&
      std::find(labels.begin(), labels.end(), th.positive_label) == labels.end()) {
    throw ConfigError("training.fairness.thresholds.positive_label: \"" + th.positive_label +
                      "\" is not a label of the training data (" + join(labels) + ")");
  }
}

PostProcess fit_run_postprocess(const RunConfig& config, const Dataset& valid,
                                const EncodedDataset& valid_encoded,
                                const std::vector<std::string>& labels, LstmClassifier& model,
                                const std::string& run_dir) {
  const auto path = (fs::path(run_dir) / kPostprocessFile).string();
  const auto& tc = config.training;
  const bool want_temperature = tc.calibrate == "temperature";
  const auto& th = tc.fairness.thresholds;
  const bool want_thresholds = th.objective != "none";
  PostProcess post;
  if (!want_temperature && !want_thresholds) {
    std::error_code ec;
    fs::remove(path, ec);  // a stale file from an earlier run in the same directory
    return post;
  }
  check_postprocess_config(config, valid_encoded.size() > 0, labels);
  ValidationPredictions v(model, valid_encoded, labels);
  if (labels.size() == 2)
    v.positive = positive_index(labels, th.positive_label, "training.fairness");
  v.by_group = want_thresholds;
  if (want_thresholds) collect_groups_and_ids(valid, tc.fairness.group_column, v);
  nlohmann::json validation = {{"rows", valid_encoded.size()}, {"before", v.numbers()}};

  if (want_temperature) {
    fit_temperature_step(v, post);
    if (want_thresholds) validation["after_temperature"] = v.numbers();
  }
  if (want_thresholds) fit_thresholds_step(tc, v, post);
  validation["after"] = v.numbers();
  post.details["validation"] = validation;
  log_validation_changes(tc, post, validation);
  write_json_atomic(path, postprocess_to_json(post));
  return post;
}

}  // namespace fm

#include "fm/runs/postprocess.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "fm/error.h"
#include "fm/eval/calibration.h"
#include "fm/eval/metrics.h"
#include "fm/log.h"
#include "fm/runs/run_directory.h"

namespace fm {
namespace fs = std::filesystem;
namespace {

constexpr int kFormat = 1;

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

/// Index of the thresholds' positive label: the configured one, else the second label.
int64_t positive_index(const std::vector<std::string>& labels, const std::string& positive_label,
                       const std::string& where) {
  if (positive_label.empty()) return 1;
  const auto it = std::find(labels.begin(), labels.end(), positive_label);
  if (it == labels.end()) {
    throw ModelError(where + ": positive label \"" + positive_label +
                     "\" is not a label of the run (" + join(labels) + ")");
  }
  return it - labels.begin();
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

void apply_thresholds(const GroupThresholds& t, const std::vector<std::string>& labels,
                      const std::vector<std::string>& row_groups,
                      const std::vector<std::string>& row_ids, Predictions& pred,
                      PostProcessApplied& applied) {
  if (pred.num_classes != 2 || labels.size() != 2) {
    throw ModelError("per-group thresholds need a binary task (the run has " +
                     std::to_string(labels.size()) + " classes)");
  }
  const auto n = pred.predicted.size();
  if (row_groups.size() != n || row_ids.size() != n) {
    throw DataError("per-group thresholds: " + std::to_string(n) + " predictions but " +
                    std::to_string(row_groups.size()) + " group values and " +
                    std::to_string(row_ids.size()) + " ids");
  }
  const auto pos = positive_index(labels, t.positive_label, kPostprocessFile);
  const int64_t neg = 1 - pos;
  std::set<std::string> unseen_groups;
  for (std::size_t i = 0; i < n; ++i) {
    bool unseen = false;
    const auto& rule = t.rule_for(row_groups[i], &unseen);
    const double score = pred.probabilities[i * 2 + static_cast<std::size_t>(pos)];
    const double p = rule.positive_probability(score);
    const int64_t decision = decision_coin(t.seed, row_ids[i]) < p ? pos : neg;
    if (unseen) {
      ++applied.unseen_rows;
      unseen_groups.insert(row_groups[i]);
    }
    if (decision != pred.predicted[i]) ++applied.changed_decisions;
    pred.predicted[i] = decision;
  }
  applied.objective = t.objective;
  applied.column = t.column;
  applied.unseen_groups.assign(unseen_groups.begin(), unseen_groups.end());
  if (applied.unseen_rows > 0) {
    std::vector<std::string> quoted;
    for (const auto& g : applied.unseen_groups) quoted.push_back("\"" + g + "\"");
    log::warn("postprocess", std::to_string(applied.unseen_rows) + " rows of " + t.column +
                                 " groups unseen when the thresholds were fitted (" + join(quoted) +
                                 ") use the overall threshold");
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
  auto pred = predict(model, valid_encoded);
  const auto& y = valid_encoded.labels;
  const auto k = static_cast<int64_t>(labels.size());
  const int64_t positive =
      labels.size() == 2 ? positive_index(labels, th.positive_label, "training.fairness") : -1;
  std::vector<std::string> groups, ids;
  if (want_thresholds) {
    const auto col =
        std::find(valid.group_columns.begin(), valid.group_columns.end(), tc.fairness.group_column);
    if (col == valid.group_columns.end()) {
      throw ConfigError("training.fairness.group_column: \"" + tc.fairness.group_column +
                        "\" is not among the validation data's group columns");
    }
    const auto c = static_cast<std::size_t>(col - valid.group_columns.begin());
    for (const auto& ex : valid.examples) {
      groups.push_back(ex.groups[c]);
      ids.push_back(ex.id);
    }
  }
  const auto* group_ptr = want_thresholds ? &groups : nullptr;
  nlohmann::json validation = {{"rows", valid_encoded.size()},
                               {"before", stage_numbers(pred, y, labels, positive, group_ptr)}};

  if (want_temperature) {
    const auto fit = fit_temperature(pred.probabilities, k, y);
    post.temperature = fit.temperature;
    post.details["temperature_fit"] = {{"nll_before", fit.nll_before},
                                       {"nll_after", fit.nll_after},
                                       {"iterations", fit.iterations},
                                       {"at_bound", fit.at_bound},
                                       {"note", fit.note},
                                       {"bounds", {kMinTemperature, kMaxTemperature}}};
    apply_temperature(pred.probabilities, k, fit.temperature, y, &pred.loss);
    if (fit.at_bound) log::warn("postprocess", "temperature: " + fit.note);
    if (want_thresholds) {
      validation["after_temperature"] = stage_numbers(pred, y, labels, positive, group_ptr);
    }
  }
  if (want_thresholds) {
    std::vector<double> scores(y.size());
    std::vector<int> is_positive(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      scores[i] = pred.probabilities[i * 2 + static_cast<std::size_t>(positive)];
      is_positive[i] = y[i] == positive ? 1 : 0;
    }
    auto t = fit_group_thresholds(scores, is_positive, groups, th.objective);
    t.column = tc.fairness.group_column;
    t.positive_label = labels[static_cast<std::size_t>(positive)];
    t.seed = tc.seed;
    for (const auto& g : t.groups) {
      if (!g.fitted) log::warn("postprocess", t.column + "=\"" + g.group + "\": " + g.reason);
    }
    PostProcessApplied applied;
    apply_thresholds(t, labels, groups, ids, pred, applied);
    post.thresholds = std::move(t);
  }
  validation["after"] = stage_numbers(pred, y, labels, positive, group_ptr);
  post.details["validation"] = validation;

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
  write_json_atomic(path, postprocess_to_json(post));
  return post;
}

nlohmann::json postprocess_to_json(const PostProcess& post) {
  nlohmann::json j = {
      {"format", kFormat},
      {"temperature", post.temperature ? nlohmann::json(*post.temperature) : nlohmann::json()},
      {"temperature_fit", post.details.value("temperature_fit", nlohmann::json())},
      {"thresholds",
       post.thresholds ? group_thresholds_to_json(*post.thresholds) : nlohmann::json()},
      {"validation", post.details.value("validation", nlohmann::json())}};
  return j;
}

PostProcess postprocess_from_json(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) throw ModelError(path + ": expected a JSON object");
  if (j.value("format", -1) != kFormat) {
    throw ModelError(path + ": post-processing format " +
                     j.value("format", nlohmann::json()).dump() + " is not supported (expects " +
                     std::to_string(kFormat) + ")");
  }
  PostProcess post;
  if (j.contains("temperature") && !j["temperature"].is_null()) {
    if (!j["temperature"].is_number() || !(j["temperature"].get<double>() > 0) ||
        !std::isfinite(j["temperature"].get<double>())) {
      throw ModelError(path + ": temperature must be a positive number or null");
    }
    post.temperature = j["temperature"].get<double>();
  }
  if (j.contains("thresholds") && !j["thresholds"].is_null()) {
    post.thresholds = group_thresholds_from_json(j["thresholds"], path + ": thresholds");
  }
  for (const char* key : {"temperature_fit", "validation"}) {
    if (j.contains(key) && !j[key].is_null()) post.details[key] = j[key];
  }
  return post;
}

PostProcess read_postprocess(const std::string& run_dir) {
  const auto path = (fs::path(run_dir) / kPostprocessFile).string();
  if (!fs::exists(path)) return {};
  return postprocess_from_json(read_run_json(path), path);
}

nlohmann::json postprocess_manifest_json(const PostProcess& post) {
  if (post.empty()) return nullptr;
  nlohmann::json j = {
      {"file", kPostprocessFile},
      {"temperature", post.temperature ? nlohmann::json(*post.temperature) : nlohmann::json()},
      {"thresholds", nullptr},
      {"validation", post.details.value("validation", nlohmann::json())}};
  if (post.thresholds) {
    const auto& t = *post.thresholds;
    nlohmann::json groups = nlohmann::json::object();
    const auto full = group_thresholds_to_json(t);
    for (const auto& g : full["groups"]) {
      groups[g["group"].get<std::string>()] = {{"threshold0", g["threshold0"]},
                                               {"threshold1", g["threshold1"]},
                                               {"p0", g["p0"]},
                                               {"p_ignore", g["p_ignore"]},
                                               {"constant", g["constant"]},
                                               {"fitted", g["fitted"]}};
    }
    j["thresholds"] = {{"objective", t.objective},           {"column", t.column},
                       {"positive_label", t.positive_label}, {"seed", t.seed},
                       {"overall", full["overall"]},         {"groups", groups}};
  }
  return j;
}

PostProcessApplied apply_postprocess(const PostProcess& post,
                                     const std::vector<std::string>& labels,
                                     const std::vector<std::string>& row_groups,
                                     const std::vector<std::string>& row_ids,
                                     const std::vector<int64_t>& y_true, Predictions& pred) {
  PostProcessApplied applied;
  if (post.temperature) {
    apply_temperature(pred.probabilities, pred.num_classes, *post.temperature, y_true,
                      pred.loss.empty() ? nullptr : &pred.loss);
    applied.temperature = post.temperature;
  }
  if (post.thresholds)
    apply_thresholds(*post.thresholds, labels, row_groups, row_ids, pred, applied);
  return applied;
}

namespace {

/// Group values and ids of data rows `rows` (every row when null) for the thresholds' column.
void row_keys(const PostProcess& post, const Dataset& data, const std::vector<std::size_t>* rows,
              std::vector<std::string>& groups, std::vector<std::string>& ids) {
  if (!post.thresholds) return;
  const auto& column = post.thresholds->column;
  const auto col = std::find(data.group_columns.begin(), data.group_columns.end(), column);
  if (col == data.group_columns.end()) {
    throw DataError(data.path + ": no group column \"" + column +
                    "\" (the run's per-group thresholds need it)");
  }
  const auto c = static_cast<std::size_t>(col - data.group_columns.begin());
  const std::size_t n = rows ? rows->size() : data.examples.size();
  groups.reserve(n);
  ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& ex = data.examples[rows ? (*rows)[i] : i];
    groups.push_back(ex.groups[c]);
    ids.push_back(ex.id);
  }
}

}  // namespace

PostProcessApplied apply_postprocess(const PostProcess& post,
                                     const std::vector<std::string>& labels, const Dataset& data,
                                     const std::vector<std::size_t>& rows, Predictions& pred) {
  if (post.empty()) return {};
  std::vector<std::string> groups, ids;
  row_keys(post, data, &rows, groups, ids);
  return apply_postprocess(post, labels, groups, ids, {}, pred);
}

PostProcessApplied apply_postprocess(const PostProcess& post,
                                     const std::vector<std::string>& labels, const Dataset& data,
                                     Predictions& pred) {
  if (post.empty()) return {};
  std::vector<std::string> groups, ids;
  row_keys(post, data, nullptr, groups, ids);
  std::vector<int64_t> y;
  if (data.has_labels) {
    const auto index = label_index(labels);
    for (const auto& ex : data.examples) {
      const auto it = index.find(ex.label);
      if (it == index.end()) {
        y.clear();
        break;
      }
      y.push_back(it->second);
    }
  }
  return apply_postprocess(post, labels, groups, ids, y, pred);
}

bool add_postprocess_column(const PostProcess& post, std::vector<std::string>& columns) {
  if (!post.thresholds) return false;
  const auto& column = post.thresholds->column;
  if (std::find(columns.begin(), columns.end(), column) != columns.end()) return false;
  columns.push_back(column);
  return true;
}

nlohmann::json postprocess_applied_to_json(const PostProcessApplied& applied) {
  nlohmann::json j = {{"temperature", applied.temperature ? nlohmann::json(*applied.temperature)
                                                          : nlohmann::json()},
                      {"thresholds", nullptr}};
  if (!applied.objective.empty()) {
    j["thresholds"] = {{"objective", applied.objective},
                       {"column", applied.column},
                       {"changed_decisions", applied.changed_decisions},
                       {"unseen_rows", applied.unseen_rows},
                       {"unseen_groups", applied.unseen_groups}};
  }
  return j;
}

std::string temperature_note(const PostProcessApplied& applied) {
  if (!applied.temperature) return "no temperature applied";
  return "temperature " + fmt(*applied.temperature) + " applied";
}

std::string thresholds_note(const PostProcessApplied& applied) {
  if (applied.objective.empty()) return "";
  std::string out = "decisions: per-group thresholds (" + applied.objective + " on " +
                    applied.column + "), " + std::to_string(applied.changed_decisions) +
                    " changed from the arg-max";
  if (applied.unseen_rows > 0) {
    out += "; " + std::to_string(applied.unseen_rows) +
           " rows of groups unseen at fit time used the overall threshold";
  }
  return out;
}

}  // namespace fm

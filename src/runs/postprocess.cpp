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
#include "fm/runs/run_json.h"

namespace fm {
namespace fs = std::filesystem;
namespace {

constexpr int kFormat = 1;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

}  // namespace

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

namespace {

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
  const auto format = j.find("format");
  if (format == j.end() || !format->is_number_integer() || *format != kFormat) {
    // value("format", -1) would throw type_error.302 on a format of another type (fuzzing found it).
    const auto shown = format == j.end() ? std::string("(missing)")
                                         : format->dump(-1, ' ', false,
                                                        nlohmann::json::error_handler_t::replace);
    throw ModelError(path + ": post-processing format " + shown.substr(0, 40) +
                     " is not supported (expects " + std::to_string(kFormat) + ")");
  }
  PostProcess post;
  if (j.contains("temperature") && !j["temperature"].is_null()) {
    // The bounds the fit searches within: a tiny positive T (1e-320 was accepted) turned every
    // logit into ±inf and the probabilities into NaN (run_files fuzz target).
    const auto& t = j["temperature"];
    if (!t.is_number() || !(t.get<double>() >= kMinTemperature) ||
        !(t.get<double>() <= kMaxTemperature)) {
      char range[64];
      std::snprintf(range, sizeof(range), "[%g, %g]", kMinTemperature, kMaxTemperature);
      throw ModelError(path + ": temperature must be a positive number in " + range + " or null");
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

}  // namespace fm

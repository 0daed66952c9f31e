#include "fm/config/audit_policy.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fm/config/json_reader.h"
#include "fm/validation.h"
#include "fm/error.h"
#include "fm/fairness/catalogue.h"

namespace fm {
namespace {

using nlohmann::json;

const std::vector<std::string> kGateOn = {"value", "lower_bound", "upper_bound"};
const std::vector<std::string> kUndefined = {"pass", "fail", "warn"};
const std::vector<std::string> kDirections = {
    "auto", metric_direction_name(MetricDirection::kHigherIsWorse),
    metric_direction_name(MetricDirection::kLowerIsWorse)};
const std::vector<std::string> kBaselineMetrics = {"gated", "aggregates"};
const std::vector<std::string> kFormats = {"text", "json", "markdown"};
const std::vector<std::string> kReferenceRules = {"majority", "min_metric", "given"};

template <typename T>
json optional_to_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

void read_gate(JsonObjectReader r, Gate& g) {
  r.read("metric", g.metric);
  r.read("min", g.min);
  r.read("max", g.max);
  r.read_enum("on", g.on, kGateOn);
  r.read("per_group", g.per_group);
  r.read("column", g.column);
  r.read("group", g.group);
  r.read("label", g.label);
  r.read("threshold", g.threshold);
  r.finish();
}

void read_reference_groups(JsonObjectReader& r, AuditPolicy& p) {
  const json* node = r.get("reference_groups");
  if (!node) return;
  const std::string path = r.key_path("reference_groups");
  if (!node->is_object()) {
    throw ConfigError(path + ": expected an object {\"column\": \"group\"}, got " +
                      describe_json(*node));
  }
  p.reference_groups.clear();
  for (auto it = node->begin(); it != node->end(); ++it) {
    if (!it.value().is_string()) {
      throw ConfigError(join_json_path(path, it.key()) + ": expected a string, got " +
                        describe_json(it.value()));
    }
    p.reference_groups.emplace_back(it.key(), it.value().get<std::string>());
  }
}

void read_intersections(JsonObjectReader& r, AuditPolicy& p) {
  const json* node = r.get("intersections");
  if (!node) return;
  const std::string path = r.key_path("intersections");
  if (!node->is_array()) {
    throw ConfigError(path + ": expected an array of arrays of column names, got " +
                      describe_json(*node));
  }
  p.intersections.clear();
  for (std::size_t i = 0; i < node->size(); ++i) {
    const json& item = (*node)[i];
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    if (!item.is_array()) {
      throw ConfigError(item_path + ": expected an array of column names, got " +
                        describe_json(item));
    }
    std::vector<std::string> columns;
    for (std::size_t k = 0; k < item.size(); ++k) {
      if (!item[k].is_string()) {
        throw ConfigError(item_path + "[" + std::to_string(k) + "]: expected a string, got " +
                          describe_json(item[k]));
      }
      columns.push_back(item[k].get<std::string>());
    }
    p.intersections.push_back(std::move(columns));
  }
}

void read_thresholds(JsonObjectReader& r, AuditPolicy& p) {
  const json* node = r.get("thresholds");
  if (!node) return;
  const std::string path = r.key_path("thresholds");
  if (!node->is_array()) {
    throw ConfigError(path + ": expected an array of numbers, got " + describe_json(*node));
  }
  p.thresholds.clear();
  for (std::size_t i = 0; i < node->size(); ++i) {
    const json& item = (*node)[i];
    if (!item.is_number()) {
      throw ConfigError(path + "[" + std::to_string(i) + "]: expected a number, got " +
                        describe_json(item));
    }
    p.thresholds.push_back(item.get<double>());
  }
}

using namespace validation;  // invalid, show, require_*

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string intersection_name(const std::vector<std::string>& columns) {
  std::string name;
  for (const auto& c : columns) name += (name.empty() ? "" : "&") + c;
  return name;
}

void validate_input(const AuditPolicy& p) {
  if (!p.predictions.empty() && !p.run.empty()) {
    throw ConfigError(
        "predictions and run are exclusive: audit a predictions file or a run (got "
        "both)");
  }
  if (p.predictions.empty() && p.run.empty()) {
    throw ConfigError("predictions: required (or run + data to audit a model directly)");
  }
  if (!p.run.empty() && p.data.empty()) invalid("data", "set when run is set", show(p.data));
  if (p.run.empty() && !p.data.empty()) {
    invalid("data", "empty unless run is set (predictions files carry their own data)",
            show(p.data));
  }
  if (!p.predictions.empty()) {
    if (p.true_column.empty()) invalid("true_column", "non-empty", show(p.true_column));
    if (p.group_columns.empty()) {
      throw ConfigError("group_columns must name at least one column (got [])");
    }
  }
}

void validate_groups(const AuditPolicy& p) {
  for (std::size_t i = 0; i < p.group_columns.size(); ++i) {
    const std::string path = "group_columns[" + std::to_string(i) + "]";
    const std::string& column = p.group_columns[i];
    if (column.empty()) invalid(path, "non-empty", show(column));
    for (std::size_t k = 0; k < i; ++k) {
      if (p.group_columns[k] == column) {
        invalid(path, "distinct from group_columns[" + std::to_string(k) + "]", show(column));
      }
    }
    for (const std::string* other :
         {&p.true_column, &p.pred_column, &p.score_column, &p.weight_column}) {
      if (!p.predictions.empty() && column == *other) {
        invalid(path, "a group column, not the label/score/weight column", show(column));
      }
    }
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < p.intersections.size(); ++i) {
    const auto& columns = p.intersections[i];
    const std::string path = "intersections[" + std::to_string(i) + "]";
    if (columns.size() < 2) {
      invalid(path, "a list of at least 2 columns", std::to_string(columns.size()));
    }
    for (std::size_t k = 0; k < columns.size(); ++k) {
      const std::string item = path + "[" + std::to_string(k) + "]";
      if (!p.group_columns.empty() && !contains(p.group_columns, columns[k])) {
        invalid(item, "one of group_columns", show(columns[k]));
      }
      for (std::size_t m = 0; m < k; ++m) {
        if (columns[m] == columns[k]) invalid(item, "distinct within " + path, show(columns[k]));
      }
    }
    names.push_back(intersection_name(columns));
  }
  for (const auto& [column, group] : p.reference_groups) {
    const std::string path = "reference_groups." + column;
    if (!p.group_columns.empty() && !contains(p.group_columns, column) &&
        !contains(names, column)) {
      invalid("reference_groups", "keyed by group_columns or intersections", show(column));
    }
    if (group.empty()) invalid(path, "a non-empty group value", show(group));
  }
  if (p.reference_rule == "given" && p.reference_groups.empty()) {
    invalid("reference_groups", "non-empty when reference_rule is \"given\"", "{}");
  }
}

void validate_numbers(const AuditPolicy& p) {
  for (std::size_t i = 0; i < p.thresholds.size(); ++i) {
    const double t = p.thresholds[i];
    if (!(t >= 0 && t <= 1)) invalid("thresholds[" + std::to_string(i) + "]", "in [0, 1]", show(t));
  }
  if (p.min_group_size < 0) invalid("min_group_size", ">= 0", std::to_string(p.min_group_size));
  if (p.min_group_positives < 0) {
    invalid("min_group_positives", ">= 0", std::to_string(p.min_group_positives));
  }
  if (p.min_group_negatives < 0) {
    invalid("min_group_negatives", ">= 0", std::to_string(p.min_group_negatives));
  }
  if (!(p.tau > 0 && p.tau <= 1)) invalid("tau", "in (0, 1]", show(p.tau));
  if (!(p.power != 0 && std::isfinite(p.power)))
    invalid("power", "finite and non-zero", show(p.power));
  // Each resample keeps its metric values until the percentiles are taken.
  require_in_range("bootstrap.samples", p.bootstrap.samples, 0, 1'000'000);
  if (!(p.bootstrap.confidence > 0 && p.bootstrap.confidence < 1)) {
    invalid("bootstrap.confidence", "in (0, 1)", show(p.bootstrap.confidence));
  }
  require_in_range("threads", p.threads, 0, 4'096);
}

void validate_gate(const AuditPolicy& p, std::size_t i) {
  const Gate& g = p.gates[i];
  const std::string path = "gates[" + std::to_string(i) + "]";
  if (find_metric(g.metric) == nullptr) {
    const std::string best = did_you_mean(g.metric, known_metric_names());
    throw ConfigError(
        path + ".metric: unknown metric " + show(g.metric) +
        (best.empty() ? " (see fm-audit --list-metrics)" : " (did you mean " + show(best) + "?)"));
  }
  if (!g.min && !g.max) throw ConfigError(path + ": needs \"min\" or \"max\" (or both)");
  if (g.min && !std::isfinite(*g.min)) invalid(path + ".min", "finite", show(*g.min));
  if (g.max && !std::isfinite(*g.max)) invalid(path + ".max", "finite", show(*g.max));
  if (g.min && g.max && *g.min > *g.max) {
    invalid(path + ".min", "<= " + path + ".max (" + show(*g.max) + ")", show(*g.min));
  }
  if (g.on != "value" && p.bootstrap.samples == 0) {
    invalid(path + ".on", "\"value\" when bootstrap.samples is 0 (no intervals are computed)",
            show(g.on));
  }
  if (g.per_group && g.group) {
    invalid(path + ".group", "unset when per_group is true (per_group checks every group)",
            show(*g.group));
  }
  if (g.threshold && !(*g.threshold >= 0 && *g.threshold <= 1)) {
    invalid(path + ".threshold", "in [0, 1]", show(*g.threshold));
  }
}

void validate_baseline(const BaselinePolicy& b) {
  if (!(b.max_increase >= 0) || !std::isfinite(b.max_increase)) {
    invalid("baseline.max_increase", "a finite number >= 0", show(b.max_increase));
  }
  if (b.max_relative_increase &&
      (!(*b.max_relative_increase >= 0) || !std::isfinite(*b.max_relative_increase))) {
    invalid("baseline.max_relative_increase", "a finite number >= 0",
            show(*b.max_relative_increase));
  }
}

void validate_outputs(const AuditOutputs& o) {
  const std::vector<std::pair<const char*, const std::string*>> files = {
      {"outputs.output", &o.output},
      {"outputs.junit", &o.junit},
      {"outputs.csv", &o.csv},
      {"outputs.markdown", &o.markdown}};
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (std::size_t k = 0; k < i; ++k) {
      if (!files[i].second->empty() && *files[i].second == *files[k].second) {
        invalid(files[i].first, std::string("a different file from ") + files[k].first,
                show(*files[i].second));
      }
    }
  }
}

}  // namespace

json to_json(const Gate& g) {
  return {{"metric", g.metric},
          {"min", optional_to_json(g.min)},
          {"max", optional_to_json(g.max)},
          {"on", g.on},
          {"per_group", g.per_group},
          {"column", optional_to_json(g.column)},
          {"group", optional_to_json(g.group)},
          {"label", optional_to_json(g.label)},
          {"threshold", optional_to_json(g.threshold)}};
}

json to_json(const AuditPolicy& p) {
  json references = json::object();
  for (const auto& [column, group] : p.reference_groups) references[column] = group;
  json gates = json::array();
  for (const Gate& g : p.gates) gates.push_back(to_json(g));
  json j = json::object();
  j["predictions"] = p.predictions;
  j["run"] = p.run;
  j["data"] = p.data;
  j["true_column"] = p.true_column;
  j["pred_column"] = p.pred_column;
  j["score_column"] = p.score_column;
  j["weight_column"] = p.weight_column;
  j["group_columns"] = p.group_columns;
  j["positive_label"] = p.positive_label;
  j["reference_groups"] = references;
  j["reference_rule"] = p.reference_rule;
  j["intersections"] = p.intersections;
  j["thresholds"] = p.thresholds;
  j["min_group_size"] = p.min_group_size;
  j["min_group_positives"] = p.min_group_positives;
  j["min_group_negatives"] = p.min_group_negatives;
  j["tau"] = p.tau;
  j["power"] = p.power;
  j["bootstrap"] = {{"samples", p.bootstrap.samples},
                    {"confidence", p.bootstrap.confidence},
                    {"seed", p.bootstrap.seed}};
  j["gates"] = gates;
  j["undefined"] = p.undefined;
  j["baseline"] = {{"file", p.baseline.file},
                   {"max_increase", p.baseline.max_increase},
                   {"max_relative_increase", optional_to_json(p.baseline.max_relative_increase)},
                   {"direction", p.baseline.direction},
                   {"metrics", p.baseline.metrics}};
  j["outputs"] = {{"format", p.outputs.format},
                  {"output", p.outputs.output},
                  {"junit", p.outputs.junit},
                  {"csv", p.outputs.csv},
                  {"markdown", p.outputs.markdown}};
  j["counterfactual"] = p.counterfactual;
  j["counterfactual_terms"] = p.counterfactual_terms;
  j["threads"] = p.threads;
  return j;
}

AuditPolicy audit_policy_from_json(const json& j, const AuditPolicy& base) {
  AuditPolicy p = base;
  JsonObjectReader r(j, "");
  r.read("predictions", p.predictions);
  r.read("run", p.run);
  r.read("data", p.data);
  r.read("true_column", p.true_column);
  r.read("pred_column", p.pred_column);
  r.read("score_column", p.score_column);
  r.read("weight_column", p.weight_column);
  r.read("group_columns", p.group_columns);
  r.read("positive_label", p.positive_label);
  read_reference_groups(r, p);
  r.read_enum("reference_rule", p.reference_rule, kReferenceRules);
  read_intersections(r, p);
  read_thresholds(r, p);
  r.read("min_group_size", p.min_group_size);
  r.read("min_group_positives", p.min_group_positives);
  r.read("min_group_negatives", p.min_group_negatives);
  r.read("tau", p.tau);
  r.read("power", p.power);
  {
    JsonObjectReader b = r.child("bootstrap");
    b.read("samples", p.bootstrap.samples);
    b.read("confidence", p.bootstrap.confidence);
    b.read("seed", p.bootstrap.seed);
    b.finish();
  }
  if (r.get("gates")) {
    std::vector<Gate> gates;
    for (JsonObjectReader& g : r.child_array("gates")) {
      gates.emplace_back();
      read_gate(g, gates.back());
    }
    p.gates = std::move(gates);
  }
  r.read_enum("undefined", p.undefined, kUndefined);
  {
    JsonObjectReader b = r.child("baseline");
    b.read("file", p.baseline.file);
    b.read("max_increase", p.baseline.max_increase);
    b.read("max_relative_increase", p.baseline.max_relative_increase);
    b.read_enum("direction", p.baseline.direction, kDirections);
    b.read_enum("metrics", p.baseline.metrics, kBaselineMetrics);
    b.finish();
  }
  {
    JsonObjectReader o = r.child("outputs");
    o.read_enum("format", p.outputs.format, kFormats);
    o.read("output", p.outputs.output);
    o.read("junit", p.outputs.junit);
    o.read("csv", p.outputs.csv);
    o.read("markdown", p.outputs.markdown);
    o.finish();
  }
  r.read("counterfactual", p.counterfactual);
  r.read("counterfactual_terms", p.counterfactual_terms);
  r.read("threads", p.threads);
  r.finish();
  return p;
}

AuditPolicy load_audit_policy(const std::string& path) {
  ConfigSources sources;
  sources.load_file(path, "policy");
  AuditPolicy result;
  sources.parse([&](const json& document) { result = audit_policy_from_json(document); });
  return result;
}

AuditPolicy resolve_audit_policy(const ConfigSources& sources) {
  AuditPolicy policy;
  sources.parse([&](const json& document) {
    policy = audit_policy_from_json(document);
    validate(policy);
  });
  return policy;
}

void apply_overrides(AuditPolicy& policy, const std::vector<std::string>& assignments) {
  ConfigSources sources;
  sources.load_document(to_json(policy), "");
  sources.assign_all(assignments);
  AuditPolicy result;
  sources.parse([&](const json& document) { result = audit_policy_from_json(document, policy); });
  policy = std::move(result);
}

void validate(const AuditPolicy& policy) {
  validate_input(policy);
  validate_groups(policy);
  validate_numbers(policy);
  for (std::size_t i = 0; i < policy.gates.size(); ++i) validate_gate(policy, i);
  validate_baseline(policy.baseline);
  validate_outputs(policy.outputs);
}

AuditOptions to_audit_options(const AuditPolicy& p) {
  AuditOptions o;
  o.positive_label = p.positive_label;
  o.thresholds = p.thresholds;
  o.reference_groups = p.reference_groups;
  o.reference_rule = p.reference_rule;
  o.intersections = p.intersections;
  o.min_group_size = p.min_group_size;
  o.min_group_positives = p.min_group_positives;
  o.min_group_negatives = p.min_group_negatives;
  o.tau = p.tau;
  o.power = p.power;
  o.bootstrap_samples = p.bootstrap.samples;
  o.confidence = p.bootstrap.confidence;
  o.seed = p.bootstrap.seed;
  o.threads = p.threads;
  return o;
}

}  // namespace fm

// JSON form of an audit report, the baseline reader, and writing every output of an audit.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/io/json_text.h"
#include "fm/report/audit_report.h"
#include "fm/version.h"

namespace fm {
namespace {

using nlohmann::json;

constexpr const char* kReportFormat = "fm-audit-report";
constexpr int kReportFormatVersion = 1;

template <typename T>
json optional_to_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json gate_to_json(const GateOutcome& g) {
  json checks = json::array();
  for (const GateCheck& c : g.checks) {
    checks.push_back({{"key", metric_key(c.metric)},
                      {"checked", optional_to_json(c.checked)},
                      {"status", gate_status_name(c.status)},
                      {"message", c.message}});
  }
  return {{"name", g.name},
          {"metric", g.gate.metric},
          {"min", optional_to_json(g.gate.min)},
          {"max", optional_to_json(g.gate.max)},
          {"on", g.gate.on},
          {"per_group", g.gate.per_group},
          {"status", gate_status_name(g.status)},
          {"message", g.message},
          {"checks", checks}};
}

json baseline_to_json(const BaselineComparison& b) {
  json entries = json::array();
  for (const BaselineEntry& e : b.entries) {
    entries.push_back({{"key", metric_key(e.current)},
                       {"name", e.current.name},
                       {"column", e.current.column},
                       {"group", e.current.group},
                       {"reference", e.current.reference},
                       {"label", e.current.label},
                       {"threshold", optional_to_json(e.current.threshold)},
                       {"current", optional_to_json(e.current.value)},
                       {"baseline", optional_to_json(e.baseline)},
                       {"delta", optional_to_json(e.delta)},
                       {"worsening", optional_to_json(e.worsening)},
                       {"allowed", e.allowed},
                       {"direction", metric_direction_name(e.direction)},
                       {"status", gate_status_name(e.status)},
                       {"message", e.message}});
  }
  return {{"file", b.file}, {"status", gate_status_name(b.status)}, {"entries", entries}};
}

[[noreturn]] void bad_baseline(const std::string& path, const std::string& what) {
  throw DataError(path + ": " + what);
}

std::string read_string(const json& object, const char* key, const std::string& path,
                        const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (!it->is_string()) bad_baseline(path, where + "." + key + ": expected a string");
  return it->get<std::string>();
}

std::optional<double> read_number(const json& object, const char* key, const std::string& path,
                                  const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) bad_baseline(path, where + "." + key + ": expected a number or null");
  return it->get<double>();
}

void write_file(const std::string& path, const std::string& content) {
  const auto parent = std::filesystem::path(path).parent_path();
  ensure_directory(parent.empty() ? "." : parent.string());
  write_file_atomic(path, content);
}

}  // namespace

json metric_value_to_json(const MetricValue& m) {
  return {{"name", m.name},
          {"column", m.column},
          {"group", m.group},
          {"reference", m.reference},
          {"label", m.label},
          {"threshold", optional_to_json(m.threshold)},
          {"convention", m.convention},
          {"value", optional_to_json(m.value)},
          {"reason", m.reason},
          {"lower", optional_to_json(m.lower)},
          {"upper", optional_to_json(m.upper)},
          {"fair", optional_to_json(m.fair)},
          {"flags", m.flags}};
}

json audit_report_to_json(const AuditReport& report) {
  json metrics = json::array();
  for (const MetricValue& m : report.result.metrics) metrics.push_back(metric_value_to_json(m));
  json groups = json::array();
  for (const GroupSummary& g : report.result.groups) {
    groups.push_back({{"column", g.column},
                      {"group", g.group},
                      {"label", g.label},
                      {"count", g.count},
                      {"positives", g.positives},
                      {"negatives", g.negatives},
                      {"rows", g.rows},
                      {"positive_rows", g.positive_rows},
                      {"negative_rows", g.negative_rows},
                      {"flags", g.flags}});
  }
  json gates = json::array();
  for (const GateOutcome& g : report.verdict.gates) gates.push_back(gate_to_json(g));
  json j = json::object();
  j["format"] = kReportFormat;
  j["format_version"] = kReportFormatVersion;
  j["fmkit_version"] = fmkit_version();
  j["git_commit"] = git_commit();
  j["input"] = report.input;
  j["rows"] = report.rows;
  j["classes"] = report.classes;
  j["positive_label"] = report.positive_label;
  j["verdict"] = gate_status_name(report.verdict.status);
  j["metrics"] = metrics;
  j["groups"] = groups;
  j["notes"] = report.result.notes;
  j["gates"] = gates;
  j["baseline"] =
      report.verdict.baseline ? baseline_to_json(*report.verdict.baseline) : json(nullptr);
  j["policy"] = to_json(report.policy);
  return j;
}

std::vector<MetricValue> read_baseline_metrics(const std::string& path) {
  const std::string text = read_file(path);
  json j;
  try {
    j = parse_json_text(text);
  } catch (const JsonTextError& e) {
    bad_baseline(path + ":" + std::to_string(e.line()) + ":" + std::to_string(e.column()),
                 e.reason() + " (expected an fm-audit --format json report)");
  }
  if (!j.is_object() || !j.contains("metrics") || !j["metrics"].is_array()) {
    bad_baseline(path, "not an fm-audit JSON report (no \"metrics\" array)");
  }
  std::vector<MetricValue> metrics;
  const json& items = j["metrics"];
  for (std::size_t i = 0; i < items.size(); ++i) {
    const json& item = items[i];
    const std::string where = "metrics[" + std::to_string(i) + "]";
    if (!item.is_object()) bad_baseline(path, where + ": expected an object");
    MetricValue m;
    m.name = read_string(item, "name", path, where);
    if (m.name.empty()) bad_baseline(path, where + ".name: expected a non-empty string");
    m.column = read_string(item, "column", path, where);
    m.group = read_string(item, "group", path, where);
    m.reference = read_string(item, "reference", path, where);
    m.label = read_string(item, "label", path, where);
    m.convention = read_string(item, "convention", path, where);
    m.reason = read_string(item, "reason", path, where);
    m.threshold = read_number(item, "threshold", path, where);
    m.value = read_number(item, "value", path, where);
    m.lower = read_number(item, "lower", path, where);
    m.upper = read_number(item, "upper", path, where);
    metrics.push_back(std::move(m));
  }
  return metrics;
}

void write_audit_outputs(const AuditReport& report, std::ostream& out) {
  const AuditOutputs& o = report.policy.outputs;
  std::string main;
  if (o.format == "json") {
    main = audit_report_to_json(report).dump(2) + "\n";
  } else if (o.format == "markdown") {
    main = format_audit_markdown(report);
  } else {
    main = format_audit_text(report);
  }
  if (!o.junit.empty()) write_file(o.junit, format_audit_junit(report));
  if (!o.csv.empty()) write_file(o.csv, format_audit_csv(report));
  if (!o.markdown.empty()) write_file(o.markdown, format_audit_markdown(report));
  if (o.output.empty()) {
    out << main << std::flush;
  } else {
    write_file(o.output, main);
  }
}

}  // namespace fm

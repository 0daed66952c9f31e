#pragma once
/// \file
/// fm-audit's reports: text summary, JSON (everything; also the baseline format), Markdown (CI job
/// summary), JUnit XML (one test case per gate) and CSV (one row per group × metric).

#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "fm/fairness/audit.h"
#include "fm/fairness/gates.h"
#include "fm/config/audit_policy.h"

namespace fm {

/// Everything one audit produced, as the writers see it.
struct AuditReport {
  /// What was audited, e.g. "predictions runs/quickstart/test_predictions.csv (2000 rows)".
  std::string input;
  /// Rows audited and the classes.
  std::size_t rows = 0;
  std::vector<std::string> classes;
  /// The positive class audited ("" = one-vs-rest over every class).
  std::string positive_label;
  /// The policy after overrides (its JSON goes into the JSON report).
  AuditPolicy policy;
  AuditResult result;
  AuditVerdict verdict;
};

/// JSON report: {"fmkit_version", "git_commit", "input", "rows", "classes", "positive_label",
/// "verdict", "metrics": [MetricValue...], "groups": [...], "notes": [...], "gates": [...],
/// "baseline": {...}|null, "policy": {...}}. Undefined values are `null` with their "reason".
nlohmann::json audit_report_to_json(const AuditReport& report);

/// One MetricValue as JSON (every field; `value`/`lower`/`upper`/`threshold`/`fair` null when
/// unset).
nlohmann::json metric_value_to_json(const MetricValue& metric);

/// Reads the "metrics" of a JSON report written by audit_report_to_json() (the baseline). Throws
/// fm::DataError "path: ..." when the file is missing, not JSON, or not an fm-audit report.
std::vector<MetricValue> read_baseline_metrics(const std::string& path);

/// Text summary: input, groups table with flags, key aggregates (and every gated metric) with
/// intervals, gate results, baseline comparison, and a final "verdict: PASS|WARN|FAIL (...)" line.
std::string format_audit_text(const AuditReport& report);

/// Markdown for a CI job summary: verdict, gate table, baseline table, per-group table.
std::string format_audit_markdown(const AuditReport& report);

/// JUnit XML: one <testsuite name="fm-audit"> with a <testcase> per gate outcome (and per
/// baseline entry), <failure message=...> for failures, warnings in <system-out>; XML-escaped.
std::string format_audit_junit(const AuditReport& report);

/// CSV: header `column,group,metric,label,threshold,reference,value,lower,upper,fair,flags,reason`,
/// one row per per-group metric value (aggregates have an empty group).
std::string format_audit_csv(const AuditReport& report);

/// `text` with XML's five special characters escaped, control characters other than tab/LF/CR
/// dropped (XML 1.0 cannot carry them) and invalid UTF-8 bytes replaced by U+FFFD.
std::string xml_escape(const std::string& text);

/// Every metric of the catalogue (fairness/catalogue.h) as documentation: "text" (fm-audit
/// --list-metrics: per metric a line name, convention, direction, then its formula and a line
/// "defined when ...; values; classes") or "markdown" (the README's table: metric | convention |
/// formula | direction | defined when | values | multi-class), each followed by the conventions.
/// Throws fm::ConfigError for another format.
std::string format_metric_catalogue(const std::string& format);

/// Writes the main report (policy.outputs.format) to outputs.output or `out`, and the JUnit, CSV
/// and Markdown files when set, each with write_file_atomic after creating its parent directory.
void write_audit_outputs(const AuditReport& report, std::ostream& out);

}  // namespace fm

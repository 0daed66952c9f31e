// Human-facing audit reports (text, Markdown), JUnit XML and CSV.

#include <algorithm>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fm/data/csv.h"
#include "fm/fairness/catalogue.h"
#include "fm/report/audit_report.h"

namespace fm {
namespace {

std::vector<std::string> names_of(std::initializer_list<MetricId> metrics) {
  std::vector<std::string> names;
  for (MetricId id : metrics) names.emplace_back(metric_info(id).name);
  return names;
}

// Per-group columns of the groups table, when the audit computed them.
const std::vector<std::string> kGroupTableMetrics =
    names_of({MetricId::kSelectionRate, MetricId::kTpr, MetricId::kFpr, MetricId::kFnr,
              MetricId::kSubgroupAuc, MetricId::kBpsnAuc, MetricId::kBnspAuc});

std::string upper(const char* s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i > 0 ? sep : "") + items[i];
  return out;
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string number_or_dash(const std::optional<double>& v) {
  return v ? format_metric_number(*v) : "—";
}

std::string shortest(double v) { return nlohmann::json(v).dump(); }

std::string optional_cell(const std::optional<double>& v) { return v ? shortest(*v) : ""; }

// Renders rows as aligned columns (text) or a Markdown table.
std::string table(const std::vector<std::vector<std::string>>& rows, bool markdown) {
  if (rows.empty()) return "";
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (markdown) {
      out << "|";
      for (const auto& cell : rows[r]) {
        std::string escaped;
        for (char ch : cell) escaped += ch == '|' ? std::string("\\|") : std::string(1, ch);
        out << " " << escaped << " |";
      }
      out << "\n";
      if (r == 0) {
        out << "|";
        for (std::size_t c = 0; c < rows[r].size(); ++c) out << "---|";
        out << "\n";
      }
    } else {
      std::string line;
      for (std::size_t c = 0; c < rows[r].size(); ++c) {
        line += c + 1 == rows[r].size() ? rows[r][c] : pad(rows[r][c], width[c] + 2);
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << "  " << line << "\n";
    }
  }
  return out.str();
}

// The label and threshold the groups table shows: those of the first per-group value, so that a
// multi-threshold or one-vs-rest audit shows one consistent slice.
struct Slice {
  std::string label;
  std::optional<double> threshold;
};

Slice display_slice(const AuditResult& result) {
  for (const MetricValue& m : result.metrics) {
    if (!m.group.empty() && m.reference.empty()) return {m.label, m.threshold};
  }
  return {};
}

bool same_threshold(const std::optional<double>& a, const std::optional<double>& b) {
  return a.has_value() == b.has_value() && (!a || *a == *b);
}

std::vector<std::vector<std::string>> group_rows(const AuditResult& result) {
  const Slice slice = display_slice(result);
  std::map<std::tuple<std::string, std::string, std::string>, const MetricValue*> values;
  std::vector<std::string> present;
  for (const MetricValue& m : result.metrics) {
    // Threshold-free values (AUCs) belong to every slice.
    if (m.group.empty() || !m.reference.empty() || m.label != slice.label ||
        (m.threshold && !same_threshold(m.threshold, slice.threshold))) {
      continue;
    }
    if (std::find(kGroupTableMetrics.begin(), kGroupTableMetrics.end(), m.name) ==
        kGroupTableMetrics.end()) {
      continue;
    }
    values.emplace(std::make_tuple(m.column, m.group, m.name), &m);
    if (std::find(present.begin(), present.end(), m.name) == present.end())
      present.push_back(m.name);
  }
  std::vector<std::string> names;
  for (const auto& n : kGroupTableMetrics) {
    if (std::find(present.begin(), present.end(), n) != present.end()) names.push_back(n);
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"column", "group", "count", "positives", "negatives"};
  header.insert(header.end(), names.begin(), names.end());
  header.push_back("flags");
  rows.push_back(header);
  for (const GroupSummary& g : result.groups) {
    if (!slice.label.empty() && !g.label.empty() && g.label != slice.label) continue;
    std::vector<std::string> row = {
        g.column, g.group.empty() ? "(missing)" : g.group, format_metric_number(g.count),
        format_metric_number(g.positives), format_metric_number(g.negatives)};
    for (const auto& n : names) {
      const auto it = values.find(std::make_tuple(g.column, g.group, n));
      row.push_back(it == values.end() ? "" : number_or_dash(it->second->value));
    }
    row.push_back(join(g.flags, ","));
    rows.push_back(row);
  }
  return rows;
}

std::string interval(const MetricValue& m) {
  if (!m.lower || !m.upper) return "";
  return "[" + format_metric_number(*m.lower) + ", " + format_metric_number(*m.upper) + "]";
}

// The aggregates a reader looks at first; the JSON and CSV reports hold every value.
const std::vector<std::string> kKeyAggregates = names_of(
    {MetricId::kAccuracy, MetricId::kSelectionRate, MetricId::kTpr, MetricId::kFpr,
     MetricId::kOverallAuc, MetricId::kDemographicParityDifference,
     MetricId::kDemographicParityRatio, MetricId::kEqualizedOddsDifference,
     MetricId::kEqualOpportunityDifference, MetricId::kDisparateImpact, MetricId::kFinalBiasScore});

std::vector<std::vector<std::string>> aggregate_rows(const AuditReport& report) {
  std::vector<std::string> shown = kKeyAggregates;
  for (const Gate& g : report.policy.gates) shown.push_back(g.metric);
  std::vector<std::vector<std::string>> rows = {{"metric", "value", "interval", "note"}};
  for (const MetricValue& m : report.result.metrics) {
    if (!m.group.empty() || std::find(shown.begin(), shown.end(), m.name) == shown.end()) continue;
    std::string note = m.value ? join(m.flags, ",") : m.reason;
    if (m.fair) note += std::string(note.empty() ? "" : "; ") + (*m.fair ? "fair" : "unfair");
    rows.push_back({metric_key(m), number_or_dash(m.value), interval(m), note});
  }
  return rows;
}

std::vector<std::vector<std::string>> gate_rows(const AuditVerdict& v) {
  std::vector<std::vector<std::string>> rows = {{"status", "gate", "detail"}};
  for (const GateOutcome& g : v.gates)
    rows.push_back({upper(gate_status_name(g.status)), g.name, g.message});
  return rows;
}

std::vector<std::vector<std::string>> baseline_rows(const BaselineComparison& b) {
  std::vector<std::vector<std::string>> rows = {
      {"status", "metric", "baseline", "current", "detail"}};
  for (const BaselineEntry& e : b.entries) {
    rows.push_back({upper(gate_status_name(e.status)), metric_key(e.current),
                    number_or_dash(e.baseline), number_or_dash(e.current.value), e.message});
  }
  return rows;
}

std::string verdict_summary(const AuditVerdict& v) {
  std::size_t failed = 0, warned = 0;
  for (const GateOutcome& g : v.gates) {
    failed += g.status == GateStatus::kFail;
    warned += g.status == GateStatus::kWarn;
  }
  std::string text = upper(gate_status_name(v.status)) + " (" + std::to_string(v.gates.size()) +
                     " gate" + (v.gates.size() == 1 ? "" : "s") + ": " +
                     std::to_string(v.gates.size() - failed - warned) + " passed, " +
                     std::to_string(failed) + " failed, " + std::to_string(warned) + " warned";
  if (v.baseline) {
    std::size_t regressions = 0;
    for (const BaselineEntry& e : v.baseline->entries) regressions += e.status == GateStatus::kFail;
    text += "; baseline: " + std::to_string(regressions) + " regression" +
            (regressions == 1 ? "" : "s");
  }
  return text + ")";
}

std::string header_line(const AuditReport& r) {
  std::string text = r.input;
  if (!r.classes.empty()) text += "; classes " + join(r.classes, ", ");
  text += r.positive_label.empty() ? "; one-vs-rest" : "; positive " + r.positive_label;
  return text;
}

std::string junit_case(const std::string& classname, const std::string& name, GateStatus status,
                       const std::string& message, const std::string& detail) {
  std::string out = "    <testcase classname=\"" + xml_escape(classname) + "\" name=\"" +
                    xml_escape(name) + "\" time=\"0\"";
  if (status == GateStatus::kPass) return out + "/>\n";
  out += ">\n";
  if (status == GateStatus::kFail) {
    out += "      <failure message=\"" + xml_escape(message) + "\" type=\"fairness\">" +
           xml_escape(detail) + "</failure>\n";
  } else {
    out += "      <system-out>WARN: " + xml_escape(message) + "</system-out>\n";
  }
  return out + "    </testcase>\n";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        default:
          if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // Copy a well-formed UTF-8 sequence; anything else becomes U+FFFD.
    std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (s[i + k] & 0xC0) == 0x80;
    if (ok && len == 2) ok = c >= 0xC2;
    if (ok && len == 3) ok = !(c == 0xE0 && s[i + 1] < 0xA0) && !(c == 0xED && s[i + 1] >= 0xA0);
    if (ok && len == 4)
      ok = c <= 0xF4 && !(c == 0xF0 && s[i + 1] < 0x90) && !(c == 0xF4 && s[i + 1] >= 0x90);
    if (ok) {
      out.append(text, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string format_audit_text(const AuditReport& r) {
  std::ostringstream out;
  out << "fm-audit: " << header_line(r) << "\n\n";
  if (!r.result.groups.empty()) out << "Groups\n" << table(group_rows(r.result), false) << "\n";
  const auto aggregates = aggregate_rows(r);
  if (aggregates.size() > 1) {
    out << "Key aggregates (every value: --format json or --csv)\n"
        << table(aggregates, false) << "\n";
  }
  if (!r.verdict.gates.empty()) out << "Gates\n" << table(gate_rows(r.verdict), false) << "\n";
  if (r.verdict.baseline) {
    out << "Baseline " << r.verdict.baseline->file << "\n"
        << table(baseline_rows(*r.verdict.baseline), false) << "\n";
  }
  if (!r.result.notes.empty()) {
    out << "Notes\n";
    for (const auto& note : r.result.notes) out << "  - " << note << "\n";
    out << "\n";
  }
  out << "verdict: " << verdict_summary(r.verdict) << "\n";
  return out.str();
}

std::string format_audit_markdown(const AuditReport& r) {
  std::ostringstream out;
  out << "## fm-audit: " << verdict_summary(r.verdict) << "\n\n";
  out << header_line(r) << "\n\n";
  if (!r.verdict.gates.empty()) out << "### Gates\n\n" << table(gate_rows(r.verdict), true) << "\n";
  if (r.verdict.baseline) {
    out << "### Baseline `" << r.verdict.baseline->file << "`\n\n"
        << table(baseline_rows(*r.verdict.baseline), true) << "\n";
  }
  if (!r.result.groups.empty())
    out << "### Groups\n\n" << table(group_rows(r.result), true) << "\n";
  const auto aggregates = aggregate_rows(r);
  if (aggregates.size() > 1) out << "### Key aggregates\n\n" << table(aggregates, true) << "\n";
  if (!r.result.notes.empty()) {
    out << "### Notes\n\n";
    for (const auto& note : r.result.notes) out << "- " << note << "\n";
  }
  return out.str();
}

std::string format_audit_junit(const AuditReport& r) {
  std::size_t tests = 0, failures = 0;
  std::string cases;
  for (const GateOutcome& g : r.verdict.gates) {
    ++tests;
    failures += g.status == GateStatus::kFail;
    std::string detail;
    for (const GateCheck& c : g.checks) {
      if (c.status != GateStatus::kPass) detail += c.message + "\n";
    }
    cases += junit_case("fm-audit.gates", g.name, g.status, g.message,
                        detail.empty() ? g.message : detail);
  }
  if (r.verdict.baseline) {
    for (const BaselineEntry& e : r.verdict.baseline->entries) {
      ++tests;
      failures += e.status == GateStatus::kFail;
      cases +=
          junit_case("fm-audit.baseline", metric_key(e.current), e.status, e.message, e.message);
    }
  }
  const std::string counts = " tests=\"" + std::to_string(tests) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"0\" skipped=\"0\"";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"fm-audit\"" + counts + ">\n";
  out += "  <testsuite name=\"fm-audit\"" + counts + " time=\"0\">\n";
  out += "    <properties>\n      <property name=\"input\" value=\"" + xml_escape(r.input) +
         "\"/>\n      <property name=\"verdict\" value=\"" + gate_status_name(r.verdict.status) +
         "\"/>\n    </properties>\n";
  out += cases;
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string format_audit_csv(const AuditReport& r) {
  std::string out = csv_row({"column", "group", "metric", "label", "threshold", "reference",
                             "value", "lower", "upper", "fair", "flags", "reason"});
  for (const MetricValue& m : r.result.metrics) {
    out += csv_row({m.column, m.group, m.name, m.label, optional_cell(m.threshold), m.reference,
                    optional_cell(m.value), optional_cell(m.lower), optional_cell(m.upper),
                    m.fair ? (*m.fair ? "true" : "false") : "", join(m.flags, ";"), m.reason});
  }
  return out;
}

}  // namespace fm

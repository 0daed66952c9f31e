// The metric catalogue as documentation: `fm-audit --list-metrics` (text) and the README's table
// (Markdown), both printed from fairness/catalogue.h so that they cannot drift from the audit.

#include <algorithm>
#include <string>

#include "fm/error.h"
#include "fm/fairness/catalogue.h"
#include "fm/report/audit_report.h"

namespace fm {
namespace {

std::string direction_text(const MetricInfo& m) {
  std::string text = metric_direction_name(m.direction);
  if (m.column_direction != m.direction) {
    text += std::string(" (column value: ") + metric_direction_name(m.column_direction) + ")";
  }
  return text;
}

std::string scope_text(const MetricInfo& m) {
  std::string text;
  for (const auto& [present, part] :
       {std::make_pair(m.scope.group, "per group"), std::make_pair(m.scope.column, "per column"),
        std::make_pair(m.scope.overall, "overall")}) {
    if (present) text += (text.empty() ? "" : ", ") + std::string(part);
  }
  if (!m.uses_threshold) text += "; threshold-free";
  if (m.run_only) text += "; run audits only";
  return text;
}

// `star` is how the worst-case label "*" is written.
std::string classes_text(const MetricInfo& m, const std::string& star) {
  switch (m.classes) {
    case ClassAggregate::kPerClass:
      return "per class";
    case ClassAggregate::kWorstMax:
      return "per class; " + star + ": max";
    case ClassAggregate::kWorstMin:
      return "per class; " + star + ": min";
    case ClassAggregate::kWorstMaxAbs:
      return "per class; " + star + ": largest |value|, signed";
    case ClassAggregate::kAllClasses:
      break;
  }
  return "for the positive class, or one value over every class";
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string markdown_catalogue() {
  std::string out =
      "| metric | convention | formula | direction | defined when | values | multi-class |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const MetricInfo& m : metric_catalogue()) {
    const std::string cells[] = {"`" + std::string(m.name) + "`",
                                 m.convention,
                                 m.formula,
                                 direction_text(m),
                                 m.defined_when,
                                 scope_text(m),
                                 classes_text(m, "`*`")};
    out += "|";
    for (const std::string& cell : cells) out += " " + markdown_cell(cell) + " |";
    out += "\n";
  }
  out += "\nConventions (field `convention` of every value):\n\n";
  for (const MetricConvention& c : metric_conventions()) {
    out += "- `" + std::string(c.key) + "`: " + c.source + "\n";
  }
  return out;
}

std::string text_catalogue() {
  std::size_t name_width = 0, convention_width = 0;
  for (const MetricInfo& m : metric_catalogue()) {
    name_width = std::max(name_width, std::string(m.name).size());
    convention_width = std::max(convention_width, std::string(m.convention).size());
  }
  auto pad = [](std::string s, std::size_t width) {
    s.resize(std::max(s.size(), width), ' ');
    return s;
  };
  std::string out =
      "Metrics (name, convention, direction; formula; defined: when; values; classes)\n\n";
  for (const MetricInfo& m : metric_catalogue()) {
    out += pad(m.name, name_width + 2) + pad(m.convention, convention_width + 2) +
           direction_text(m) + "\n";
    out += "    " + std::string(m.formula) + "\n";
    out += "    defined: " + std::string(m.defined_when) + "; " + scope_text(m) + "; " +
           classes_text(m, "\"*\"") + "\n";
  }
  out += "\nConventions:\n";
  for (const MetricConvention& c : metric_conventions()) {
    out += "  " + pad(c.key, convention_width + 2) + c.source + "\n";
  }
  return out;
}

}  // namespace

std::string format_metric_catalogue(const std::string& format) {
  if (format == "text") return text_catalogue();
  if (format == "markdown") return markdown_catalogue();
  throw ConfigError("metric catalogue format must be \"text\" or \"markdown\" (got \"" + format +
                    "\")");
}

}  // namespace fm

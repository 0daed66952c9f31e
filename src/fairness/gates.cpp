#include "fm/fairness/gates.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "fm/error.h"

namespace fm {
namespace {

// Values compared with min/max are computed in double precision from counts; a bound written as
// 0.1 in JSON must not fail on a value that prints as 0.1.
constexpr double kCompareTolerance = 1e-12;
constexpr double kThresholdTolerance = 1e-9;

GateStatus worst(GateStatus a, GateStatus b) {
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

GateStatus undefined_status(const AuditPolicy& policy) {
  if (policy.undefined == "pass") return GateStatus::kPass;
  if (policy.undefined == "warn") return GateStatus::kWarn;
  return GateStatus::kFail;
}

std::string precise(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", v);
  return buffer;
}

// Key for matching values across reports: the identifying fields at full precision.
std::string match_key(const MetricValue& m) {
  std::string key = m.name + '\x1f' + m.column + '\x1f' + m.group + '\x1f' + m.reference + '\x1f' +
                    m.label + '\x1f';
  if (m.threshold) key += precise(*m.threshold);
  return key;
}

bool matches(const Gate& gate, const MetricValue& m) {
  if (m.name != gate.metric) return false;
  if (gate.per_group && m.group.empty()) return false;
  if (gate.column && m.column != *gate.column) return false;
  if (gate.group && m.group != *gate.group) return false;
  if (gate.label && m.label != *gate.label) return false;
  if (gate.threshold &&
      (!m.threshold || std::fabs(*m.threshold - *gate.threshold) > kThresholdTolerance)) {
    return false;
  }
  return true;
}

std::string bound_text(const Gate& gate) {
  std::string text;
  if (gate.min && gate.max) {
    text = format_metric_number(*gate.min) + " <= " + gate.metric +
           " <= " + format_metric_number(*gate.max);
  } else if (gate.max) {
    text = gate.metric + " <= " + format_metric_number(*gate.max);
  } else if (gate.min) {
    text = gate.metric + " >= " + format_metric_number(*gate.min);
  } else {
    text = gate.metric;
  }
  return text;
}

std::string gate_filters(const Gate& gate) {
  std::vector<std::string> parts;
  const auto shown = [](const std::string& v) { return v.empty() ? std::string("\"\"") : v; };
  if (gate.column) parts.push_back("column=" + shown(*gate.column));
  if (gate.group) parts.push_back("group=" + shown(*gate.group));
  if (gate.label) parts.push_back("label=" + *gate.label);
  if (gate.threshold) parts.push_back("t=" + format_metric_number(*gate.threshold));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::string gate_name(const Gate& gate, const std::string& where) {
  std::string name = bound_text(gate);
  std::string filters = where.empty() ? gate_filters(gate) : where;
  if (!filters.empty()) name += " [" + filters + "]";
  if (gate.on != "value") name += " (" + gate.on + ")";
  return name;
}

GateCheck check_value(const Gate& gate, const MetricValue& m, const AuditPolicy& policy) {
  GateCheck check;
  check.metric = m;
  const std::string key = metric_key(m);
  if (!m.value) {
    check.status = undefined_status(policy);
    check.message = key + " is undefined" + (m.reason.empty() ? "" : " (" + m.reason + ")") +
                    "; undefined counts as " + policy.undefined;
    return check;
  }
  if (gate.on == "lower_bound") {
    check.checked = m.lower;
  } else if (gate.on == "upper_bound") {
    check.checked = m.upper;
  } else {
    check.checked = m.value;
  }
  if (!check.checked) {
    check.status = undefined_status(policy);
    check.message =
        key + " has no " + gate.on + " (no bootstrap interval); counts as " + policy.undefined;
    return check;
  }
  const double v = *check.checked;
  const std::string shown =
      key + (gate.on == "value" ? "" : " " + gate.on) + " " + format_metric_number(v);
  if (gate.max && v > *gate.max + kCompareTolerance) {
    check.status = GateStatus::kFail;
    check.message = shown + " > max " + format_metric_number(*gate.max);
  } else if (gate.min && v < *gate.min - kCompareTolerance) {
    check.status = GateStatus::kFail;
    check.message = shown + " < min " + format_metric_number(*gate.min);
  } else {
    check.message = shown;
  }
  return check;
}

GateOutcome make_outcome(const Gate& gate, const std::string& where,
                         std::vector<GateCheck> checks) {
  GateOutcome outcome;
  outcome.gate = gate;
  outcome.name = gate_name(gate, where);
  outcome.checks = std::move(checks);
  std::size_t failed = 0, warned = 0;
  const GateCheck* first_bad = nullptr;
  for (const GateCheck& c : outcome.checks) {
    outcome.status = worst(outcome.status, c.status);
    if (c.status == GateStatus::kFail) ++failed;
    if (c.status == GateStatus::kWarn) ++warned;
  }
  // The message names the worst check: the largest violation of a bound, else the first bad one.
  double worst_violation = -1;
  for (const GateCheck& c : outcome.checks) {
    if (c.status != outcome.status || c.status == GateStatus::kPass) continue;
    double violation = 0;
    if (c.checked && gate.max) violation = std::max(violation, *c.checked - *gate.max);
    if (c.checked && gate.min) violation = std::max(violation, *gate.min - *c.checked);
    if (!first_bad || violation > worst_violation) {
      first_bad = &c;
      worst_violation = violation;
    }
  }
  const std::size_t n = outcome.checks.size();
  if (first_bad) {
    const std::size_t count = outcome.status == GateStatus::kFail ? failed : warned;
    outcome.message = first_bad->message;
    if (n > 1) {
      outcome.message += " (" + std::to_string(count) + " of " + std::to_string(n) + " values " +
                         (outcome.status == GateStatus::kFail ? "failed" : "warned") + ")";
    }
  } else if (n == 1) {
    outcome.message = outcome.checks.front().message;
  } else {
    outcome.message = "all " + std::to_string(n) + " values pass";
  }
  return outcome;
}

GateOutcome no_match(const Gate& gate) {
  GateOutcome outcome;
  outcome.gate = gate;
  outcome.name = gate_name(gate, "");
  outcome.status = GateStatus::kFail;
  std::string filters = gate_filters(gate);
  outcome.message =
      "matched no value of metric \"" + gate.metric + "\"" + (gate.per_group ? " per group" : "") +
      (filters.empty() ? "" : " with " + filters) + " (check the metric name, column and label)";
  return outcome;
}

double worsening(MetricDirection direction, double current, double base) {
  switch (direction) {
    case MetricDirection::kHigherIsWorse:
      return current - base;
    case MetricDirection::kLowerIsWorse:
      return base - current;
    case MetricDirection::kAwayFromOne:
      return std::fabs(current - 1) - std::fabs(base - 1);
    case MetricDirection::kAwayFromZero:
      return std::fabs(current) - std::fabs(base);
    case MetricDirection::kAnyChange:
      break;
  }
  return std::fabs(current - base);
}

// policy.baseline.direction: a direction name, or "auto" for `automatic`.
MetricDirection baseline_direction(const std::string& configured, MetricDirection automatic) {
  for (MetricDirection d : {MetricDirection::kHigherIsWorse, MetricDirection::kLowerIsWorse}) {
    if (configured == metric_direction_name(d)) return d;
  }
  return automatic;
}

MetricDirection gate_direction(const Gate& gate, const MetricValue& m) {
  if (gate.max && !gate.min) return MetricDirection::kHigherIsWorse;
  if (gate.min && !gate.max) return MetricDirection::kLowerIsWorse;
  return metric_direction(m);
}

}  // namespace

Gate parse_gate(const std::string& text) {
  for (const char* op : {"<=", ">="}) {
    const std::size_t at = text.find(op);
    if (at == std::string::npos || at == 0) continue;
    Gate gate;
    gate.metric = text.substr(0, at);
    const std::string number = text.substr(at + 2);
    std::size_t used = 0;
    double bound = 0;
    try {
      bound = std::stod(number, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != number.size()) break;
    (op[0] == '<' ? gate.max : gate.min) = bound;
    return gate;
  }
  throw ConfigError("--gate " + text + ": expected METRIC<=NUMBER or METRIC>=NUMBER");
}

const char* gate_status_name(GateStatus status) {
  switch (status) {
    case GateStatus::kPass:
      return "pass";
    case GateStatus::kWarn:
      return "warn";
    case GateStatus::kFail:
      break;
  }
  return "fail";
}

MetricDirection metric_direction(const MetricValue& m) {
  const MetricInfo* info = find_metric(m.name);
  if (info == nullptr) return MetricDirection::kAnyChange;
  return m.group.empty() ? info->column_direction : info->direction;
}

std::string format_metric_number(double value) {
  if (std::isnan(value)) return "nan";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

std::string metric_key(const MetricValue& m) {
  std::vector<std::string> parts;
  if (!m.column.empty()) parts.push_back(m.group.empty() ? m.column : m.column + "=" + m.group);
  if (!m.reference.empty()) parts.push_back("ref=" + m.reference);
  if (!m.label.empty()) parts.push_back("label=" + m.label);
  if (m.threshold) parts.push_back("t=" + format_metric_number(*m.threshold));
  if (parts.empty()) return m.name;
  std::string out = m.name + "[";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i > 0 ? ", " : "") + parts[i];
  return out + "]";
}

std::vector<GateOutcome> evaluate_gates(const AuditResult& result, const AuditPolicy& policy) {
  std::vector<GateOutcome> outcomes;
  for (const Gate& gate : policy.gates) {
    if (!gate.per_group) {
      std::vector<GateCheck> checks;
      for (const MetricValue& m : result.metrics) {
        if (matches(gate, m)) checks.push_back(check_value(gate, m, policy));
      }
      outcomes.push_back(checks.empty() ? no_match(gate)
                                        : make_outcome(gate, "", std::move(checks)));
      continue;
    }
    std::vector<std::pair<std::string, std::string>> order;
    std::map<std::pair<std::string, std::string>, std::vector<GateCheck>> by_group;
    for (const MetricValue& m : result.metrics) {
      if (!matches(gate, m)) continue;
      const auto key = std::make_pair(m.column, m.group);
      auto [it, inserted] = by_group.try_emplace(key);
      if (inserted) order.push_back(key);
      it->second.push_back(check_value(gate, m, policy));
    }
    if (order.empty()) outcomes.push_back(no_match(gate));
    for (const auto& key : order) {
      outcomes.push_back(
          make_outcome(gate, key.first + "=" + key.second, std::move(by_group[key])));
    }
  }
  return outcomes;
}

BaselineComparison compare_with_baseline(const AuditResult& current,
                                         const std::vector<MetricValue>& baseline,
                                         const AuditPolicy& policy) {
  BaselineComparison comparison;
  comparison.file = policy.baseline.file;

  // The values to compare, each with the direction its gate implies (first gate wins).
  std::vector<std::pair<const MetricValue*, MetricDirection>> selected;
  std::set<std::string> seen;
  const bool gated = policy.baseline.metrics == "gated" && !policy.gates.empty();
  for (const MetricValue& m : current.metrics) {
    if (gated) {
      for (const Gate& gate : policy.gates) {
        if (matches(gate, m) && seen.insert(match_key(m)).second) {
          selected.emplace_back(&m, gate_direction(gate, m));
          break;
        }
      }
    } else if (m.group.empty() && seen.insert(match_key(m)).second) {
      selected.emplace_back(&m, metric_direction(m));
    }
  }

  std::map<std::string, const MetricValue*> base_by_key;
  for (const MetricValue& m : baseline) base_by_key.emplace(match_key(m), &m);

  for (const auto& [metric, auto_direction] : selected) {
    BaselineEntry entry;
    entry.current = *metric;
    entry.direction = baseline_direction(policy.baseline.direction, auto_direction);
    const std::string key = metric_key(*metric);
    const auto it = base_by_key.find(match_key(*metric));
    if (it == base_by_key.end()) {
      entry.status = GateStatus::kWarn;
      entry.message = key + " is not in the baseline";
    } else if (!it->second->value || !metric->value) {
      entry.baseline = it->second->value;
      entry.status = GateStatus::kWarn;
      entry.message = key + " is undefined in the " +
                      (metric->value ? "baseline" : "current audit") + "; not compared";
    } else {
      const double c = *metric->value, b = *it->second->value;
      entry.baseline = b;
      entry.delta = c - b;
      entry.worsening = worsening(entry.direction, c, b);
      entry.allowed = policy.baseline.max_increase;
      if (policy.baseline.max_relative_increase) {
        entry.allowed =
            std::max(entry.allowed, *policy.baseline.max_relative_increase * std::fabs(b));
      }
      const std::string change =
          key + " " + format_metric_number(b) + " -> " + format_metric_number(c);
      if (*entry.worsening > entry.allowed + kCompareTolerance) {
        entry.status = GateStatus::kFail;
        entry.message = change + ": worse by " + format_metric_number(*entry.worsening) +
                        " (allowed " + format_metric_number(entry.allowed) + ", " +
                        metric_direction_name(entry.direction) + ")";
      } else {
        entry.message = change;
      }
    }
    comparison.status = worst(comparison.status, entry.status);
    comparison.entries.push_back(std::move(entry));
  }
  return comparison;
}

AuditVerdict judge_audit(const AuditResult& result, const AuditPolicy& policy,
                         const std::optional<std::vector<MetricValue>>& baseline) {
  AuditVerdict verdict;
  verdict.gates = evaluate_gates(result, policy);
  for (const GateOutcome& g : verdict.gates) verdict.status = worst(verdict.status, g.status);
  if (baseline) {
    verdict.baseline = compare_with_baseline(result, *baseline, policy);
    verdict.status = worst(verdict.status, verdict.baseline->status);
  }
  return verdict;
}

}  // namespace fm

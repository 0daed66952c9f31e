// The label "*" values of a multi-class audit: for each column-level aggregate, the worst value
// over the classes audited one-vs-rest, by the rule its catalogue row names.

#include <cmath>

#include "audit_plan.h"

namespace fm::audit_detail {

bool worse_over_classes(ClassAggregate rule, double x, double current) {
  switch (rule) {
    case ClassAggregate::kWorstMax:
      return x > current;
    case ClassAggregate::kWorstMin:
      return x < current;
    case ClassAggregate::kWorstMaxAbs:
      return std::abs(x) > std::abs(current);
    case ClassAggregate::kPerClass:
    case ClassAggregate::kAllClasses:
      break;
  }
  return false;
}

namespace {

// The "*" entry of an aggregate: named like the first class's value, with the worst value over the
// classes (nullopt: undefined for every class).
MetricValue worst_entry(MetricValue first_class, std::optional<double> worst, bool some_undefined) {
  MetricValue m = std::move(first_class);
  m.label = "*";
  m.flags.clear();
  m.reason.clear();
  m.fair.reset();
  m.lower.reset();
  m.upper.reset();
  if (worst) {
    m.value = worst;
    if (some_undefined) m.flags.push_back("excludes_undefined_classes");
  } else {
    m.value.reset();
    m.reason = undefined_reason(Undefined::kEveryClassUndefined, "");
  }
  return m;
}

}  // namespace

void apply_worst(const Plan& plan, std::vector<double>& values) {
  for (std::size_t k = 0; k < plan.worst_slots.size(); ++k) {
    double worst = kNaN;
    for (std::size_t slot : plan.worst_slots[k]) {
      const double x = values[slot];
      if (std::isnan(x)) continue;
      if (std::isnan(worst) || worse_over_classes(plan.worst_rule[k], x, worst)) worst = x;
    }
    values.push_back(worst);
  }
}

void add_worst_entries(Plan& plan, const std::vector<Emitter::AggregateSlot>& aggregate_slots,
                       std::vector<MetricValue>& metrics, std::vector<double>& values) {
  if (!plan.multi) return;
  const std::size_t per_label = aggregate_slots.size() / plan.labels.size();
  for (std::size_t k = 0; k < per_label; ++k) {
    std::vector<std::size_t> slots;
    for (std::size_t l = 0; l < plan.labels.size(); ++l) {
      slots.push_back(aggregate_slots[l * per_label + k].slot);
    }
    plan.worst_slots.push_back(slots);
    plan.worst_rule.push_back(metric_info(aggregate_slots[k].metric).classes);
  }
  const std::size_t first_new = values.size();
  apply_worst(plan, values);
  for (std::size_t k = 0; k < plan.worst_slots.size(); ++k) {
    const double x = values[first_new + k];
    bool some_undefined = false;
    for (std::size_t slot : plan.worst_slots[k]) some_undefined |= !metrics[slot].value.has_value();
    metrics.push_back(worst_entry(metrics[plan.worst_slots[k][0]],
                                  std::isnan(x) ? std::nullopt : std::optional<double>(x),
                                  some_undefined));
  }
}

void add_worst_with_intervals(
    const std::vector<std::vector<Emitter::AggregateSlot>>& slots_per_label,
    std::vector<MetricValue>& metrics) {
  if (slots_per_label.empty()) return;
  for (std::size_t k = 0; k < slots_per_label[0].size(); ++k) {
    const ClassAggregate rule = metric_info(slots_per_label[0][k].metric).classes;
    const MetricValue* worst = nullptr;
    bool some_undefined = false;
    for (const auto& slots : slots_per_label) {
      const MetricValue& candidate = metrics[slots[k].slot];
      if (!candidate.value) {
        some_undefined = true;
        continue;
      }
      if (worst == nullptr || worse_over_classes(rule, *candidate.value, *worst->value)) {
        worst = &candidate;
      }
    }
    MetricValue m = worst_entry(metrics[slots_per_label[0][k].slot],
                                worst ? worst->value : std::nullopt, some_undefined);
    if (worst) {
      m.lower = worst->lower;
      m.upper = worst->upper;
    }
    metrics.push_back(std::move(m));
  }
}

}  // namespace fm::audit_detail

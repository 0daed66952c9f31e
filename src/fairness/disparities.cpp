// The count-based metrics of one weighted confusion table, in plan order: per-group rates, then
// per column Fairlearn's spreads, AIF360's comparisons with the reference group and Aequitas'
// disparities. Runs once for the point estimate and once per bootstrap resample.

#include <algorithm>
#include <cmath>

#include "audit_plan.h"

namespace fm::audit_detail {
namespace {

using Rates = std::array<RateValue, kNumGroupRates>;

struct Spread {
  RateValue difference, ratio, difference_to_overall, ratio_to_overall;
  bool partial = false;
};

// Fairlearn's between_groups / to_overall spreads of one rate over the groups of a column.
Spread spread(const std::vector<RateValue>& rates, const std::vector<double>& counts,
              const RateValue& overall) {
  Spread s;
  double lo = 0, hi = 0, max_dev = 0, min_ratio = 0;
  bool any = false, any_ratio = false;
  for (std::size_t g = 0; g < rates.size(); ++g) {
    if (!(counts[g] > 0)) continue;
    if (!rates[g].defined()) {
      s.partial = true;
      continue;
    }
    const double r = rates[g].value;
    lo = any ? std::min(lo, r) : r;
    hi = any ? std::max(hi, r) : r;
    any = true;
    if (overall.defined()) {
      max_dev = std::max(max_dev, std::abs(r - overall.value));
      if (!(r == 0 && overall.value == 0)) {
        const double q =
            (r == 0 || overall.value == 0) ? 0.0 : std::min(r / overall.value, overall.value / r);
        min_ratio = any_ratio ? std::min(min_ratio, q) : q;
        any_ratio = true;
      }
    }
  }
  if (!any) {
    const RateValue none{kNaN, Undefined::kNoComparableGroups};
    s.difference = s.ratio = s.difference_to_overall = s.ratio_to_overall = none;
    return s;
  }
  s.difference = {hi - lo, Undefined::kNone};
  s.ratio =
      hi > 0 ? RateValue{lo / hi, Undefined::kNone} : RateValue{kNaN, Undefined::kZeroMaximum};
  if (!overall.defined()) {
    s.difference_to_overall = s.ratio_to_overall = {kNaN, overall.why};
  } else {
    s.difference_to_overall = {max_dev, Undefined::kNone};
    s.ratio_to_overall = any_ratio ? RateValue{min_ratio, Undefined::kNone}
                                   : RateValue{kNaN, Undefined::kZeroMaximum};
  }
  return s;
}

RateValue max_of(const RateValue& a, const RateValue& b) {
  if (!a.defined()) return a;
  if (!b.defined()) return b;
  return {std::max(a.value, b.value), Undefined::kNone};
}

RateValue min_of(const RateValue& a, const RateValue& b) {
  if (!a.defined()) return a;
  if (!b.defined()) return b;
  return {std::min(a.value, b.value), Undefined::kNone};
}

RateValue difference_vs(const RateValue& g, const RateValue& ref) {
  if (!g.defined()) return g;
  if (!ref.defined()) return {kNaN, Undefined::kUndefinedReference};
  return {g.value - ref.value, Undefined::kNone};
}

RateValue ratio_vs(const RateValue& g, const RateValue& ref) {
  if (!g.defined()) return g;
  if (!ref.defined()) return {kNaN, Undefined::kUndefinedReference};
  if (ref.value == 0) return {kNaN, Undefined::kZeroReference};
  return {g.value / ref.value, Undefined::kNone};
}

bool about_reference(const RateValue& x) {
  return x.why == Undefined::kUndefinedReference || x.why == Undefined::kZeroReference;
}

// Fairlearn's named aggregates: which rate's spread, and which part of it.
enum class SpreadOf { kSelectionRate, kTpr, kTprAndFpr };
enum class SpreadPart { kDifference, kRatio, kDifferenceToOverall, kRatioToOverall };
struct NamedAggregate {
  MetricId metric;
  SpreadOf of;
  SpreadPart part;
};
constexpr NamedAggregate kNamedAggregates[] = {
    {MetricId::kDemographicParityDifference, SpreadOf::kSelectionRate, SpreadPart::kDifference},
    {MetricId::kDemographicParityRatio, SpreadOf::kSelectionRate, SpreadPart::kRatio},
    {MetricId::kEqualizedOddsDifference, SpreadOf::kTprAndFpr, SpreadPart::kDifference},
    {MetricId::kEqualizedOddsRatio, SpreadOf::kTprAndFpr, SpreadPart::kRatio},
    {MetricId::kEqualOpportunityDifference, SpreadOf::kTpr, SpreadPart::kDifference},
    {MetricId::kEqualOpportunityRatio, SpreadOf::kTpr, SpreadPart::kRatio},
    {MetricId::kDemographicParityDifferenceToOverall, SpreadOf::kSelectionRate,
     SpreadPart::kDifferenceToOverall},
    {MetricId::kDemographicParityRatioToOverall, SpreadOf::kSelectionRate,
     SpreadPart::kRatioToOverall},
    {MetricId::kEqualizedOddsDifferenceToOverall, SpreadOf::kTprAndFpr,
     SpreadPart::kDifferenceToOverall},
    {MetricId::kEqualizedOddsRatioToOverall, SpreadOf::kTprAndFpr, SpreadPart::kRatioToOverall},
    {MetricId::kEqualOpportunityDifferenceToOverall, SpreadOf::kTpr,
     SpreadPart::kDifferenceToOverall},
    {MetricId::kEqualOpportunityRatioToOverall, SpreadOf::kTpr, SpreadPart::kRatioToOverall},
};

RateValue part_of(const Spread& s, SpreadPart part) {
  switch (part) {
    case SpreadPart::kDifference:
      return s.difference;
    case SpreadPart::kRatio:
      return s.ratio;
    case SpreadPart::kDifferenceToOverall:
      return s.difference_to_overall;
    case SpreadPart::kRatioToOverall:
      break;
  }
  return s.ratio_to_overall;
}

// max − min and min / max of each rate over the groups of a column.
struct RateSpread {
  GroupRate rate;
  MetricId difference, ratio;
};
constexpr RateSpread kRateSpreads[] = {
    {GroupRate::kSelectionRate, MetricId::kSelectionRateDifference, MetricId::kSelectionRateRatio},
    {GroupRate::kTpr, MetricId::kTprDifference, MetricId::kTprRatio},
    {GroupRate::kFpr, MetricId::kFprDifference, MetricId::kFprRatio},
    {GroupRate::kTnr, MetricId::kTnrDifference, MetricId::kTnrRatio},
    {GroupRate::kFnr, MetricId::kFnrDifference, MetricId::kFnrRatio},
    {GroupRate::kPpv, MetricId::kPpvDifference, MetricId::kPpvRatio},
    {GroupRate::kNpv, MetricId::kNpvDifference, MetricId::kNpvRatio},
    {GroupRate::kFdr, MetricId::kFdrDifference, MetricId::kFdrRatio},
    {GroupRate::kFor, MetricId::kForDifference, MetricId::kForRatio},
    {GroupRate::kAccuracy, MetricId::kAccuracyDifference, MetricId::kAccuracyRatio},
    {GroupRate::kF1, MetricId::kF1Difference, MetricId::kF1Ratio},
};

struct AequitasDisparity {
  MetricId metric;
  GroupRate rate;
};
constexpr AequitasDisparity kAequitasDisparities[] = {
    {MetricId::kDisparityPpr, GroupRate::kPpr},
    {MetricId::kDisparityPprev, GroupRate::kSelectionRate},
    {MetricId::kDisparityPrecision, GroupRate::kPpv},
    {MetricId::kDisparityFdr, GroupRate::kFdr},
    {MetricId::kDisparityFor, GroupRate::kFor},
    {MetricId::kDisparityFpr, GroupRate::kFpr},
    {MetricId::kDisparityFnr, GroupRate::kFnr},
    {MetricId::kDisparityTpr, GroupRate::kTpr},
    {MetricId::kDisparityTnr, GroupRate::kTnr},
    {MetricId::kDisparityNpv, GroupRate::kNpv},
};

// What the emitters of one column under one view share.
struct ColumnView {
  const Plan& plan;
  const Column& column;
  std::size_t offset;                                  // first table row of the column
  std::size_t reference;                               // AIF360's privileged group
  const std::vector<Rates>& rates;                     // per table row
  const std::vector<double>& counts;                   // weighted rows per group of the column
  const std::string& label;                            // positive class
  std::optional<double> threshold;                     // of the view
  const std::vector<std::vector<std::string>>& flags;  // per table row, for the label

  const Rates& of(std::size_t group) const { return rates[offset + group]; }
  Emitter::Entry aggregate(MetricId metric, const std::string& reference_name) const {
    return {metric, &column.name, &kEmpty, &reference_name, &label, threshold, nullptr};
  }
  Emitter::Entry per_group(MetricId metric, std::size_t group,
                           const std::string& reference_name) const {
    return {metric, &column.name, &column.groups[group], &reference_name,
            &label, threshold,    &flags[offset + group]};
  }
};

// Every rate of every table row (`base` = the view's table).
void compute_rates(const Plan& plan, const Cell* base, std::vector<Rates>& rates) {
  for (std::size_t col = 0; col < plan.columns.size(); ++col) {
    const auto& c = plan.columns[col];
    double all_pp = 0;
    for (std::size_t g = 0; g < c.groups.size(); ++g) {
      all_pp += base[plan.offset[col] + g][1] + base[plan.offset[col] + g][3];
    }
    for (std::size_t g = 0; g < c.groups.size(); ++g) {
      const std::size_t row = plan.offset[col] + g;
      const ConfusionCounts cc = to_counts(base[row]);
      for (int r = 0; r < kNumGroupRates; ++r) {
        rates[row][r] = group_rate(static_cast<GroupRate>(r), cc, all_pp);
      }
    }
  }
}

// Per-group rates of every column (the whole data included); the threshold-free ones (counts,
// prevalence) once per class, with the first view of the class.
void emit_group_rates(const Plan& plan, const View& view, bool first_of_label,
                      const std::vector<Rates>& rates, Emitter& out) {
  const std::string& label = plan.label_names[view.label_pos];
  const auto& flags = plan.flags[view.label_pos];
  std::array<bool, kNumGroupRates> uses_threshold{};
  for (int r = 0; r < kNumGroupRates; ++r) {
    uses_threshold[r] = metric_info(static_cast<GroupRate>(r)).uses_threshold;
  }
  for (std::size_t col = 0; col < plan.columns.size(); ++col) {
    const auto& c = plan.columns[col];
    for (std::size_t g = 0; g < c.groups.size(); ++g) {
      const std::size_t row = plan.offset[col] + g;
      for (int r = 0; r < kNumGroupRates; ++r) {
        if (!uses_threshold[r] && !first_of_label) continue;
        const Emitter::Entry e{static_cast<GroupRate>(r),
                               &c.name,
                               &c.groups[g],
                               &kEmpty,
                               &label,
                               uses_threshold[r] ? view.threshold : std::optional<double>(),
                               &flags[row]};
        out.add(e, rates[row][r], c.groups[g]);
      }
    }
  }
}

void emit_fairlearn(const ColumnView& cv, std::vector<RateValue>& scratch, Emitter& out) {
  const std::size_t ng = cv.column.groups.size();
  auto spread_of = [&](GroupRate r) {
    scratch.resize(ng);
    for (std::size_t g = 0; g < ng; ++g) scratch[g] = cv.of(g)[static_cast<int>(r)];
    return spread(scratch, cv.counts, cv.rates[0][static_cast<int>(r)]);
  };
  const Spread sr = spread_of(GroupRate::kSelectionRate);
  const Spread tpr = spread_of(GroupRate::kTpr);
  const Spread fpr = spread_of(GroupRate::kFpr);
  for (const NamedAggregate& a : kNamedAggregates) {
    RateValue v;
    bool partial = false;
    if (a.of == SpreadOf::kTprAndFpr) {
      const bool ratio = a.part == SpreadPart::kRatio || a.part == SpreadPart::kRatioToOverall;
      v = ratio ? min_of(part_of(tpr, a.part), part_of(fpr, a.part))
                : max_of(part_of(tpr, a.part), part_of(fpr, a.part));
      partial = tpr.partial || fpr.partial;
    } else {
      const Spread& s = a.of == SpreadOf::kSelectionRate ? sr : tpr;
      v = part_of(s, a.part);
      partial = s.partial;
    }
    // Reports are compared byte for byte: the reasons of differences to overall have always been
    // worded for the whole data, the others for the column.
    const std::string& subject =
        a.part == SpreadPart::kDifferenceToOverall ? kEmpty : cv.column.name;
    out.add(cv.aggregate(a.metric, kEmpty), v, subject, true, partial);
  }
  for (const RateSpread& rs : kRateSpreads) {
    const Spread s = spread_of(rs.rate);
    out.add(cv.aggregate(rs.difference, kEmpty), s.difference, cv.column.name, true, s.partial);
    out.add(cv.aggregate(rs.ratio, kEmpty), s.ratio, cv.column.name, true, s.partial);
  }
}

// AIF360 with privileged = the column's reference group: per other group, then the column's worst
// case (largest |difference|, smallest min(DI, 1/DI)).
void emit_aif360(const ColumnView& cv, Emitter& out) {
  const std::string& ref_name = cv.column.groups[cv.reference];
  const Rates& rr = cv.of(cv.reference);
  const int ksr = static_cast<int>(GroupRate::kSelectionRate);
  const int ktpr = static_cast<int>(GroupRate::kTpr);
  const int kfpr = static_cast<int>(GroupRate::kFpr);
  RateValue worst_spd{kNaN, Undefined::kNoComparableGroups},
      worst_di = worst_spd, worst_aod = worst_spd, worst_eod = worst_spd;
  auto keep_abs = [](RateValue& worst, const RateValue& x) {
    if (x.defined() && (!worst.defined() || std::abs(x.value) > std::abs(worst.value))) {
      worst = x;
    }
  };
  for (std::size_t g = 0; g < cv.column.groups.size(); ++g) {
    if (g == cv.reference) continue;
    const Rates& gr = cv.of(g);
    auto subject = [&](const RateValue& x) -> const std::string& {
      return about_reference(x) ? ref_name : cv.column.groups[g];
    };
    const RateValue spd = difference_vs(gr[ksr], rr[ksr]);
    const RateValue di = ratio_vs(gr[ksr], rr[ksr]);
    RateValue aod = difference_vs(gr[kfpr], rr[kfpr]);
    const RateValue dtpr = difference_vs(gr[ktpr], rr[ktpr]);
    if (aod.defined()) {
      aod = dtpr.defined() ? RateValue{0.5 * (aod.value + dtpr.value), Undefined::kNone} : dtpr;
    }
    out.add(cv.per_group(MetricId::kStatisticalParityDifference, g, ref_name), spd, subject(spd));
    out.add(cv.per_group(MetricId::kDisparateImpact, g, ref_name), di, subject(di));
    out.add(cv.per_group(MetricId::kAverageOddsDifference, g, ref_name), aod, subject(aod));
    out.add(cv.per_group(MetricId::kEqualOpportunityDifferenceAif360, g, ref_name), dtpr,
            subject(dtpr));
    keep_abs(worst_spd, spd);
    keep_abs(worst_aod, aod);
    keep_abs(worst_eod, dtpr);
    if (di.defined()) {
      const double sym = di.value == 0 ? 0.0 : std::min(di.value, 1.0 / di.value);
      if (!worst_di.defined() || sym < worst_di.value) worst_di = {sym, Undefined::kNone};
    }
  }
  const std::string& column = cv.column.name;
  out.add(cv.aggregate(MetricId::kStatisticalParityDifference, ref_name), worst_spd, column, true);
  out.add(cv.aggregate(MetricId::kDisparateImpact, ref_name), worst_di, column, true);
  out.add(cv.aggregate(MetricId::kAverageOddsDifference, ref_name), worst_aod, column, true);
  out.add(cv.aggregate(MetricId::kEqualOpportunityDifferenceAif360, ref_name), worst_eod, column,
          true);
}

// Aequitas: every group against the reference (the configured or majority group, or with
// reference_rule "min_metric" the group with the lowest defined rate), the reference included.
void emit_aequitas(const ColumnView& cv, bool point, Emitter& out) {
  const AuditOptions& o = *cv.plan.options;
  const std::size_t ng = cv.column.groups.size();
  const bool lowest_is_reference =
      cv.plan.min_metric && !std::any_of(o.reference_groups.begin(), o.reference_groups.end(),
                                         [&](const auto& p) { return p.first == cv.column.name; });
  for (const AequitasDisparity& ad : kAequitasDisparities) {
    const int r = static_cast<int>(ad.rate);
    std::size_t aref = cv.reference;
    bool have_ref = true;
    if (lowest_is_reference) {
      have_ref = false;
      for (std::size_t g = 0; g < ng; ++g) {
        const RateValue& x = cv.of(g)[r];
        if (cv.counts[g] > 0 && x.defined() && (!have_ref || x.value < cv.of(aref)[r].value)) {
          aref = g;
          have_ref = true;
        }
      }
    }
    const std::string& aref_name = have_ref ? cv.column.groups[aref] : kEmpty;
    for (std::size_t g = 0; g < ng; ++g) {
      const RateValue d = have_ref ? ratio_vs(cv.of(g)[r], cv.of(aref)[r])
                                   : RateValue{kNaN, Undefined::kNoComparableGroups};
      std::optional<bool> fair;
      if (point && d.defined()) fair = d.value >= o.tau && d.value <= 1.0 / o.tau;
      const std::string& subject = !have_ref            ? cv.column.name
                                   : about_reference(d) ? aref_name
                                                        : cv.column.groups[g];
      out.add(cv.per_group(ad.metric, g, aref_name), d, subject, false, false, fair);
    }
  }
}

}  // namespace

void Emitter::describe(const Entry& e, RateValue v, const std::string& subject, bool aggregate,
                       bool partial, std::optional<bool> fair) {
  if (aggregate && aggregate_slots) aggregate_slots->push_back({values->size() - 1, e.metric});
  const MetricInfo& info = metric_info(e.metric);
  MetricValue m;
  m.name = info.name;
  m.convention = info.convention;
  m.column = *e.column;
  m.group = *e.group;
  m.reference = *e.reference;
  m.label = *e.label;
  m.threshold = e.threshold;
  if (v.defined()) {
    m.value = v.value;
  } else {
    m.reason = undefined_reason(v.why, subject);
  }
  if (e.flags) m.flags = *e.flags;
  if (partial) m.flags.push_back("excludes_undefined_groups");
  if (v.defined()) m.fair = fair;
  meta->push_back(std::move(m));
}

void evaluate(const Plan& plan, const Table& table, Emitter& out) {
  const bool point = out.meta != nullptr;
  std::vector<Rates> rates(plan.table_size);
  std::vector<RateValue> scratch;
  std::vector<double> counts;
  for (std::size_t v = 0; v < plan.views.size(); ++v) {
    const View& view = plan.views[v];
    const bool first_of_label = v == 0 || plan.views[v - 1].label_pos != view.label_pos;
    const Cell* base = &table[v * plan.table_size];
    compute_rates(plan, base, rates);
    emit_group_rates(plan, view, first_of_label, rates, out);
    for (std::size_t col = 1; col < plan.columns.size(); ++col) {
      const Column& c = plan.columns[col];
      const std::size_t off = plan.offset[col];
      counts.resize(c.groups.size());
      for (std::size_t g = 0; g < c.groups.size(); ++g)
        counts[g] = to_counts(base[off + g]).count();
      const ColumnView cv{plan,
                          c,
                          off,
                          static_cast<std::size_t>(plan.reference[col]),
                          rates,
                          counts,
                          plan.label_names[view.label_pos],
                          view.threshold,
                          plan.flags[view.label_pos]};
      emit_fairlearn(cv, scratch, out);
      emit_aif360(cv, out);
      emit_aequitas(cv, point, out);
    }
  }
}

}  // namespace fm::audit_detail

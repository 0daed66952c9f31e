#pragma once
/// \file
/// The metric catalogue: one row for every metric name an audit can report, with the tool whose
/// definition it follows, a one-line formula, the direction in which it gets worse, when it is
/// defined, where its values sit (per group, per column, overall) and how multi-class audits
/// combine it over classes. compute_audit names and labels its values from here, the gates and
/// the baseline comparison read the directions, policy validation the names ("did you mean"), and
/// `fm-audit --list-metrics` / the README print it (fm/report/audit_report.h,
/// format_metric_catalogue).
///
/// A leaf header: standard library only, so any layer (config validation included) may include
/// it. The definitions behind the formulas (binary view, reference groups, Fairlearn's
/// between_groups, the AUCs and their intervals, flags) are in fairness/metrics.h.

#include <string>
#include <vector>

namespace fm {

/// Every metric, in catalogue order (the order of metric_catalogue() and known_metric_names()).
/// The first sixteen are the per-group rates (fm::GroupRate, fairness/metrics.h).
enum class MetricId : int {
  // Per-group confusion-matrix rates.
  kCount,
  kPositives,
  kNegatives,
  kPrevalence,
  kSelectionRate,
  kTpr,
  kFpr,
  kTnr,
  kFnr,
  kPpv,
  kNpv,
  kFdr,
  kFor,
  kAccuracy,
  kF1,
  kPpr,
  // Fairlearn's named aggregates.
  kDemographicParityDifference,
  kDemographicParityDifferenceToOverall,
  kDemographicParityRatio,
  kDemographicParityRatioToOverall,
  kEqualizedOddsDifference,
  kEqualizedOddsDifferenceToOverall,
  kEqualizedOddsRatio,
  kEqualizedOddsRatioToOverall,
  kEqualOpportunityDifference,
  kEqualOpportunityDifferenceToOverall,
  kEqualOpportunityRatio,
  kEqualOpportunityRatioToOverall,
  // Fairlearn-style max − min and min / max of each rate.
  kSelectionRateDifference,
  kSelectionRateRatio,
  kTprDifference,
  kTprRatio,
  kFprDifference,
  kFprRatio,
  kTnrDifference,
  kTnrRatio,
  kFnrDifference,
  kFnrRatio,
  kPpvDifference,
  kPpvRatio,
  kNpvDifference,
  kNpvRatio,
  kFdrDifference,
  kFdrRatio,
  kForDifference,
  kForRatio,
  kAccuracyDifference,
  kAccuracyRatio,
  kF1Difference,
  kF1Ratio,
  // AIF360 ClassificationMetric.
  kStatisticalParityDifference,
  kDisparateImpact,
  kAverageOddsDifference,
  kEqualOpportunityDifferenceAif360,
  // Aequitas disparities.
  kDisparityPpr,
  kDisparityPprev,
  kDisparityPrecision,
  kDisparityFdr,
  kDisparityFor,
  kDisparityFpr,
  kDisparityFnr,
  kDisparityTpr,
  kDisparityTnr,
  kDisparityNpv,
  // Borkan et al. 2019 bias AUCs.
  kOverallAuc,
  kSubgroupAuc,
  kBpsnAuc,
  kBnspAuc,
  kSubgroupAucPowerMean,
  kBpsnAucPowerMean,
  kBnspAucPowerMean,
  kFinalBiasScore,
  // Counterfactual token fairness (run audits only).
  kCtfMeanAbsDelta,
  kCtfFlipRate,
};
/// Number of MetricId values (rows of the catalogue).
constexpr int kNumMetrics = static_cast<int>(MetricId::kCtfFlipRate) + 1;

/// Which way a metric gets worse (for baseline comparisons).
enum class MetricDirection {
  kHigherIsWorse,  ///< non-negative differences, error rates, counterfactual deltas
  kLowerIsWorse,   ///< min/max ratios, AUCs, rates of correct decisions
  kAwayFromOne,    ///< signed ratios whose ideal is 1 (Aequitas disparities, AIF360 DI)
  kAwayFromZero,   ///< signed differences whose ideal is 0 (AIF360)
  kAnyChange       ///< anything else (selection rate, counts): a change either way
};

/// "higher_is_worse", "lower_is_worse", "away_from_one", "away_from_zero" or "any_change".
const char* metric_direction_name(MetricDirection direction);

/// Where a metric's values sit in an audit result (MetricValue::column and ::group).
struct MetricScope {
  /// One value per group (group set): of each group column and intersection, or per identity-term
  /// pair for the counterfactual metrics.
  bool group = false;
  /// One value per group column or intersection (group "").
  bool column = false;
  /// One value for the whole data (column "" and group "").
  bool overall = false;
};

/// How a multi-class audit (every class one-vs-rest) reports the metric.
enum class ClassAggregate {
  kPerClass,     ///< one value per class (MetricValue::label), no worst case
  kWorstMax,     ///< per class, plus label "*": the largest value over classes
  kWorstMin,     ///< per class, plus label "*": the smallest value over classes
  kWorstMaxAbs,  ///< per class, plus label "*": the signed value with the largest |value|
  kAllClasses    ///< one value over the whole class distribution (label "") when no positive class
};

/// One row of the catalogue.
struct MetricInfo {
  MetricId id;
  /// MetricValue::name, e.g. "equalized_odds_difference".
  const char* name;
  /// MetricValue::convention: the tool whose definition the value follows ("fmkit", "fairlearn",
  /// "aif360", "aequitas", "borkan2019", "garg2019"; metric_conventions() describes each).
  const char* convention;
  /// One line, in the terms of fairness/metrics.h (tp, fp, fn, tn weighted; g a group, ref the
  /// column's reference group).
  const char* formula;
  /// When the value is defined; otherwise it is undefined (JSON null) with a reason.
  const char* defined_when;
  /// Direction of a value with a group (and of the overall value).
  MetricDirection direction;
  /// Direction of the column-level value (group ""), where the column holds another quantity
  /// than the groups (AIF360's disparate_impact: min(DI, 1/DI)); else equal to `direction`.
  MetricDirection column_direction;
  MetricScope scope;
  ClassAggregate classes;
  /// Depends on the decision rule (y_pred or a threshold; MetricValue::threshold is set when
  /// thresholds are used); false for counts, prevalence, AUCs and counterfactual metrics.
  bool uses_threshold;
  /// Produced only by a run audit (`run` + `data`: the model is queried), never from a
  /// predictions file.
  bool run_only;
};

/// Every metric, indexed by MetricId.
const std::vector<MetricInfo>& metric_catalogue();

/// The row of `id`.
const MetricInfo& metric_info(MetricId id);

/// The row named `name`, or nullptr when no metric has that name.
const MetricInfo* find_metric(const std::string& name);

/// Metric names gates may use, in catalogue order: those compute_audit() produces and the
/// counterfactual ones from a run audit.
const std::vector<std::string>& known_metric_names();

/// A value of MetricInfo::convention and the tool, paper or definition it stands for.
struct MetricConvention {
  const char* key;
  const char* source;
};

/// Every convention the catalogue uses, in first-use order.
const std::vector<MetricConvention>& metric_conventions();

}  // namespace fm

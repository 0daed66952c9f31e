#include "fm/fairness/catalogue.h"

#include <iterator>
#include <unordered_map>

namespace fm {
namespace {

using D = MetricDirection;

constexpr MetricScope kGroupAndOverall{true, false, true};
constexpr MetricScope kGroupOnly{true, false, false};
constexpr MetricScope kColumnOnly{false, true, false};
constexpr MetricScope kGroupAndColumn{true, true, false};
constexpr MetricScope kColumnAndOverall{false, true, true};
constexpr MetricScope kOverallOnly{false, false, true};
constexpr MetricScope kEveryLevel{true, true, true};

constexpr const char* kFmkit = "fmkit";
constexpr const char* kFairlearn = "fairlearn";
constexpr const char* kAif360 = "aif360";
constexpr const char* kAequitas = "aequitas";
constexpr const char* kBorkan = "borkan2019";
constexpr const char* kGarg = "garg2019";

constexpr const char* kAlways = "always";
constexpr const char* kHasRows = "the group has rows";
constexpr const char* kHasPositives = "the group has positives";
constexpr const char* kHasNegatives = "the group has negatives";
constexpr const char* kHasPredictedPositives = "the group has predicted positives";
constexpr const char* kHasPredictedNegatives = "the group has predicted negatives";
constexpr const char* kSpreadDefined =
    "a group of the column with rows has a defined rate (groups whose rate is undefined are "
    "left out, flag excludes_undefined_groups)";
constexpr const char* kRatioDefined = "as the difference, and the largest group rate is > 0";
constexpr const char* kToOverallDefined = "as the difference, and the whole data's rate is defined";
constexpr const char* kRatioToOverallDefined =
    "as the difference to overall, and not every rate (groups and whole data) is 0";
constexpr const char* kBothPartsDefined = "the tpr and the fpr part are both defined";
constexpr const char* kVersusReferenceDefined =
    "the rates of the group and of the reference group are defined (column value: for some "
    "group)";
constexpr const char* kDisparityDefined =
    "the rates of the group and of the reference group are defined, and the reference's is > 0";
constexpr const char* kPowerMeanDefined = "some group of the column has a defined AUC";
constexpr const char* kTermsOccur = "an identity term of the substitution list occurs in the data";

// A row that depends on the decision rule, is produced from predictions, and has one direction.
constexpr MetricInfo row(MetricId id, const char* name, const char* convention, const char* formula,
                         const char* defined_when, D direction, MetricScope scope,
                         ClassAggregate classes) {
  MetricInfo m{};
  m.id = id;
  m.name = name;
  m.convention = convention;
  m.formula = formula;
  m.defined_when = defined_when;
  m.direction = direction;
  m.column_direction = direction;
  m.scope = scope;
  m.classes = classes;
  m.uses_threshold = true;
  m.run_only = false;
  return m;
}

// A per-group rate: every group of every column and intersection, and the whole data.
constexpr MetricInfo rate(MetricId id, const char* name, const char* formula,
                          const char* defined_when, D direction, bool uses_threshold = true,
                          const char* convention = kFmkit) {
  MetricInfo m = row(id, name, convention, formula, defined_when, direction, kGroupAndOverall,
                     ClassAggregate::kPerClass);
  m.uses_threshold = uses_threshold;
  return m;
}

// A Fairlearn aggregate over the groups of a column; the worst class is the one with the largest
// difference or the smallest ratio.
constexpr MetricInfo fairlearn(MetricId id, const char* name, const char* formula,
                               const char* defined_when, D direction) {
  const ClassAggregate worst =
      direction == D::kHigherIsWorse ? ClassAggregate::kWorstMax : ClassAggregate::kWorstMin;
  return row(id, name, kFairlearn, formula, defined_when, direction, kColumnOnly, worst);
}

// An AIF360 comparison with the reference group: per other group, and a column worst case.
constexpr MetricInfo aif360(MetricId id, const char* name, const char* formula,
                            const char* defined_when, D direction, D column_direction,
                            ClassAggregate classes) {
  MetricInfo m = row(id, name, kAif360, formula, defined_when, direction, kGroupAndColumn, classes);
  m.column_direction = column_direction;
  return m;
}

// An Aequitas disparity r_g / r_ref: every group, the reference itself included (value 1).
constexpr MetricInfo aequitas(MetricId id, const char* name, const char* formula) {
  return row(id, name, kAequitas, formula, kDisparityDefined, D::kAwayFromOne, kGroupOnly,
             ClassAggregate::kPerClass);
}

// A threshold-free bias AUC (higher is better) or an aggregate of them.
constexpr MetricInfo borkan(MetricId id, const char* name, const char* formula,
                            const char* defined_when, MetricScope scope, ClassAggregate classes) {
  MetricInfo m = row(id, name, kBorkan, formula, defined_when, D::kLowerIsWorse, scope, classes);
  m.uses_threshold = false;
  return m;
}

// A counterfactual token fairness metric: needs the model, so only a run audit has it.
constexpr MetricInfo counterfactual(MetricId id, const char* name, const char* formula) {
  MetricInfo m = row(id, name, kGarg, formula, kTermsOccur, D::kHigherIsWorse, kEveryLevel,
                     ClassAggregate::kAllClasses);
  m.uses_threshold = false;
  m.run_only = true;
  return m;
}

constexpr MetricInfo kCatalogue[] = {
    rate(MetricId::kCount, "count", "tp + fp + fn + tn (weighted)", kAlways, D::kAnyChange, false),
    rate(MetricId::kPositives, "positives", "tp + fn", kAlways, D::kAnyChange, false),
    rate(MetricId::kNegatives, "negatives", "fp + tn", kAlways, D::kAnyChange, false),
    rate(MetricId::kPrevalence, "prevalence", "(tp + fn) / count", kHasRows, D::kAnyChange, false),
    rate(MetricId::kSelectionRate, "selection_rate",
         "(tp + fp) / count (Fairlearn selection_rate; Aequitas pprev)", kHasRows, D::kAnyChange),
    rate(MetricId::kTpr, "tpr", "tp / (tp + fn) (recall)", kHasPositives, D::kLowerIsWorse),
    rate(MetricId::kFpr, "fpr", "fp / (fp + tn)", kHasNegatives, D::kHigherIsWorse),
    rate(MetricId::kTnr, "tnr", "tn / (fp + tn)", kHasNegatives, D::kLowerIsWorse),
    rate(MetricId::kFnr, "fnr", "fn / (tp + fn)", kHasPositives, D::kHigherIsWorse),
    rate(MetricId::kPpv, "ppv", "tp / (tp + fp) (precision)", kHasPredictedPositives,
         D::kLowerIsWorse),
    rate(MetricId::kNpv, "npv", "tn / (tn + fn)", kHasPredictedNegatives, D::kLowerIsWorse),
    rate(MetricId::kFdr, "fdr", "fp / (tp + fp)", kHasPredictedPositives, D::kHigherIsWorse),
    rate(MetricId::kFor, "for", "fn / (tn + fn) (false omission rate)", kHasPredictedNegatives,
         D::kHigherIsWorse),
    rate(MetricId::kAccuracy, "accuracy", "(tp + tn) / count", kHasRows, D::kLowerIsWorse),
    rate(MetricId::kF1, "f1",
         "2 tp / (2 tp + fp + fn) (= sklearn's f1 with zero_division=0 where only precision or "
         "recall is undefined)",
         "the group has positives or predicted positives", D::kLowerIsWorse),
    rate(MetricId::kPpr, "ppr", "(tp + fp) / (predicted positives of the whole data)",
         "the group has rows and the data has predicted positives", D::kAnyChange, true, kAequitas),

    fairlearn(MetricId::kDemographicParityDifference, "demographic_parity_difference",
              "max_g SR_g - min_g SR_g, SR = selection_rate (method between_groups)",
              kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kDemographicParityDifferenceToOverall,
              "demographic_parity_difference_to_overall",
              "max_g |SR_g - SR_all| (method to_overall; SR_all of the whole data)",
              kToOverallDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kDemographicParityRatio, "demographic_parity_ratio",
              "min_g SR_g / max_g SR_g", kRatioDefined, D::kLowerIsWorse),
    fairlearn(MetricId::kDemographicParityRatioToOverall, "demographic_parity_ratio_to_overall",
              "min_g min(SR_g / SR_all, SR_all / SR_g), leaving out groups with SR_g = SR_all = 0",
              kRatioToOverallDefined, D::kLowerIsWorse),
    fairlearn(MetricId::kEqualizedOddsDifference, "equalized_odds_difference",
              "max(tpr_difference, fpr_difference)", kBothPartsDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kEqualizedOddsDifferenceToOverall, "equalized_odds_difference_to_overall",
              "max of the tpr and fpr differences to overall (max_g |r_g - r_all|)",
              kBothPartsDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kEqualizedOddsRatio, "equalized_odds_ratio", "min(tpr_ratio, fpr_ratio)",
              kBothPartsDefined, D::kLowerIsWorse),
    fairlearn(MetricId::kEqualizedOddsRatioToOverall, "equalized_odds_ratio_to_overall",
              "min of the tpr and fpr ratios to overall", kBothPartsDefined, D::kLowerIsWorse),
    fairlearn(MetricId::kEqualOpportunityDifference, "equal_opportunity_difference",
              "max_g TPR_g - min_g TPR_g (= tpr_difference)", kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kEqualOpportunityDifferenceToOverall,
              "equal_opportunity_difference_to_overall", "max_g |TPR_g - TPR_all|",
              kToOverallDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kEqualOpportunityRatio, "equal_opportunity_ratio",
              "min_g TPR_g / max_g TPR_g (= tpr_ratio)", kRatioDefined, D::kLowerIsWorse),
    fairlearn(MetricId::kEqualOpportunityRatioToOverall, "equal_opportunity_ratio_to_overall",
              "min_g min(TPR_g / TPR_all, TPR_all / TPR_g)", kRatioToOverallDefined,
              D::kLowerIsWorse),

    fairlearn(MetricId::kSelectionRateDifference, "selection_rate_difference",
              "max_g selection_rate_g - min_g selection_rate_g", kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kSelectionRateRatio, "selection_rate_ratio",
              "min_g selection_rate_g / max_g selection_rate_g", kRatioDefined, D::kLowerIsWorse),
    fairlearn(MetricId::kTprDifference, "tpr_difference", "max_g tpr_g - min_g tpr_g",
              kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kTprRatio, "tpr_ratio", "min_g tpr_g / max_g tpr_g", kRatioDefined,
              D::kLowerIsWorse),
    fairlearn(MetricId::kFprDifference, "fpr_difference", "max_g fpr_g - min_g fpr_g",
              kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kFprRatio, "fpr_ratio", "min_g fpr_g / max_g fpr_g", kRatioDefined,
              D::kLowerIsWorse),
    fairlearn(MetricId::kTnrDifference, "tnr_difference", "max_g tnr_g - min_g tnr_g",
              kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kTnrRatio, "tnr_ratio", "min_g tnr_g / max_g tnr_g", kRatioDefined,
              D::kLowerIsWorse),
    fairlearn(MetricId::kFnrDifference, "fnr_difference", "max_g fnr_g - min_g fnr_g",
              kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kFnrRatio, "fnr_ratio", "min_g fnr_g / max_g fnr_g", kRatioDefined,
              D::kLowerIsWorse),
    fairlearn(MetricId::kPpvDifference, "ppv_difference", "max_g ppv_g - min_g ppv_g",
              kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kPpvRatio, "ppv_ratio", "min_g ppv_g / max_g ppv_g", kRatioDefined,
              D::kLowerIsWorse),
    fairlearn(MetricId::kNpvDifference, "npv_difference", "max_g npv_g - min_g npv_g",
              kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kNpvRatio, "npv_ratio", "min_g npv_g / max_g npv_g", kRatioDefined,
              D::kLowerIsWorse),
    fairlearn(MetricId::kFdrDifference, "fdr_difference", "max_g fdr_g - min_g fdr_g",
              kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kFdrRatio, "fdr_ratio", "min_g fdr_g / max_g fdr_g", kRatioDefined,
              D::kLowerIsWorse),
    fairlearn(MetricId::kForDifference, "for_difference", "max_g for_g - min_g for_g",
              kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kForRatio, "for_ratio", "min_g for_g / max_g for_g", kRatioDefined,
              D::kLowerIsWorse),
    fairlearn(MetricId::kAccuracyDifference, "accuracy_difference",
              "max_g accuracy_g - min_g accuracy_g", kSpreadDefined, D::kHigherIsWorse),
    fairlearn(MetricId::kAccuracyRatio, "accuracy_ratio", "min_g accuracy_g / max_g accuracy_g",
              kRatioDefined, D::kLowerIsWorse),
    fairlearn(MetricId::kF1Difference, "f1_difference", "max_g f1_g - min_g f1_g", kSpreadDefined,
              D::kHigherIsWorse),
    fairlearn(MetricId::kF1Ratio, "f1_ratio", "min_g f1_g / max_g f1_g", kRatioDefined,
              D::kLowerIsWorse),

    aif360(MetricId::kStatisticalParityDifference, "statistical_parity_difference",
           "SR_g - SR_ref; column: the signed value with the largest |SPD|",
           kVersusReferenceDefined, D::kAwayFromZero, D::kAwayFromZero,
           ClassAggregate::kWorstMaxAbs),
    aif360(MetricId::kDisparateImpact, "disparate_impact",
           "SR_g / SR_ref; column: min_g min(DI_g, 1/DI_g) (four-fifths rule: >= 0.8 is fair)",
           "as statistical_parity_difference, and SR_ref > 0", D::kAwayFromOne, D::kLowerIsWorse,
           ClassAggregate::kWorstMin),
    aif360(MetricId::kAverageOddsDifference, "average_odds_difference",
           "((FPR_g - FPR_ref) + (TPR_g - TPR_ref)) / 2; column: the signed value with the "
           "largest |AOD|",
           kVersusReferenceDefined, D::kAwayFromZero, D::kAwayFromZero,
           ClassAggregate::kWorstMaxAbs),
    aif360(MetricId::kEqualOpportunityDifferenceAif360, "equal_opportunity_difference_aif360",
           "TPR_g - TPR_ref; column: the signed value with the largest |EOD|",
           kVersusReferenceDefined, D::kAwayFromZero, D::kAwayFromZero,
           ClassAggregate::kWorstMaxAbs),

    aequitas(MetricId::kDisparityPpr, "disparity_ppr", "ppr_g / ppr_ref"),
    aequitas(MetricId::kDisparityPprev, "disparity_pprev",
             "selection_rate_g / selection_rate_ref (pprev)"),
    aequitas(MetricId::kDisparityPrecision, "disparity_precision", "ppv_g / ppv_ref (precision)"),
    aequitas(MetricId::kDisparityFdr, "disparity_fdr", "fdr_g / fdr_ref"),
    aequitas(MetricId::kDisparityFor, "disparity_for", "for_g / for_ref"),
    aequitas(MetricId::kDisparityFpr, "disparity_fpr", "fpr_g / fpr_ref"),
    aequitas(MetricId::kDisparityFnr, "disparity_fnr", "fnr_g / fnr_ref"),
    aequitas(MetricId::kDisparityTpr, "disparity_tpr", "tpr_g / tpr_ref"),
    aequitas(MetricId::kDisparityTnr, "disparity_tnr", "tnr_g / tnr_ref"),
    aequitas(MetricId::kDisparityNpv, "disparity_npv", "npv_g / npv_ref"),

    borkan(MetricId::kOverallAuc, "overall_auc",
           "ROC AUC of the positive score over every row (weighted Mann-Whitney, ties 1/2; = "
           "sklearn roc_auc_score)",
           "the data has positives and negatives", kOverallOnly, ClassAggregate::kPerClass),
    borkan(MetricId::kSubgroupAuc, "subgroup_auc", "AUC over the group's rows",
           "the group has positives and negatives", kGroupOnly, ClassAggregate::kPerClass),
    borkan(MetricId::kBpsnAuc, "bpsn_auc",
           "AUC over the group's negatives and the other rows' positives",
           "the group has negatives and the other rows have positives", kGroupOnly,
           ClassAggregate::kPerClass),
    borkan(MetricId::kBnspAuc, "bnsp_auc",
           "AUC over the group's positives and the other rows' negatives",
           "the group has positives and the other rows have negatives", kGroupOnly,
           ClassAggregate::kPerClass),
    borkan(MetricId::kSubgroupAucPowerMean, "subgroup_auc_power_mean",
           "(mean_g subgroup_auc_g^p)^(1/p), p = power (-5), over the groups with a defined AUC",
           kPowerMeanDefined, kColumnOnly, ClassAggregate::kWorstMin),
    borkan(MetricId::kBpsnAucPowerMean, "bpsn_auc_power_mean", "(mean_g bpsn_auc_g^p)^(1/p)",
           kPowerMeanDefined, kColumnOnly, ClassAggregate::kWorstMin),
    borkan(MetricId::kBnspAucPowerMean, "bnsp_auc_power_mean", "(mean_g bnsp_auc_g^p)^(1/p)",
           kPowerMeanDefined, kColumnOnly, ClassAggregate::kWorstMin),
    borkan(MetricId::kFinalBiasScore, "final_bias_score",
           "0.25 overall_auc + 0.75 mean of the three power means; overall: power means pooled "
           "over the groups of every group column (not intersections)",
           "overall_auc and the three power means are defined", kColumnAndOverall,
           ClassAggregate::kWorstMin),

    counterfactual(MetricId::kCtfMeanAbsDelta, "ctf_mean_abs_delta",
                   "mean |p'(positive) - p(positive)| over identity-term substitutions (total "
                   "variation distance of the class probabilities without a positive class); "
                   "column = term category, group = term pair"),
    counterfactual(MetricId::kCtfFlipRate, "ctf_flip_rate",
                   "share of identity-term substitutions that change the predicted class; "
                   "column = term category, group = term pair"),
};

static_assert(std::size(kCatalogue) == static_cast<std::size_t>(kNumMetrics),
              "one catalogue row per MetricId");

constexpr bool rows_follow_ids() {
  for (int i = 0; i < kNumMetrics; ++i) {
    if (static_cast<int>(kCatalogue[i].id) != i) return false;
  }
  return true;
}
static_assert(rows_follow_ids(), "catalogue rows must be in MetricId order");

}  // namespace

const char* metric_direction_name(MetricDirection direction) {
  switch (direction) {
    case MetricDirection::kHigherIsWorse:
      return "higher_is_worse";
    case MetricDirection::kLowerIsWorse:
      return "lower_is_worse";
    case MetricDirection::kAwayFromOne:
      return "away_from_one";
    case MetricDirection::kAwayFromZero:
      return "away_from_zero";
    case MetricDirection::kAnyChange:
      break;
  }
  return "any_change";
}

const std::vector<MetricInfo>& metric_catalogue() {
  static const std::vector<MetricInfo> rows(std::begin(kCatalogue), std::end(kCatalogue));
  return rows;
}

const MetricInfo& metric_info(MetricId id) { return kCatalogue[static_cast<int>(id)]; }

const MetricInfo* find_metric(const std::string& name) {
  static const std::unordered_map<std::string, const MetricInfo*> by_name = [] {
    std::unordered_map<std::string, const MetricInfo*> map;
    for (const MetricInfo& row : kCatalogue) map.emplace(row.name, &row);
    return map;
  }();
  const auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

const std::vector<std::string>& known_metric_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const MetricInfo& row : kCatalogue) out.emplace_back(row.name);
    return out;
  }();
  return names;
}

const std::vector<MetricConvention>& metric_conventions() {
  static const std::vector<MetricConvention> conventions = {
      {kFmkit, "confusion-matrix rates of one group, as scikit-learn defines them"},
      {kAequitas,
       "Aequitas (Group.get_crosstabs, Bias.get_disparity_*): ppr, and disparities r_g / r_ref "
       "with the tau rule fair = tau <= d <= 1/tau"},
      {kFairlearn,
       "Fairlearn (fairlearn.metrics): method between_groups over the groups with rows, or "
       "to_overall against the whole data"},
      {kAif360,
       "AIF360 ClassificationMetric: privileged = the column's reference group (field "
       "reference), unprivileged = the group"},
      {kBorkan,
       "Borkan et al. 2019, Nuanced Metrics for Measuring Unintended Bias with Real Data for "
       "Text Classification (Jigsaw Unintended Bias benchmark); computed for a class with a "
       "score column; intervals from DeLong's variance and the delta method"},
      {kGarg,
       "Garg et al. 2019, Counterfactual Fairness in Text Classification through Robustness "
       "(identity-term substitutions; run audits only)"},
  };
  return conventions;
}

}  // namespace fm

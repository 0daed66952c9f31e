#pragma once
/// \file
/// Group-fairness metrics as pure functions over weighted confusion counts and scores, the
/// threshold-free text bias AUCs of Borkan et al. 2019, and the deterministic samplers of the
/// bootstrap. No torch.
///
/// Binary view. For a positive label `pos`: y = (y_true == pos); ŷ = (y_pred == pos), or
/// score_pos >= threshold when thresholds are used; score = score of `pos`. tp, fp, fn, tn are
/// sums of sample weights (1 per row without weights).
///
/// Every metric name compute_audit (fairness/audit.h) emits, with its formula and the tool whose
/// definition it follows ("convention"). A value whose denominator is empty is undefined (JSON
/// null) with a reason naming the group, never 0.
///
/// Per group — each group column, each intersection "a&b" (group "x&y"), and the whole data
/// (column "" and group ""); convention "fmkit" unless said otherwise:
///   count           tp + fp + fn + tn (weighted)                          [no threshold]
///   positives       tp + fn                                               [no threshold]
///   negatives       fp + tn                                               [no threshold]
///   prevalence      (tp + fn) / count                                     [no threshold]
///   selection_rate  (tp + fp) / count         (Fairlearn selection_rate; Aequitas "pprev")
///   tpr             tp / (tp + fn)            (recall; undefined: no positives)
///   fpr             fp / (fp + tn)            (undefined: no negatives)
///   tnr             tn / (fp + tn)
///   fnr             fn / (tp + fn)
///   ppv             tp / (tp + fp)            (precision; undefined: no predicted positives)
///   npv             tn / (tn + fn)            (undefined: no predicted negatives)
///   fdr             fp / (tp + fp)
///   for             fn / (tn + fn)            (false omission rate)
///   accuracy        (tp + tn) / count
///   f1              2 tp / (2 tp + fp + fn)   (= sklearn's f1 with zero_division=0 whenever
///                                              precision or recall alone is undefined; undefined
///                                              only when there are no positives and no
///                                              predicted positives)
///   ppr             (tp + fp) / (predicted positives of the whole data)   convention "aequitas"
///
/// Per column aggregates (group ""), convention "fairlearn" (fairlearn.metrics, method
/// "between_groups": over the groups with rows and a defined rate; empty groups are skipped, and a
/// flag "excludes_undefined_groups" says when a group with rows had an undefined rate):
///   demographic_parity_difference   max_g SR_g − min_g SR_g        (SR = selection_rate)
///   demographic_parity_ratio        min_g SR_g / max_g SR_g        (undefined when max is 0)
///   equalized_odds_difference       max(tpr_difference, fpr_difference)
///   equalized_odds_ratio            min(tpr_ratio, fpr_ratio)
///   equal_opportunity_difference    tpr_difference
///   equal_opportunity_ratio         tpr_ratio
///   <rate>_difference, <rate>_ratio for rate in selection_rate, tpr, fpr, tnr, fnr, ppv, npv, fdr,
///                                   for, accuracy, f1: max − min and min / max over groups
///   <name>_to_overall               for each of the six named aggregates above, Fairlearn's
///                                   method "to_overall": difference = max_g |r_g − r_overall|,
///                                   ratio = min_g min(r_g / r_all, r_all / r_g) (a group with
///                                   r_g = r_all = 0 has ratio 1)
///
/// AIF360 (convention "aif360"; ClassificationMetric with privileged = the column's reference
/// group, unprivileged = `group`; field `reference` names the privileged group):
///   statistical_parity_difference          SR_g − SR_ref
///   disparate_impact                       SR_g / SR_ref        (undefined when SR_ref = 0)
///   average_odds_difference                ½ [(FPR_g − FPR_ref) + (TPR_g − TPR_ref)]
///   equal_opportunity_difference_aif360    TPR_g − TPR_ref
/// emitted per non-reference group, and per column (group "") as the worst case over groups:
/// the signed value with the largest |SPD|, |AOD|, |EOD|; for disparate_impact the column value
/// is min_g min(DI_g, 1/DI_g) (the four-fifths rule reads it directly: ≥ 0.8 is fair).
///
/// Aequitas (convention "aequitas"; Group.get_crosstabs + Bias.get_disparity_*), per group
/// including the reference group itself (value 1):
///   disparity_<r> = r_g / r_ref  for r in ppr, pprev (= selection_rate), precision (= ppv), fdr,
///   for, fpr, fnr, tpr, tnr, npv; `fair` = tau <= d <= 1/tau. Undefined when r_ref = 0 or r_g is
///   undefined.
///
/// Reference group per column: AuditOptions::reference_groups when given; otherwise by
/// `reference_rule`: "majority" = the group with the largest (weighted) count; "min_metric" =
/// for each Aequitas rate the group with the lowest defined value (AIF360 then uses the majority
/// group); "given" = only configured references, a column without one falls back to "majority"
/// and a note says so.
///
/// Threshold-free bias AUCs (convention "borkan2019"; Borkan et al. 2019, "Nuanced Metrics for
/// Measuring Unintended Bias with Real Data for Text Classification", the Jigsaw Unintended Bias
/// benchmark), when the positive label has a score:
///   overall_auc                 AUC over all rows (column "")
///   subgroup_auc                AUC over the group's rows
///   bpsn_auc                    AUC over the group's negatives + the other rows' positives
///   bnsp_auc                    AUC over the group's positives + the other rows' negatives
///   subgroup_auc_power_mean,    M_p = (mean_g m_g^p)^(1/p), p = AuditOptions::power (−5), over
///   bpsn_auc_power_mean,          the groups of the column with a defined AUC (column ""
///   bnsp_auc_power_mean           pools the groups of every plain group column, not intersections)
///   final_bias_score            0.25 overall_auc + 0.75 mean(the three power means); per column,
///                               and over every plain group column (column "") as in the benchmark
/// AUC = weighted Mann–Whitney statistic: Σ_{i pos, j neg} w_i w_j [s_i > s_j] + ½ [s_i = s_j],
/// divided by W_pos W_neg (= sklearn.metrics.roc_auc_score with sample_weight); undefined when a
/// class is missing. Their intervals are normal intervals A ± z·se: se of one AUC from DeLong's
/// variance (placement values, weighted: Σ w_i² (V_i − A)² / W² · m/(m − 1) per class, m = rows of
/// the class); se of the power means and the final bias score from the same placements by the
/// delta method (the influence of each row summed over every AUC it enters, which keeps the
/// covariance of the AUCs that share background rows). Clipped to [0, 1].
///
/// Multi-class (no positive label, more than two classes): everything above once per class
/// (one-vs-rest, field `label`), plus for every column-level aggregate a worst case over classes
/// with label "*": max for differences, max |·| (signed) for AIF360 differences, min for ratios,
/// disparate impact, AUCs, power means and final_bias_score.
///
/// Flags on a group (GroupSummary and every per-group metric of it): "small_group" (fewer rows
/// than min_group_size), "few_positives", "few_negatives" (fewer rows of the class than
/// min_group_positives / min_group_negatives), "empty" (no rows: an intersection cell). The flags
/// count rows, not weights.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fm {

/// Weighted confusion counts of one group for one positive label and one decision rule.
struct ConfusionCounts {
  double tp = 0, fp = 0, fn = 0, tn = 0;
  /// tp + fp + fn + tn.
  double count() const { return tp + fp + fn + tn; }
};

/// The per-group quantities, in the order compute_audit emits them.
enum class GroupRate : int {
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
  kPpr
};
/// Number of GroupRate values.
constexpr int kNumGroupRates = 16;

/// Metric name of a rate ("count", "selection_rate", "tpr", ..., "ppr").
const char* group_rate_name(GroupRate rate);

/// Why a value is undefined.
enum class Undefined : uint8_t {
  kNone,                     ///< defined
  kNoRows,                   ///< the group has no rows (or zero total weight)
  kNoPositives,              ///< tp + fn = 0
  kNoNegatives,              ///< fp + tn = 0
  kNoPredictedPositives,     ///< tp + fp = 0
  kNoPredictedNegatives,     ///< tn + fn = 0
  kNoPositivesNorPredicted,  ///< 2 tp + fp + fn = 0 (f1)
  kNoPredictedPositivesAll,  ///< no predicted positives in the whole data (ppr)
  kOneClass,                 ///< an AUC's positive or negative set is empty
  kNoComparableGroups,       ///< no group of the column (the subject) has a defined value
  kUndefinedReference,       ///< the value of the reference group (the subject) is undefined
  kZeroReference,            ///< the reference group's (the subject's) rate is 0
  kZeroMaximum,              ///< every group of the column (the subject) has rate 0
  kEveryClassUndefined,      ///< worst case over classes: undefined for every class
};

/// A value that may be undefined; `value` is NaN exactly when `why != kNone`.
struct RateValue {
  double value = 0;
  Undefined why = Undefined::kNone;
  /// True when defined.
  bool defined() const { return why == Undefined::kNone; }
};

/// One per-group rate from the counts (formulas in the file comment). `all_predicted_positives`
/// is the weighted number of predicted positives in the whole data (for ppr only).
RateValue group_rate(GroupRate rate, const ConfusionCounts& c, double all_predicted_positives);

/// One-line reason for an undefined value; `subject` is the group ("" = the whole data), or the
/// column / reference group for the codes that say so, e.g. `no positives in group "muslim"`.
std::string undefined_reason(Undefined why, const std::string& group);

/// Weighted ROC AUC (Mann–Whitney with average ranks for ties) with DeLong's variance.
struct AucValue {
  RateValue auc;        ///< undefined (kOneClass) when a class is missing
  double variance = 0;  ///< DeLong variance (weighted placements, see the file comment)
};

/// AUC of `scores` for labels `y` (nonzero = positive), weights `w` (empty = 1 each), like
/// sklearn.metrics.roc_auc_score(y, scores, sample_weight=w). O(n log n).
AucValue roc_auc(const std::vector<double>& scores, const std::vector<uint8_t>& y,
                 const std::vector<double>& w);

/// Generalized power mean (mean_i x_i^p)^(1/p) of positive values; p = 0 is the geometric
/// mean. Undefined (nullopt) for an empty input; 0 when some x_i = 0 and p < 0.
std::optional<double> power_mean(const std::vector<double>& xs, double p);

/// Quantile function of the standard normal distribution (Acklam's rational approximation with
/// one Halley step, |error| < 1e-12), 0 < q < 1.
double normal_quantile(double q);

/// Percentile of `xs` with numpy's default linear interpolation (numpy.percentile(xs, 100 q)).
/// Reorders `xs`. Undefined for an empty input.
std::optional<double> percentile(std::vector<double>& xs, double q);

/// Deterministic pseudo-random generator of the bootstrap (xoshiro256**, seeded through
/// splitmix64), so that one seed gives the same intervals on every machine and standard library.
class Rng {
 public:
  /// Seeds the state from `seed` and a stream number (e.g. the resample index).
  explicit Rng(uint64_t seed, uint64_t stream = 0);
  /// Next 64 random bits.
  uint64_t next();
  /// Uniform double in (0, 1) with 53 random bits (never exactly 0 or 1).
  double uniform();
  /// Standard normal (Marsaglia's polar method).
  double normal();
  /// Gamma(shape, 1), shape > 0 (Marsaglia & Tsang 2000, with the shape < 1 boost).
  double gamma(double shape);
  /// Exact Binomial(n, p): inversion when n·min(p, 1−p) < 16, else Devroye's recursion on the
  /// median order statistic of n uniforms (a Beta variate from two gammas), which halves n.
  int64_t binomial(int64_t n, double p);
  /// Exact Poisson(mean): inversion for mean < 16, else Ahrens & Dieter's gamma recursion.
  int64_t poisson(double mean);

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

/// One multinomial draw of `n` over cells with probabilities counts[c] / Σ counts (conditional
/// binomials in cell order); writes the drawn counts into `out` (resized).
void multinomial(Rng& rng, int64_t n, const std::vector<int64_t>& counts,
                 std::vector<int64_t>& out);

}  // namespace fm

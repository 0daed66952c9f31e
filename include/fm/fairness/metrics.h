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
/// Every metric name compute_audit (fairness/audit.h) emits is a row of the metric catalogue
/// (fairness/catalogue.h, `fm-audit --list-metrics`): its formula, the tool whose definition it
/// follows ("convention"), its direction, when it is defined, where its values sit and how a
/// multi-class audit combines it. What the rows share:
///
/// A value whose denominator is empty is undefined (JSON null) with a reason naming the group,
/// never 0.
///
/// Per-group values are computed for each group column, each intersection "a&b" (group "x&y"), and
/// the whole data (column "" and group ""). Counts and prevalence do not depend on the decision
/// rule: they are emitted once per class, without a threshold.
///
/// Fairlearn (convention "fairlearn"; fairlearn.metrics): column-level values (group "") with
/// method "between_groups" take max − min and min / max over the groups with rows and a defined
/// rate; empty groups are skipped, and a flag "excludes_undefined_groups" says when a group with
/// rows had an undefined rate. The "_to_overall" variants are method "to_overall": difference =
/// max_g |r_g − r_all|, ratio = min_g min(r_g / r_all, r_all / r_g) against the whole data.
///
/// AIF360 (convention "aif360"; ClassificationMetric with privileged = the column's reference
/// group, unprivileged = `group`; field `reference` names the privileged group): emitted per
/// non-reference group, and per column (group "") as the worst case over groups: the signed value
/// with the largest |SPD|, |AOD|, |EOD|; for disparate_impact the column value is
/// min_g min(DI_g, 1/DI_g) (the four-fifths rule reads it directly: ≥ 0.8 is fair).
///
/// Aequitas (convention "aequitas"; Group.get_crosstabs + Bias.get_disparity_*): disparities per
/// group, the reference group itself included (value 1), with `fair` = tau <= d <= 1/tau.
///
/// Reference group per column: AuditOptions::reference_groups when given; otherwise by
/// `reference_rule`: "majority" = the group with the largest (weighted) count; "min_metric" =
/// for each Aequitas rate the group with the lowest defined value (AIF360 then uses the majority
/// group); "given" = only configured references, a column without one falls back to "majority"
/// and a note says so.
///
/// Threshold-free bias AUCs (convention "borkan2019"; Borkan et al. 2019, "Nuanced Metrics for
/// Measuring Unintended Bias with Real Data for Text Classification", the Jigsaw Unintended Bias
/// benchmark), when the positive label has a score. Power means M_p = (mean_g m_g^p)^(1/p),
/// p = AuditOptions::power (−5), over the groups of the column with a defined AUC; the overall
/// final_bias_score (column "") pools the groups of every plain group column, not intersections,
/// as the benchmark does.
/// AUC = weighted Mann–Whitney statistic: Σ_{i pos, j neg} w_i w_j [s_i > s_j] + ½ [s_i = s_j],
/// divided by W_pos W_neg (= sklearn.metrics.roc_auc_score with sample_weight); undefined when a
/// class is missing. Their intervals are normal intervals A ± z·se: se of one AUC from DeLong's
/// variance (placement values, weighted: Σ w_i² (V_i − A)² / W² · m/(m − 1) per class, m = rows of
/// the class); se of the power means and the final bias score from the same placements by the
/// delta method (the influence of each row summed over every AUC it enters, which keeps the
/// covariance of the AUCs that share background rows). Clipped to [0, 1].
///
/// Multi-class (no positive label, more than two classes): everything once per class
/// (one-vs-rest, field `label`), plus for every column-level aggregate a worst case over classes
/// with label "*", by the rule of its catalogue row (MetricInfo::classes): max for differences,
/// max |·| (signed) for AIF360 differences, min for ratios, disparate impact, power means and
/// final_bias_score.
///
/// Flags on a group (GroupSummary and every per-group metric of it): "small_group" (fewer rows
/// than min_group_size), "few_positives", "few_negatives" (fewer rows of the class than
/// min_group_positives / min_group_negatives), "empty" (no rows: an intersection cell). The flags
/// count rows, not weights.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fm/fairness/catalogue.h"

namespace fm {

/// Weighted confusion counts of one group for one positive label and one decision rule.
struct ConfusionCounts {
  double tp = 0, fp = 0, fn = 0, tn = 0;
  /// tp + fp + fn + tn.
  double count() const { return tp + fp + fn + tn; }
};

/// A per-group quantity: one of the first kNumGroupRates metrics of the catalogue,
/// MetricId::kCount ... MetricId::kPpr, in the order compute_audit emits them
/// (GroupRate::kTpr is MetricId::kTpr).
using GroupRate = MetricId;
/// Number of per-group rates.
constexpr int kNumGroupRates = static_cast<int>(MetricId::kPpr) + 1;

/// Metric name of a rate ("count", "selection_rate", "tpr", ..., "ppr"), from the catalogue.
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

/// One per-group rate from the counts (formulas: its catalogue row). `all_predicted_positives`
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

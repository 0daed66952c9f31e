// Borkan et al. 2019 bias AUCs with normal intervals. The AUCs of every group come from one sweep
// over the rows sorted by score (Mann–Whitney numerators, ties ½), their variances from a second
// sweep over the same order: DeLong's placement values, and the influence of each row on every
// AUC it enters, summed into the power means and the final bias score by the delta method (which
// keeps the covariance of the AUCs that share background rows).

#include <algorithm>
#include <cmath>
#include <numeric>

#include "audit_plan.h"

namespace fm::audit_detail {
namespace {

const std::vector<std::string> kNoFlags;

struct AucSettings {
  double power = -5;     // exponent of the power means
  bool want_ci = false;  // intervals requested (bootstrap samples > 0)
  double z = 0;          // normal quantile of the confidence
};

// The rows of one positive label by ascending score; a tie block (equal scores) shares its rank.
struct ScoreOrder {
  std::vector<std::size_t> rows;
  std::vector<std::size_t> block_start;  // start of each tie block in `rows`, then rows.size()
  std::vector<uint8_t> positive;         // per row: true class == the label
};

ScoreOrder sort_by_score(const AuditData& d, const std::vector<float>& score, int label) {
  const std::size_t n = d.rows();
  ScoreOrder o;
  o.rows.resize(n);
  std::iota(o.rows.begin(), o.rows.end(), std::size_t{0});
  std::stable_sort(o.rows.begin(), o.rows.end(),
                   [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  o.positive.resize(n);
  for (std::size_t i = 0; i < n; ++i) o.positive[i] = d.y_true[i] == label ? 1 : 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (k == 0 || score[o.rows[k]] != score[o.rows[k - 1]]) o.block_start.push_back(k);
  }
  o.block_start.push_back(n);
  return o;
}

// Weighted negatives and positives below the current tie block and within it, per group of a
// column and over every row.
struct TieSweep {
  std::vector<double> neg_below, pos_below, block_neg, block_pos;
  double all_neg_below = 0, all_pos_below = 0, all_block_neg = 0, all_block_pos = 0;
};

// Calls visit(row, group, weight, sweep) for every row in score order, each with the totals of the
// rows below its tie block and of the block itself. Without kByGroup only the all_* totals are
// kept (and the group passed is 0): the whole-data sweep runs once per label over every row.
template <bool kByGroup, typename Visit>
void sweep_tie_blocks(const AuditData& d, const ScoreOrder& order, const Column& column,
                      Visit&& visit) {
  const std::size_t ng = kByGroup ? column.groups.size() : 0;
  TieSweep s;
  s.neg_below.assign(ng, 0);
  s.pos_below.assign(ng, 0);
  s.block_neg.assign(ng, 0);
  s.block_pos.assign(ng, 0);
  for (std::size_t b = 0; b + 1 < order.block_start.size(); ++b) {
    const std::size_t begin = order.block_start[b], end = order.block_start[b + 1];
    s.all_block_neg = s.all_block_pos = 0;
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t i = order.rows[k];
      if constexpr (kByGroup) {
        const auto g = static_cast<std::size_t>(column.group_of(i));
        (order.positive[i] ? s.block_pos[g] : s.block_neg[g]) += weight_of(d, i);
      }
      (order.positive[i] ? s.all_block_pos : s.all_block_neg) += weight_of(d, i);
    }
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t i = order.rows[k];
      const std::size_t g = kByGroup ? static_cast<std::size_t>(column.group_of(i)) : 0;
      visit(i, g, weight_of(d, i), static_cast<const TieSweep&>(s));
    }
    if constexpr (kByGroup) {
      for (std::size_t k = begin; k < end; ++k) {
        const auto g = static_cast<std::size_t>(column.group_of(order.rows[k]));
        s.neg_below[g] += s.block_neg[g];
        s.pos_below[g] += s.block_pos[g];
        s.block_neg[g] = s.block_pos[g] = 0;
      }
    }
    s.all_neg_below += s.all_block_neg;
    s.all_pos_below += s.all_block_pos;
  }
}

// The AUC over every row, its DeLong variance, and each row's influence on it.
struct OverallAuc {
  RateValue auc{kNaN, Undefined::kOneClass};
  double variance = 0;
  double wpos = 0, wneg = 0;      // weighted positives and negatives of the data
  std::vector<double> influence;  // per row
};

OverallAuc overall_auc(const Plan& plan, const ScoreOrder& order, const std::vector<float>& score) {
  const AuditData& d = *plan.data;
  const std::size_t n = d.rows();
  OverallAuc o;
  for (std::size_t i = 0; i < n; ++i) (order.positive[i] ? o.wpos : o.wneg) += weight_of(d, i);
  o.influence.assign(n, 0.0);
  std::vector<double> scores(score.begin(), score.end()), weights(d.weights);
  const AucValue a = roc_auc(scores, order.positive, weights);
  o.auc = a.auc;
  o.variance = a.variance;
  if (!o.auc.defined()) return o;
  // Placement of a positive: share of the negatives below it; of a negative: of positives above.
  sweep_tie_blocks<false>(
      d, order, plan.columns[0], [&](std::size_t i, std::size_t, double w_i, const TieSweep& s) {
        if (order.positive[i]) {
          const double placement = (s.all_neg_below + 0.5 * s.all_block_neg) / o.wneg;
          o.influence[i] = w_i * (placement - o.auc.value) / o.wpos;
        } else {
          const double placement = (o.wpos - s.all_pos_below - 0.5 * s.all_block_pos) / o.wpos;
          o.influence[i] = w_i * (placement - o.auc.value) / o.wneg;
        }
      });
  return o;
}

// Per group of a column: weighted positives and negatives, their rows, and the Mann–Whitney
// numerators of the group's three AUCs.
struct GroupAucSums {
  std::vector<double> wpos, wneg;
  std::vector<int64_t> mpos, mneg;
  std::vector<double> num_subgroup, num_bpsn, num_bnsp;
};

GroupAucSums group_auc_sums(const AuditData& d, const ScoreOrder& order, const Column& column,
                            const OverallAuc& overall) {
  const std::size_t ng = column.groups.size();
  GroupAucSums q;
  q.wpos.assign(ng, 0);
  q.wneg.assign(ng, 0);
  q.num_subgroup.assign(ng, 0);
  q.num_bpsn.assign(ng, 0);
  q.num_bnsp.assign(ng, 0);
  q.mpos.assign(ng, 0);
  q.mneg.assign(ng, 0);
  for (std::size_t i = 0; i < d.rows(); ++i) {
    const auto g = static_cast<std::size_t>(column.group_of(i));
    (order.positive[i] ? q.wpos[g] : q.wneg[g]) += weight_of(d, i);
    ++(order.positive[i] ? q.mpos[g] : q.mneg[g]);
  }
  sweep_tie_blocks<true>(
      d, order, column, [&](std::size_t i, std::size_t g, double w_i, const TieSweep& s) {
        if (order.positive[i]) {
          q.num_subgroup[g] += w_i * (s.neg_below[g] + 0.5 * s.block_neg[g]);
          q.num_bnsp[g] +=
              w_i * ((s.all_neg_below - s.neg_below[g]) + 0.5 * (s.all_block_neg - s.block_neg[g]));
        } else {
          const double above_all = overall.wpos - s.all_pos_below - 0.5 * s.all_block_pos;
          const double above_g = q.wpos[g] - s.pos_below[g] - 0.5 * s.block_pos[g];
          q.num_bpsn[g] += w_i * (above_all - above_g);
        }
      });
  return q;
}

// A power mean over the defined values, and its derivative by each value (0 where undefined).
struct PowerMean {
  RateValue mean;
  std::vector<double> gradient;
};

PowerMean power_mean_with_gradient(const std::vector<RateValue>& xs, double p) {
  std::vector<double> defined;
  for (const auto& x : xs) {
    if (x.defined()) defined.push_back(x.value);
  }
  PowerMean out;
  out.gradient.assign(xs.size(), 0.0);
  const auto pm = power_mean(defined, p);
  if (!pm) {
    out.mean = {kNaN, Undefined::kNoComparableGroups};
    return out;
  }
  const double mean = *pm;
  const double inv = 1.0 / static_cast<double>(defined.size());
  for (std::size_t g = 0; g < xs.size(); ++g) {
    if (!xs[g].defined() || xs[g].value <= 0 || mean <= 0) continue;
    out.gradient[g] = p == 0 ? inv * mean / xs[g].value
                             : inv * std::pow(xs[g].value, p - 1) * std::pow(mean, 1 - p);
  }
  out.mean = {mean, Undefined::kNone};
  return out;
}

// The three power means of a set of groups (a column, or the pool of every plain column).
struct PowerMeans {
  PowerMean subgroup, bpsn, bnsp;
};

PowerMeans power_means(const std::vector<RateValue>& subgroup, const std::vector<RateValue>& bpsn,
                       const std::vector<RateValue>& bnsp, double p) {
  return {power_mean_with_gradient(subgroup, p), power_mean_with_gradient(bpsn, p),
          power_mean_with_gradient(bnsp, p)};
}

RateValue final_bias_score(const RateValue& overall, const PowerMeans& m) {
  if (!overall.defined()) return {kNaN, overall.why};
  if (!m.subgroup.mean.defined() || !m.bpsn.mean.defined() || !m.bnsp.mean.defined()) {
    return {kNaN, Undefined::kNoComparableGroups};
  }
  return {
      0.25 * overall.value + 0.25 * (m.subgroup.mean.value + m.bpsn.mean.value + m.bnsp.mean.value),
      Undefined::kNone};
}

// Everything the bias AUCs of one column end up with.
struct ColumnAuc {
  std::vector<RateValue> subgroup, bpsn, bnsp;
  std::vector<double> var_subgroup, var_bpsn, var_bnsp;
  PowerMeans means;
  RateValue final_score;
  double var_mean_subgroup = 0, var_mean_bpsn = 0, var_mean_bnsp = 0, var_final = 0;
  bool ci = true;
};

void set_group_aucs(const GroupAucSums& q, const OverallAuc& overall, ColumnAuc& r) {
  const std::size_t ng = q.wpos.size();
  auto auc = [](double num, double a, double b) {
    return a > 0 && b > 0 ? RateValue{num / (a * b), Undefined::kNone}
                          : RateValue{kNaN, Undefined::kOneClass};
  };
  r.subgroup.resize(ng);
  r.bpsn.resize(ng);
  r.bnsp.resize(ng);
  for (std::size_t g = 0; g < ng; ++g) {
    r.subgroup[g] = auc(q.num_subgroup[g], q.wpos[g], q.wneg[g]);
    r.bpsn[g] = auc(q.num_bpsn[g], q.wneg[g], overall.wpos - q.wpos[g]);
    r.bnsp[g] = auc(q.num_bnsp[g], q.wpos[g], overall.wneg - q.wneg[g]);
  }
}

// The benchmark's identity subgroups: every group of every plain column, pooled.
PowerMeans pooled_power_means(const Plan& plan, const std::vector<ColumnAuc>& aucs, double p) {
  std::vector<RateValue> subgroup, bpsn, bnsp;
  for (std::size_t col = 1; col < plan.columns.size(); ++col) {
    if (!plan.columns[col].plain) continue;
    subgroup.insert(subgroup.end(), aucs[col].subgroup.begin(), aucs[col].subgroup.end());
    bpsn.insert(bpsn.end(), aucs[col].bpsn.begin(), aucs[col].bpsn.end());
    bnsp.insert(bnsp.end(), aucs[col].bnsp.begin(), aucs[col].bnsp.end());
  }
  return power_means(subgroup, bpsn, bnsp, p);
}

// What the second sweep over one column reads.
struct InfluenceInputs {
  const GroupAucSums& sums;
  const ColumnAuc& auc;
  const PowerMeans& pooled;  // gradients over the pool of every plain column's groups
  std::size_t pool_offset;   // the column's first group in the pool
  bool plain;
  double wpos, wneg;  // of the whole data
  // d(pooled power mean)/d(AUC of group h); 0 for a column outside the pool.
  double pooled_gradient(const std::vector<double>& grad, std::size_t h) const {
    return plain && !grad.empty() ? grad[pool_offset + h] : 0.0;
  }
};

// Sums of squared influences: per AUC, group and class (for DeLong's m/(m − 1)), and of the
// column's aggregates.
struct InfluenceSums {
  std::vector<double> subgroup_pos, subgroup_neg, bpsn_group, bpsn_background, bnsp_group,
      bnsp_background;
  double mean_subgroup = 0, mean_bpsn = 0, mean_bnsp = 0, final_score = 0;
};

// Influence of one row on the column's three power means and on the pooled final score.
struct RowInfluence {
  double subgroup = 0, bpsn = 0, bnsp = 0, pooled = 0;
};

// Adds the influence x of a row on one AUC: to the AUC's sum of squares, and through the
// gradients to the row's influence on the column's power mean and on the pooled final score.
void add_influence(double x, double gradient, double pooled_gradient, double& squares,
                   double& on_mean, double& on_pooled) {
  squares += x * x;
  on_mean += gradient * x;
  on_pooled += pooled_gradient * x;
}

// A positive row of group g enters g's subgroup and BNSP AUCs, and the BPSN AUC of every other
// group as a background positive.
void add_positive_row(const InfluenceInputs& in, const TieSweep& s, std::size_t g, double w_i,
                      InfluenceSums& ss, RowInfluence& f) {
  const GroupAucSums& q = in.sums;
  const ColumnAuc& r = in.auc;
  if (r.subgroup[g].defined()) {
    const double v = (s.neg_below[g] + 0.5 * s.block_neg[g]) / q.wneg[g];
    const double x = w_i * (v - r.subgroup[g].value) / q.wpos[g];
    add_influence(x, r.means.subgroup.gradient[g],
                  in.pooled_gradient(in.pooled.subgroup.gradient, g), ss.subgroup_pos[g],
                  f.subgroup, f.pooled);
  }
  if (r.bnsp[g].defined()) {
    const double v =
        ((s.all_neg_below - s.neg_below[g]) + 0.5 * (s.all_block_neg - s.block_neg[g])) /
        (in.wneg - q.wneg[g]);
    const double x = w_i * (v - r.bnsp[g].value) / q.wpos[g];
    add_influence(x, r.means.bnsp.gradient[g], in.pooled_gradient(in.pooled.bnsp.gradient, g),
                  ss.bnsp_group[g], f.bnsp, f.pooled);
  }
  for (std::size_t h = 0; h < r.bpsn.size(); ++h) {
    if (h == g || !r.bpsn[h].defined()) continue;
    const double v = (s.neg_below[h] + 0.5 * s.block_neg[h]) / q.wneg[h];
    const double x = w_i * (v - r.bpsn[h].value) / (in.wpos - q.wpos[h]);
    add_influence(x, r.means.bpsn.gradient[h], in.pooled_gradient(in.pooled.bpsn.gradient, h),
                  ss.bpsn_background[h], f.bpsn, f.pooled);
  }
}

// A negative row of group g enters g's subgroup and BPSN AUCs, and the BNSP AUC of every other
// group as a background negative.
void add_negative_row(const InfluenceInputs& in, const TieSweep& s, std::size_t g, double w_i,
                      InfluenceSums& ss, RowInfluence& f) {
  const GroupAucSums& q = in.sums;
  const ColumnAuc& r = in.auc;
  const double above_all = in.wpos - s.all_pos_below - 0.5 * s.all_block_pos;
  const double above_g = q.wpos[g] - s.pos_below[g] - 0.5 * s.block_pos[g];
  if (r.subgroup[g].defined()) {
    const double x = w_i * (above_g / q.wpos[g] - r.subgroup[g].value) / q.wneg[g];
    add_influence(x, r.means.subgroup.gradient[g],
                  in.pooled_gradient(in.pooled.subgroup.gradient, g), ss.subgroup_neg[g],
                  f.subgroup, f.pooled);
  }
  if (r.bpsn[g].defined()) {
    const double v = (above_all - above_g) / (in.wpos - q.wpos[g]);
    const double x = w_i * (v - r.bpsn[g].value) / q.wneg[g];
    add_influence(x, r.means.bpsn.gradient[g], in.pooled_gradient(in.pooled.bpsn.gradient, g),
                  ss.bpsn_group[g], f.bpsn, f.pooled);
  }
  for (std::size_t h = 0; h < r.bnsp.size(); ++h) {
    if (h == g || !r.bnsp[h].defined()) continue;
    const double v = (q.wpos[h] - s.pos_below[h] - 0.5 * s.block_pos[h]) / q.wpos[h];
    const double x = w_i * (v - r.bnsp[h].value) / (in.wneg - q.wneg[h]);
    add_influence(x, r.means.bnsp.gradient[h], in.pooled_gradient(in.pooled.bnsp.gradient, h),
                  ss.bnsp_background[h], f.bnsp, f.pooled);
  }
}

// Second sweep over one column: the variances of its AUCs and aggregates, and each row's
// contribution to the pooled final score's influence (`pooled_influence`).
void set_column_variances(const AuditData& d, const ScoreOrder& order, const Column& column,
                          const InfluenceInputs& in, const OverallAuc& overall, ColumnAuc& r,
                          std::vector<double>& pooled_influence) {
  const std::size_t ng = column.groups.size();
  InfluenceSums ss;
  for (auto* v : {&ss.subgroup_pos, &ss.subgroup_neg, &ss.bpsn_group, &ss.bpsn_background,
                  &ss.bnsp_group, &ss.bnsp_background}) {
    v->assign(ng, 0);
  }
  sweep_tie_blocks<true>(
      d, order, column, [&](std::size_t i, std::size_t g, double w_i, const TieSweep& s) {
        RowInfluence f;
        if (order.positive[i]) {
          add_positive_row(in, s, g, w_i, ss, f);
        } else {
          add_negative_row(in, s, g, w_i, ss, f);
        }
        ss.mean_subgroup += f.subgroup * f.subgroup;
        ss.mean_bpsn += f.bpsn * f.bpsn;
        ss.mean_bnsp += f.bnsp * f.bnsp;
        const double f_final = 0.25 * (overall.influence[i] + f.subgroup + f.bpsn + f.bnsp);
        ss.final_score += f_final * f_final;
        pooled_influence[i] += 0.25 * f.pooled;
      });
  const GroupAucSums& q = in.sums;
  auto corr = [](double sum, int64_t m) { return m > 1 ? sum * m / (m - 1.0) : sum; };
  for (std::size_t g = 0; g < ng; ++g) {
    const int64_t bg_pos = std::accumulate(q.mpos.begin(), q.mpos.end(), int64_t{0}) - q.mpos[g];
    const int64_t bg_neg = std::accumulate(q.mneg.begin(), q.mneg.end(), int64_t{0}) - q.mneg[g];
    r.var_subgroup[g] = corr(ss.subgroup_pos[g], q.mpos[g]) + corr(ss.subgroup_neg[g], q.mneg[g]);
    r.var_bpsn[g] = corr(ss.bpsn_group[g], q.mneg[g]) + corr(ss.bpsn_background[g], bg_pos);
    r.var_bnsp[g] = corr(ss.bnsp_group[g], q.mpos[g]) + corr(ss.bnsp_background[g], bg_neg);
  }
  r.var_mean_subgroup = ss.mean_subgroup;
  r.var_mean_bpsn = ss.mean_bpsn;
  r.var_mean_bnsp = ss.mean_bnsp;
  r.var_final = ss.final_score;
}

void set_interval(MetricValue& m, double variance, double z) {
  if (!m.value || !(variance >= 0)) return;
  const double se = std::sqrt(variance);
  m.lower = std::max(0.0, *m.value - z * se);
  m.upper = std::min(1.0, *m.value + z * se);
}

// Appends the values of one label; returns the column-level slots (for the worst case over
// classes).
class AucEmitter {
 public:
  AucEmitter(const std::string& label, double z, std::vector<MetricValue>& out)
      : label_(label), z_(z), out_(out) {}

  void add(MetricId metric, const std::string& column, const std::string& group, RateValue v,
           double variance, bool ci, const std::vector<std::string>& flags,
           const std::string& subject, bool aggregate) {
    const MetricInfo& info = metric_info(metric);
    MetricValue m;
    m.name = info.name;
    m.column = column;
    m.group = group;
    m.label = label_;
    m.convention = info.convention;
    if (v.defined()) {
      m.value = v.value;
    } else {
      m.reason = undefined_reason(v.why, subject);
    }
    m.flags = flags;
    if (ci) set_interval(m, variance, z_);
    if (aggregate) aggregates_.push_back({out_.size(), metric});
    out_.push_back(std::move(m));
  }

  std::vector<Emitter::AggregateSlot> aggregates() const { return aggregates_; }

 private:
  const std::string& label_;
  double z_;
  std::vector<MetricValue>& out_;
  std::vector<Emitter::AggregateSlot> aggregates_;
};

void emit_column(const Plan& plan, std::size_t lp, std::size_t col, const ColumnAuc& r,
                 AucEmitter& emit) {
  const Column& c = plan.columns[col];
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    const auto& flags = plan.flags[lp][plan.offset[col] + g];
    const std::string& group = c.groups[g];
    emit.add(MetricId::kSubgroupAuc, c.name, group, r.subgroup[g], r.ci ? r.var_subgroup[g] : 0,
             r.ci, flags, group, false);
    emit.add(MetricId::kBpsnAuc, c.name, group, r.bpsn[g], r.ci ? r.var_bpsn[g] : 0, r.ci, flags,
             group, false);
    emit.add(MetricId::kBnspAuc, c.name, group, r.bnsp[g], r.ci ? r.var_bnsp[g] : 0, r.ci, flags,
             group, false);
  }
  emit.add(MetricId::kSubgroupAucPowerMean, c.name, kEmpty, r.means.subgroup.mean,
           r.var_mean_subgroup, r.ci, kNoFlags, c.name, true);
  emit.add(MetricId::kBpsnAucPowerMean, c.name, kEmpty, r.means.bpsn.mean, r.var_mean_bpsn, r.ci,
           kNoFlags, c.name, true);
  emit.add(MetricId::kBnspAucPowerMean, c.name, kEmpty, r.means.bnsp.mean, r.var_mean_bnsp, r.ci,
           kNoFlags, c.name, true);
  emit.add(MetricId::kFinalBiasScore, c.name, kEmpty, r.final_score, r.var_final, r.ci, kNoFlags,
           c.name, true);
}

// Everything the bias AUCs of one label end up with.
struct LabelAucs {
  OverallAuc overall;
  std::vector<ColumnAuc> columns;  // [0] (the whole data) unused
  PowerMeans pooled;
  std::vector<double> pooled_influence;  // per row, on the pooled final score (without overall)
};

LabelAucs label_aucs(const Plan& plan, const AucSettings& settings, int label,
                     std::vector<std::string>& notes) {
  const AuditData& d = *plan.data;
  const ScoreOrder order = sort_by_score(d, d.scores[label], label);
  LabelAucs a;
  a.overall = overall_auc(plan, order, d.scores[label]);
  std::vector<GroupAucSums> sums(plan.columns.size());
  a.columns.resize(plan.columns.size());
  for (std::size_t col = 1; col < plan.columns.size(); ++col) {
    sums[col] = group_auc_sums(d, order, plan.columns[col], a.overall);
    set_group_aucs(sums[col], a.overall, a.columns[col]);
  }
  a.pooled = pooled_power_means(plan, a.columns, settings.power);
  a.pooled_influence.assign(d.rows(), 0.0);
  std::size_t pool_offset = 0;
  for (std::size_t col = 1; col < plan.columns.size(); ++col) {
    const Column& c = plan.columns[col];
    const std::size_t ng = c.groups.size();
    ColumnAuc& r = a.columns[col];
    r.means = power_means(r.subgroup, r.bpsn, r.bnsp, settings.power);
    r.final_score = final_bias_score(a.overall.auc, r.means);
    r.var_subgroup.assign(ng, 0);
    r.var_bpsn.assign(ng, 0);
    r.var_bnsp.assign(ng, 0);
    r.ci = settings.want_ci && ng <= kMaxAucCiGroups;
    if (r.ci) {
      const InfluenceInputs in{sums[col],     r, a.pooled, pool_offset, c.plain, a.overall.wpos,
                               a.overall.wneg};
      set_column_variances(d, order, c, in, a.overall, r, a.pooled_influence);
    } else if (settings.want_ci) {
      notes.push_back("column \"" + c.name + "\" has more than " + std::to_string(kMaxAucCiGroups) +
                      " groups: no intervals for its bias AUCs");
    }
    if (c.plain) pool_offset += ng;
  }
  return a;
}

// Appends the values of the label at position `lp`; returns its column-level slots.
std::vector<Emitter::AggregateSlot> emit_label_aucs(const Plan& plan, const AucSettings& settings,
                                                    std::size_t lp, const LabelAucs& a,
                                                    std::vector<MetricValue>& out) {
  AucEmitter emit(plan.label_names[lp], settings.z, out);
  emit.add(MetricId::kOverallAuc, "", "", a.overall.auc, a.overall.variance, settings.want_ci,
           kNoFlags, "", false);
  for (std::size_t col = 1; col < plan.columns.size(); ++col) {
    emit_column(plan, lp, col, a.columns[col], emit);
  }
  if (plan.columns.size() > 1) {
    bool all_ci = settings.want_ci;
    for (std::size_t col = 1; col < plan.columns.size(); ++col) {
      all_ci = all_ci && (!plan.columns[col].plain || a.columns[col].ci);
    }
    double var_pool = 0;
    for (std::size_t i = 0; i < a.pooled_influence.size(); ++i) {
      const double f = a.pooled_influence[i] + 0.25 * a.overall.influence[i];
      var_pool += f * f;
    }
    emit.add(MetricId::kFinalBiasScore, plan.columns[0].name, kEmpty,
             final_bias_score(a.overall.auc, a.pooled), var_pool, all_ci, kNoFlags, "", true);
  }
  return emit.aggregates();
}

}  // namespace

void compute_bias_aucs(const Plan& plan, const AuditOptions& o, std::vector<MetricValue>& out,
                       std::vector<std::string>& notes) {
  const AuditData& d = *plan.data;
  AucSettings settings;
  settings.power = o.power;
  settings.want_ci = o.bootstrap_samples > 0;
  settings.z = normal_quantile(1 - (1 - o.confidence) / 2);
  std::vector<std::vector<Emitter::AggregateSlot>> aggregates_per_label;
  for (std::size_t lp = 0; lp < plan.labels.size(); ++lp) {
    const int label = plan.labels[lp];
    if (d.scores.empty() || d.scores[label].empty()) continue;
    const LabelAucs aucs = label_aucs(plan, settings, label, notes);
    aggregates_per_label.push_back(emit_label_aucs(plan, settings, lp, aucs, out));
  }
  if (!aggregates_per_label.empty()) {
    notes.push_back(
        "bias AUCs (Borkan et al. 2019): normal intervals from DeLong's variance "
        "(power means and final_bias_score: delta method over the same placement "
        "values), not bootstrap");
  }
  // Every class must have a score for a worst case over classes.
  if (plan.multi && aggregates_per_label.size() == plan.labels.size()) {
    add_worst_with_intervals(aggregates_per_label, out);
  }
}

}  // namespace fm::audit_detail

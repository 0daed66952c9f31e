#include "fm/mitigation/thresholds.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <map>
#include <nlohmann/json.hpp>

#include "fm/error.h"

namespace fm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
/// Objective values closer than this count as equal (then the smaller rate wins).
constexpr double kTie = 1e-12;

/// A vertex of a group's ROC hull: (FPR, TPR) of the rule "positive iff score > t".
struct Vertex {
  double x = 0, y = 0, t = kInf;
};

struct Row {
  double score;
  int positive;
};

/// Sorts `rows` by descending score and calls cut(tp, fp, t) after each run of equal scores:
/// predicting positive for scores > t selects exactly the rows so far (t is halfway to the next
/// score, -inf after the last).
template <typename Cut>
void for_each_cut(std::vector<Row>& rows, Cut&& cut) {
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.score > b.score; });
  int64_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < rows.size();) {
    const double s = rows[i].score;
    while (i < rows.size() && rows[i].score == s) {
      (rows[i].positive ? tp : fp) += 1;
      ++i;
    }
    double t = -kInf;
    if (i < rows.size()) {
      t = 0.5 * (s + rows[i].score);
      if (!(t < s)) t = rows[i].score;  // adjacent doubles: "> next score" still selects s
    }
    cut(tp, fp, t);
  }
}

/// ROC points at every distinct-score cut (descending), then their upper convex hull.
std::vector<Vertex> roc_hull(std::vector<Row> rows, int64_t positives, int64_t negatives) {
  std::vector<Vertex> points = {{0.0, 0.0, kInf}};
  for_each_cut(rows, [&](int64_t tp, int64_t fp, double t) {
    points.push_back({static_cast<double>(fp) / static_cast<double>(negatives),
                      static_cast<double>(tp) / static_cast<double>(positives), t});
  });
  // Points come sorted by (x, y); keep r1 only when it lies strictly above the chord r0–r2.
  std::vector<Vertex> hull;
  for (const auto& r2 : points) {
    while (hull.size() >= 2) {
      const auto& r1 = hull[hull.size() - 1];
      const auto& r0 = hull[hull.size() - 2];
      if ((r1.y - r0.y) * (r2.x - r0.x) <= (r2.y - r0.y) * (r1.x - r0.x)) {
        hull.pop_back();
      } else {
        break;
      }
    }
    hull.push_back(r2);
  }
  return hull;
}

/// A rule that mixes hull vertices a and b with weight p0 on a.
ThresholdRule mix(const Vertex& a, const Vertex& b, double p0) {
  ThresholdRule r;
  r.threshold0 = a.t;
  r.threshold1 = b.t;
  r.p0 = p0;
  if (p0 >= 1.0) {
    r.p0 = 1.0;
    r.threshold1 = a.t;
  } else if (p0 <= 0.0) {
    r.p0 = 1.0;
    r.threshold0 = r.threshold1 = b.t;
  }
  return r;
}

/// A group's hull as a function of a coordinate that strictly increases along it (`key`: the
/// selection rate for demographic parity, FPR for equalized odds), with the value to minimise or
/// read off (`value`). Vertices sharing the first key keep only the last one (the best at that
/// key: for FPR, the highest TPR at FPR 0).
struct Curve {
  std::vector<Vertex> v;
  std::vector<double> key, value;

  /// Index j with key[j] < k <= key[j+1] (or 0 when k <= key[0]).
  std::size_t segment(double k) const {
    if (k <= key.front()) return 0;
    const auto it = std::lower_bound(key.begin(), key.end(), k);
    if (it == key.end()) return key.size() - 1;
    return static_cast<std::size_t>(it - key.begin()) - 1;
  }
  double at(double k) const {
    if (k <= key.front()) return value.front();
    if (k >= key.back()) return value.back();
    const auto j = segment(k);
    const double w = (key[j + 1] - k) / (key[j + 1] - key[j]);
    return w * value[j] + (1 - w) * value[j + 1];
  }
  ThresholdRule rule_at(double k) const {
    if (k <= key.front()) return mix(v.front(), v.front(), 1.0);
    if (k >= key.back()) return mix(v.back(), v.back(), 1.0);
    const auto j = segment(k);
    return mix(v[j], v[j + 1], (key[j + 1] - k) / (key[j + 1] - key[j]));
  }
};

Curve make_curve(const std::vector<Vertex>& hull, const std::vector<double>& keys,
                 const std::vector<double>& values) {
  Curve c;
  for (std::size_t i = 0; i < hull.size(); ++i) {
    if (!c.key.empty() && keys[i] <= c.key.back()) {
      c.v.back() = hull[i];
      c.key.back() = keys[i];
      c.value.back() = values[i];
      continue;
    }
    c.v.push_back(hull[i]);
    c.key.push_back(keys[i]);
    c.value.push_back(values[i]);
  }
  return c;
}

struct GroupData {
  std::vector<Row> rows;
  int64_t positives = 0, negatives = 0;
};

/// Best group-blind deterministic threshold by accuracy (ties: closest to 0.5).
ThresholdRule overall_rule(std::vector<Row> rows, int64_t negatives) {
  const auto n = static_cast<double>(rows.size());
  double best_acc = static_cast<double>(negatives) / n;
  double best_t = kInf;
  for_each_cut(rows, [&](int64_t tp, int64_t fp, double t) {
    const double acc = static_cast<double>(tp + negatives - fp) / n;
    if (acc > best_acc + kTie ||
        (acc > best_acc - kTie && std::fabs(t - 0.5) < std::fabs(best_t - 0.5))) {
      best_acc = std::max(acc, best_acc);
      best_t = t;
    }
  });
  ThresholdRule r;
  r.threshold0 = r.threshold1 = best_t;
  return r;
}

void expected_rates(GroupThreshold& g, const GroupData& d) {
  double sel = 0, tp = 0, fp = 0;
  for (const auto& row : d.rows) {
    const double p = g.rule.positive_probability(row.score);
    sel += p;
    (row.positive ? tp : fp) += p;
  }
  g.rows = static_cast<int64_t>(d.rows.size());
  g.positives = d.positives;
  g.negatives = d.negatives;
  g.selection_rate = sel / static_cast<double>(d.rows.size());
  g.tpr = d.positives ? std::optional<double>(tp / static_cast<double>(d.positives)) : std::nullopt;
  g.fpr = d.negatives ? std::optional<double>(fp / static_cast<double>(d.negatives)) : std::nullopt;
  g.accuracy = (tp + static_cast<double>(d.negatives) - fp) / static_cast<double>(d.rows.size());
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

nlohmann::json threshold_json(double t) {
  if (std::isinf(t)) return t > 0 ? "inf" : "-inf";
  return t;
}

double threshold_from_json(const nlohmann::json& j, const std::string& where) {
  if (j.is_number()) return j.get<double>();
  if (j == "inf") return kInf;
  if (j == "-inf") return -kInf;
  throw ModelError(where + ": expected a number, \"inf\" or \"-inf\"");
}

nlohmann::json rule_json(const ThresholdRule& r) {
  return {{"threshold0", threshold_json(r.threshold0)},
          {"threshold1", threshold_json(r.threshold1)},
          {"p0", r.p0},
          {"p_ignore", r.p_ignore},
          {"constant", r.constant}};
}

double number_in(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_number()) {
    throw ModelError(where + "." + key + ": expected a number");
  }
  return j[key].get<double>();
}

ThresholdRule rule_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw ModelError(where + ": expected an object");
  ThresholdRule r;
  for (const char* key : {"threshold0", "threshold1"}) {
    if (!j.contains(key)) throw ModelError(where + "." + key + ": missing");
  }
  r.threshold0 = threshold_from_json(j["threshold0"], where + ".threshold0");
  r.threshold1 = threshold_from_json(j["threshold1"], where + ".threshold1");
  r.p0 = number_in(j, "p0", where);
  r.p_ignore = number_in(j, "p_ignore", where);
  r.constant = number_in(j, "constant", where);
  for (const double p : {r.p0, r.p_ignore, r.constant}) {
    if (!(p >= 0 && p <= 1)) throw ModelError(where + ": probabilities must be in [0, 1]");
  }
  return r;
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

void check_fit_inputs(const std::vector<double>& scores, const std::vector<int>& positive,
                      const std::vector<std::string>& groups, const std::string& objective) {
  if (objective != "demographic_parity" && objective != "equalized_odds") {
    throw ConfigError(
        "thresholds objective: expected \"demographic_parity\" or "
        "\"equalized_odds\" (got \"" +
        objective + "\")");
  }
  if (scores.size() != positive.size() || scores.size() != groups.size()) {
    throw DataError("thresholds: scores, labels and groups differ in length");
  }
  if (scores.empty()) throw DataError("thresholds: no rows to fit on");
}

/// The fitting rows, by group and all together.
struct FitRows {
  std::map<std::string, GroupData> by_group;
  std::vector<Row> all;
  int64_t positives = 0, negatives = 0;
};

FitRows collect_rows(const std::vector<double>& scores, const std::vector<int>& positive,
                     const std::vector<std::string>& groups) {
  FitRows fit;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) {
      throw DataError("thresholds: row " + std::to_string(i) + " has a non-finite score");
    }
    const Row row{scores[i], positive[i] ? 1 : 0};
    auto& g = fit.by_group[groups[i]];
    g.rows.push_back(row);
    (row.positive ? g.positives : g.negatives) += 1;
    (row.positive ? fit.positives : fit.negatives) += 1;
    fit.all.push_back(row);
  }
  if (fit.positives == 0 || fit.negatives == 0) {
    throw DataError(std::string("thresholds: the fitting data has no ") +
                    (fit.positives == 0 ? "positives" : "negatives"));
  }
  return fit;
}

/// The curves of the groups with both classes, and the fitting rows they hold.
struct FittedCurves {
  std::vector<std::pair<std::string, Curve>> curves;
  double rows = 0, positives = 0, negatives = 0;
};

/// A group's hull as a curve along the objective's key.
Curve objective_curve(const GroupData& d, const std::string& objective) {
  const auto hull = roc_hull(d.rows, d.positives, d.negatives);
  std::vector<double> keys, values;
  const double q = static_cast<double>(d.negatives) / static_cast<double>(d.rows.size());
  for (const auto& v : hull) {
    if (objective == "demographic_parity") {
      keys.push_back(q * v.x + (1 - q) * v.y);
      values.push_back(q * v.x + (1 - q) * (1 - v.y));
    } else {
      keys.push_back(v.x);
      values.push_back(v.y);
    }
  }
  return make_curve(hull, keys, values);
}

/// Adds every group to out.groups (in name order); a group without both classes keeps the overall
/// rule, the others' curves are returned.
FittedCurves add_groups(const std::map<std::string, GroupData>& by_group,
                        const std::string& objective, GroupThresholds& out) {
  FittedCurves fitted;
  for (const auto& [name, d] : by_group) {
    GroupThreshold g;
    g.group = name;
    if (d.positives == 0 || d.negatives == 0) {
      g.fitted = false;
      g.reason = std::string("no ") + (d.positives == 0 ? "positives" : "negatives") +
                 " in the fitting data: uses the overall threshold";
      g.rule = out.overall;
    } else {
      fitted.curves.emplace_back(name, objective_curve(d, objective));
      fitted.rows += static_cast<double>(d.rows.size());
      fitted.positives += static_cast<double>(d.positives);
      fitted.negatives += static_cast<double>(d.negatives);
    }
    out.groups.push_back(std::move(g));
  }
  return fitted;
}

/// Every point between consecutive vertex keys where two groups' hulls cross.
void add_hull_crossings(const std::vector<std::pair<std::string, Curve>>& curves,
                        std::vector<double>& candidates) {
  const auto vertices = candidates;
  for (std::size_t i = 0; i + 1 < vertices.size(); ++i) {
    const double a = vertices[i], b = vertices[i + 1];
    for (std::size_t g = 0; g < curves.size(); ++g) {
      for (std::size_t h = g + 1; h < curves.size(); ++h) {
        const double da = curves[g].second.at(a) - curves[h].second.at(a);
        const double db = curves[g].second.at(b) - curves[h].second.at(b);
        if ((da < 0 && db > 0) || (da > 0 && db < 0)) {
          candidates.push_back(a + (b - a) * da / (da - db));
        }
      }
    }
  }
  std::sort(candidates.begin(), candidates.end());
}

// Candidate operating points: every vertex key of every group; for equalized odds also every
// crossing of two groups' hulls between consecutive vertex keys.
std::vector<double> candidate_keys(const std::vector<std::pair<std::string, Curve>>& curves,
                                   const std::string& objective) {
  std::vector<double> candidates;
  for (const auto& [name, c] : curves)
    candidates.insert(candidates.end(), c.key.begin(), c.key.end());
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  if (objective == "equalized_odds") add_hull_crossings(curves, candidates);
  return candidates;
}

/// The lowest of the curves' values at key k.
double lowest_value_at(const std::vector<std::pair<std::string, Curve>>& curves, double k) {
  double y = kInf;
  for (const auto& [name, c] : curves) y = std::min(y, c.at(k));
  return y;
}

/// The expected error of the fitted rows when every group works at key k (for equalized odds:
/// at FPR k with the lowest of the groups' TPRs there).
double objective_at(double k, const FittedCurves& fitted,
                    const std::map<std::string, GroupData>& by_group,
                    const std::string& objective) {
  if (objective == "demographic_parity") {
    double e = 0;
    for (const auto& [name, c] : fitted.curves) {
      e += static_cast<double>(by_group.at(name).rows.size()) / fitted.rows * c.at(k);
    }
    return e;
  }
  const double y = lowest_value_at(fitted.curves, k);
  return fitted.negatives / fitted.rows * k + fitted.positives / fitted.rows * (1 - y);
}

/// The candidate with the smallest objective (the first one, among those within kTie).
double best_key(const std::vector<double>& candidates, const FittedCurves& fitted,
                const std::map<std::string, GroupData>& by_group, const std::string& objective) {
  double best = kInf, best_k = 0;
  for (const double k : candidates) {
    const double e = objective_at(k, fitted, by_group, objective);
    if (e < best - kTie) {
      best = e;
      best_k = k;
    }
  }
  return best_k;
}

/// Each fitted group's rule at key best_k. For equalized odds, a group whose TPR there is above
/// y_best ignores its score often enough (p_ignore), answering positive with probability best_k,
/// to bring its TPR down to y_best at the same FPR.
void set_fitted_rules(const std::vector<std::pair<std::string, Curve>>& curves, double best_k,
                      double y_best, const std::string& objective,
                      std::vector<GroupThreshold>& groups) {
  for (const auto& entry : curves) {
    const Curve& c = entry.second;
    const std::string& name = entry.first;
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&name](const GroupThreshold& g) { return g.group == name; });
    it->rule = c.rule_at(best_k);
    if (objective == "equalized_odds") {
      const double y = c.at(best_k);
      if (y - y_best > 1e-15 && y - best_k > 1e-15) {
        it->rule.p_ignore = std::clamp((y - y_best) / (y - best_k), 0.0, 1.0);
        it->rule.constant = best_k;
      }
    }
  }
}

/// The operating point shared by the fitted groups, and their rules for it.
void fit_operating_point(const FittedCurves& fitted,
                         const std::map<std::string, GroupData>& by_group,
                         const std::string& objective, GroupThresholds& out) {
  const std::vector<double> candidates = candidate_keys(fitted.curves, objective);
  const double best_k = best_key(candidates, fitted, by_group, objective);
  const double y_best = lowest_value_at(fitted.curves, best_k);
  if (objective == "demographic_parity") {
    out.target_selection_rate = best_k;
  } else {
    out.target_fpr = best_k;
    out.target_tpr = y_best;
  }
  set_fitted_rules(fitted.curves, best_k, y_best, objective, out.groups);
}

void set_expected_rates(const std::map<std::string, GroupData>& by_group, double fitted_rows,
                        GroupThresholds& out) {
  double correct = 0;
  for (auto& g : out.groups) {
    expected_rates(g, by_group.at(g.group));
    if (g.fitted) correct += g.accuracy * static_cast<double>(g.rows);
  }
  out.expected_accuracy = fitted_rows > 0 ? correct / fitted_rows : 0.0;
}

}  // namespace

double ThresholdRule::positive_probability(double score) const {
  const double by_score =
      p0 * (score > threshold0 ? 1.0 : 0.0) + (1.0 - p0) * (score > threshold1 ? 1.0 : 0.0);
  return p_ignore * constant + (1.0 - p_ignore) * by_score;
}

const ThresholdRule& GroupThresholds::rule_for(const std::string& group, bool* unseen) const {
  const auto it = std::lower_bound(
      groups.begin(), groups.end(), group,
      [](const GroupThreshold& g, const std::string& value) { return g.group < value; });
  const bool found = it != groups.end() && it->group == group;
  if (unseen) *unseen = !found;
  return found && it->fitted ? it->rule : overall;
}

GroupThresholds fit_group_thresholds(const std::vector<double>& scores,
                                     const std::vector<int>& positive,
                                     const std::vector<std::string>& groups,
                                     const std::string& objective) {
  check_fit_inputs(scores, positive, groups, objective);
  const FitRows fit = collect_rows(scores, positive, groups);
  GroupThresholds out;
  out.objective = objective;
  out.overall = overall_rule(fit.all, fit.negatives);
  const FittedCurves fitted = add_groups(fit.by_group, objective, out);
  if (!fitted.curves.empty()) fit_operating_point(fitted, fit.by_group, objective, out);
  set_expected_rates(fit.by_group, fitted.rows, out);
  return out;
}

double decision_coin(uint64_t seed, std::string_view row_id) {
  const uint64_t bits = splitmix64(fnv1a64(row_id) ^ splitmix64(seed));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

nlohmann::json group_thresholds_to_json(const GroupThresholds& t) {
  nlohmann::json j = {
      {"objective", t.objective},
      {"column", t.column},
      {"positive_label", t.positive_label},
      {"seed", t.seed},
      {"rule",
       "P(positive | score) = p_ignore*constant + (1 - p_ignore)*(p0*[score > threshold0] "
       "+ (1 - p0)*[score > threshold1])"},
      {"coin",
       "u = (splitmix64(fnv1a64(row id) ^ splitmix64(seed)) >> 11) * 2^-53; positive iff "
       "u < P(positive | score)"},
      {"overall", rule_json(t.overall)},
      {"expected_accuracy", t.expected_accuracy},
      {"groups", nlohmann::json::array()}};
  if (t.objective == "demographic_parity") {
    j["target"] = {{"selection_rate", t.target_selection_rate}};
  } else {
    j["target"] = {{"fpr", t.target_fpr}, {"tpr", t.target_tpr}};
  }
  for (const auto& g : t.groups) {
    auto e = rule_json(g.rule);
    e["group"] = g.group;
    e["fitted"] = g.fitted;
    if (!g.reason.empty()) e["reason"] = g.reason;
    e["rows"] = g.rows;
    e["positives"] = g.positives;
    e["negatives"] = g.negatives;
    e["selection_rate"] = g.selection_rate;
    e["tpr"] = optional_json(g.tpr);
    e["fpr"] = optional_json(g.fpr);
    e["accuracy"] = g.accuracy;
    j["groups"].push_back(std::move(e));
  }
  return j;
}

namespace {

/// object[key] as T, `fallback` when absent; a value of another type is a damaged run file
/// (value() would throw nlohmann's type_error.302: fuzzing found it).
template <typename T>
T field(const nlohmann::json& object, const char* key, const std::string& at, T fallback) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // A count: an integer that fits (a float such as 9.2e19 would be undefined behaviour to cast).
    const auto it = object.find(key);
    if (it == object.end()) return fallback;
    const bool fits = it->is_number_integer() &&
                      !(it->is_number_unsigned() &&
                        it->template get<uint64_t>() >
                            static_cast<uint64_t>(std::numeric_limits<T>::max()));
    if (!fits) throw ModelError(at + "." + key + ": expected an integer count");
    return it->template get<T>();
  }
  try {
    return object.value(key, fallback);
  } catch (const nlohmann::json::exception&) {
    throw ModelError(at + "." + key + ": wrong type (" + std::string(object[key].type_name()) +
                     ")");
  }
}

}  // namespace

GroupThresholds group_thresholds_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw ModelError(where + ": expected an object");
  GroupThresholds t;
  for (const char* key : {"objective", "column", "positive_label"}) {
    if (!j.contains(key) || !j[key].is_string()) {
      throw ModelError(where + "." + key + ": expected a string");
    }
  }
  t.objective = j["objective"].get<std::string>();
  if (t.objective != "demographic_parity" && t.objective != "equalized_odds") {
    throw ModelError(where + ".objective: unknown objective \"" + t.objective + "\"");
  }
  t.column = j["column"].get<std::string>();
  t.positive_label = j["positive_label"].get<std::string>();
  if (!j.contains("seed") || !j["seed"].is_number_unsigned()) {
    throw ModelError(where + ".seed: expected a non-negative integer");
  }
  t.seed = j["seed"].get<uint64_t>();
  if (!j.contains("overall")) throw ModelError(where + ".overall: missing");
  t.overall = rule_from_json(j["overall"], where + ".overall");
  if (!j.contains("groups") || !j["groups"].is_array()) {
    throw ModelError(where + ".groups: expected an array");
  }
  for (std::size_t i = 0; i < j["groups"].size(); ++i) {
    const auto& e = j["groups"][i];
    const auto at = where + ".groups[" + std::to_string(i) + "]";
    GroupThreshold g;
    g.rule = rule_from_json(e, at);
    if (!e.contains("group") || !e["group"].is_string()) {
      throw ModelError(at + ".group: expected a string");
    }
    g.group = e["group"].get<std::string>();
    g.fitted = field(e, "fitted", at, true);
    g.reason = field(e, "reason", at, std::string());
    g.rows = field(e, "rows", at, int64_t{0});
    g.positives = field(e, "positives", at, int64_t{0});
    g.negatives = field(e, "negatives", at, int64_t{0});
    g.selection_rate = field(e, "selection_rate", at, 0.0);
    g.accuracy = field(e, "accuracy", at, 0.0);
    if (e.contains("tpr") && e["tpr"].is_number()) g.tpr = e["tpr"].get<double>();
    if (e.contains("fpr") && e["fpr"].is_number()) g.fpr = e["fpr"].get<double>();
    t.groups.push_back(std::move(g));
  }
  std::sort(t.groups.begin(), t.groups.end(),
            [](const GroupThreshold& a, const GroupThreshold& b) { return a.group < b.group; });
  for (std::size_t i = 1; i < t.groups.size(); ++i) {
    if (t.groups[i].group == t.groups[i - 1].group) {
      throw ModelError(where + ".groups: group \"" + t.groups[i].group + "\" appears twice");
    }
  }
  if (j.contains("target") && j["target"].is_object()) {
    t.target_selection_rate = field(j["target"], "selection_rate", where + ".target", 0.0);
    t.target_fpr = field(j["target"], "fpr", where + ".target", 0.0);
    t.target_tpr = field(j["target"], "tpr", where + ".target", 0.0);
  }
  t.expected_accuracy = field(j, "expected_accuracy", where, 0.0);
  return t;
}

}  // namespace fm

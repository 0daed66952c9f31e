#include "fm/privacy/analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "fm/validation.h"
#include "fm/error.h"
#include "fm/version.h"

namespace fm::privacy {

namespace {

using validation::invalid;
using validation::show;

std::string fixed(double v, int significant) {
  if (std::isnan(v)) return "undefined";
  if (std::isinf(v)) return "inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", significant, v);
  return buf;
}

// Shortest round-trip form without JSON's trailing ".0" for integral values: "60", "1.1".
std::string plain(double v) {
  std::string s = show(v);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

double q_of(const DpSgdQuery& q) {
  if (q.sample_rate) return *q.sample_rate;
  return static_cast<double>(*q.batch_size) / static_cast<double>(*q.dataset_size);
}

}  // namespace

void DpSgdQuery::validate() const {
  const bool by_size = dataset_size || batch_size;
  if (sample_rate && by_size) {
    throw ConfigError("give either --sample-rate or --dataset-size with --batch-size, not both");
  }
  if (!sample_rate && !by_size) {
    throw ConfigError(
        "a sampling rate is required: --sample-rate Q, or --dataset-size N with --batch-size B");
  }
  if (by_size && !batch_size) throw ConfigError("--dataset-size needs --batch-size");
  if (by_size && !dataset_size) throw ConfigError("--batch-size needs --dataset-size");
  if (sample_rate && !(*sample_rate >= 0 && *sample_rate <= 1)) {
    invalid("--sample-rate", "in [0, 1]", show(*sample_rate));
  }
  if (dataset_size) validation::require_at_least("--dataset-size", *dataset_size, 1);
  if (batch_size) validation::require_at_least("--batch-size", *batch_size, 1);
  if (dataset_size && batch_size && *batch_size > *dataset_size) {
    throw ConfigError("--batch-size " + std::to_string(*batch_size) +
                      " must be <= --dataset-size " + std::to_string(*dataset_size));
  }

  if (noise_multiplier && target_epsilon) {
    throw ConfigError("give either --noise-multiplier or --target-epsilon, not both");
  }
  if (!noise_multiplier && !target_epsilon) {
    throw ConfigError("--noise-multiplier S (or --target-epsilon E to solve for it) is required");
  }
  if (noise_multiplier) validation::require_non_negative("--noise-multiplier", *noise_multiplier);
  if (target_epsilon) validation::require_positive("--target-epsilon", *target_epsilon);
  validation::require_positive("--epsilon-tolerance", epsilon_tolerance);

  if (steps && epochs) throw ConfigError("give either --steps or --epochs, not both");
  if (!steps && !epochs) throw ConfigError("--steps T or --epochs E is required");
  // Beyond 1e15 steps the accountant's RDP * steps loses every digit; no training runs that long.
  if (steps) validation::require_in_range("--steps", *steps, 0, 1'000'000'000'000'000);
  if (epochs) {
    validation::require_non_negative("--epochs", *epochs);
    if (sample_rate && *sample_rate == 0 && *epochs > 0) {
      throw ConfigError("--epochs needs --sample-rate > 0 (an epoch at sample rate 0 never ends)");
    }
  }

  if (!delta) throw ConfigError("--delta is required (typically well below 1/N, e.g. 1e-5)");
  if (!(*delta > 0 && *delta < 1)) invalid("--delta", "in (0, 1)", show(*delta));
  for (double a : orders) {
    if (!(a > 1) || std::isinf(a)) invalid("--orders", "finite numbers > 1", show(a));
  }
  validation::require_one_of("--format", format, {"text", "json"});
}

int64_t steps_for_epochs(double epochs, double q, std::optional<int64_t> dataset_size,
                         std::optional<int64_t> batch_size) {
  if (epochs == 0) return 0;
  const double x = dataset_size && batch_size ? epochs * static_cast<double>(*dataset_size) /
                                                    static_cast<double>(*batch_size)
                                              : epochs / q;
  if (!(x <= 1e15)) {
    throw ConfigError("--epochs " + show(epochs) + " at sample rate " + show(q) + " is " + show(x) +
                      " steps (more than 1e15)");
  }
  const double nearest = std::round(x);
  if (std::fabs(x - nearest) <= 1e-9 * std::max(1.0, x)) return static_cast<int64_t>(nearest);
  return static_cast<int64_t>(std::ceil(x));
}

DpSgdAnalysis analyze_dp_sgd(const DpSgdQuery& query) {
  query.validate();
  DpSgdAnalysis a;
  a.query = query;
  a.sample_rate = q_of(query);
  a.delta = *query.delta;
  a.orders = query.orders.empty() ? default_orders() : query.orders;
  a.steps = query.steps ? *query.steps
                        : steps_for_epochs(*query.epochs, a.sample_rate, query.dataset_size,
                                           query.batch_size);
  if (query.target_epsilon) {
    const NoiseSolution s = solve_noise_multiplier(*query.target_epsilon, a.delta, a.sample_rate,
                                                   a.steps, query.epsilon_tolerance, a.orders);
    a.noise_multiplier = s.noise_multiplier;
    a.solved = true;
  } else {
    a.noise_multiplier = *query.noise_multiplier;
  }
  a.rdp = compute_rdp(a.sample_rate, a.noise_multiplier, static_cast<double>(a.steps), a.orders);
  if (a.sample_rate == 0 || a.steps == 0) {
    a.spent = a.classic =
        dp_sgd_epsilon(a.sample_rate, a.noise_multiplier, a.steps, a.delta, a.orders);
  } else {
    a.spent = rdp_to_epsilon(a.orders, a.rdp, a.delta);
    a.classic = rdp_to_epsilon_classic(a.orders, a.rdp, a.delta);
  }

  if (query.dataset_size && a.delta >= 1.0 / static_cast<double>(*query.dataset_size)) {
    a.notes.push_back("delta " + plain(a.delta) + " is not below 1/N = " +
                      plain(1.0 / static_cast<double>(*query.dataset_size)) +
                      ": a mechanism that publishes one random example outright meets it");
  }
  if (std::isinf(a.spent.epsilon) && a.noise_multiplier > 0) {
    a.notes.push_back("epsilon is infinite: at noise multiplier " + plain(a.noise_multiplier) +
                      " the RDP exceeds the largest double at every order tried: no privacy "
                      "guarantee");
  }
  if (!std::isnan(a.spent.order) && a.orders.size() > 1) {
    double lo = a.orders.front(), hi = a.orders.front();
    for (double o : a.orders) {
      lo = std::min(lo, o);
      hi = std::max(hi, o);
    }
    if (a.spent.order == lo || a.spent.order == hi) {
      a.notes.push_back(std::string("the optimal order is the ") +
                        (a.spent.order == lo ? "smallest" : "largest") + " order tried (" +
                        plain(a.spent.order) +
                        "): more orders (--orders) may give a lower epsilon");
    }
  }
  return a;
}

nlohmann::json to_json(const DpSgdAnalysis& a) {
  using nlohmann::json;
  const DpSgdQuery& q = a.query;
  auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  json j;
  j["tool"] = "fm-privacy";
  j["fmkit_version"] = fmkit_version();
  j["accountant"] = "rdp";
  j["mechanism"] = "sampled_gaussian";
  j["conversion"] = "balle2020";
  j["sample_rate"] = a.sample_rate;
  j["dataset_size"] = opt(q.dataset_size);
  j["batch_size"] = opt(q.batch_size);
  j["noise_multiplier"] = a.noise_multiplier;
  j["noise_multiplier_solved"] = a.solved;
  j["target_epsilon"] = opt(q.target_epsilon);
  j["epsilon_tolerance"] = a.solved ? json(q.epsilon_tolerance) : json(nullptr);
  j["steps"] = a.steps;
  j["epochs"] = opt(q.epochs);
  j["delta"] = a.delta;

  const std::string infinite_reason =
      a.noise_multiplier == 0
          ? "no finite epsilon at any order (noise multiplier 0: no privacy)"
          : "no finite epsilon at any order (noise multiplier " + plain(a.noise_multiplier) +
                ": the RDP exceeds the largest double at every order, no privacy)";
  auto put_spent = [&infinite_reason](json& out, const PrivacySpent& s) {
    if (std::isinf(s.epsilon)) {
      out["epsilon"] = nullptr;
      out["epsilon_reason"] = infinite_reason;
    } else {
      out["epsilon"] = s.epsilon;
    }
    if (std::isnan(s.order)) {
      out["optimal_order"] = nullptr;
      out["optimal_order_reason"] =
          std::isinf(s.epsilon)
              ? "epsilon is infinite at every order"
              : "no step touched the data (sample rate 0 or 0 steps): epsilon is 0 exactly";
    } else {
      out["optimal_order"] = s.order;
    }
  };
  put_spent(j, a.spent);
  json classic = json::object();
  put_spent(classic, a.classic);
  classic["conversion"] = "mironov2017";
  j["classic_conversion"] = classic;

  json curve = json::array();
  const double log_delta = std::log(a.delta);
  for (size_t i = 0; i < a.orders.size(); ++i) {
    const double o = a.orders[i], r = a.rdp[i];
    const double eps = r - (log_delta + std::log(o)) / (o - 1) + std::log((o - 1) / o);
    curve.push_back({{"order", o},
                     {"rdp", std::isfinite(r) ? json(r) : json(nullptr)},
                     {"epsilon", std::isfinite(eps) ? json(eps) : json(nullptr)}});
  }
  j["orders"] = curve;
  j["notes"] = a.notes;
  return j;
}

std::string format_text(const DpSgdAnalysis& a) {
  const DpSgdQuery& q = a.query;
  std::ostringstream out;
  out << "DP-SGD privacy (RDP accountant, sampled Gaussian mechanism)\n";
  out << "sample rate:       " << plain(a.sample_rate);
  if (q.dataset_size) out << " (batch " << *q.batch_size << " of " << *q.dataset_size << ")";
  out << "\n";
  out << "noise multiplier:  " << plain(a.noise_multiplier);
  if (a.solved) {
    out << " (solved: the smallest found that spends at most epsilon " << plain(*q.target_epsilon)
        << ", tolerance " << plain(q.epsilon_tolerance) << ")";
  }
  out << "\n";
  out << "steps:             " << a.steps;
  if (q.epochs) out << " (" << plain(*q.epochs) << (*q.epochs == 1 ? " epoch)" : " epochs)");
  out << "\n";
  out << "delta:             " << plain(a.delta) << "\n";
  for (const auto& n : a.notes) out << "note:              " << n << "\n";
  out << "classic epsilon:   " << fixed(a.classic.epsilon, 6)
      << " (Mironov 2017 conversion, as older TF Privacy and Opacus printed)\n";
  out << "optimal order:     " << fixed(a.spent.order, 6) << "\n";
  out << "epsilon:           " << fixed(a.spent.epsilon, 6) << "\n";
  return out.str();
}

}  // namespace fm::privacy

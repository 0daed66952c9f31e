#pragma once
/// \file
/// What an audit computes (the metric part of an audit policy), as a plain struct: a leaf header
/// that config/ may include without the audit engine.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fm {

/// What to compute (the metric part of an audit policy).
struct AuditOptions {
  /// Class treated as positive; empty = every class one-vs-rest (binary data: the second of the
  /// sorted classes, i.e. "toxic" over "non_toxic", "1" over "0").
  std::string positive_label;
  /// Decision thresholds on the positive score: predicted positive iff score >= t. Empty = use
  /// y_pred (or 0.5 on the score when there is no y_pred).
  std::vector<double> thresholds;
  /// Reference group per column (Aequitas disparities, AIF360 privileged group). Columns not listed
  /// use `reference_rule`.
  std::vector<std::pair<std::string, std::string>> reference_groups;
  /// "majority" (largest group), "min_metric" (group with the lowest value of each metric), or
  /// "given" (only reference_groups).
  std::string reference_rule = "majority";
  /// Intersections to add, each a list of column names (e.g. {"gender", "race"}).
  std::vector<std::vector<std::string>> intersections;
  /// Groups smaller than this are flagged (and their metrics carry the flag).
  int64_t min_group_size = 30;
  /// Groups with fewer positives / negatives than this are flagged.
  int64_t min_group_positives = 5;
  int64_t min_group_negatives = 5;
  /// Aequitas' tau: a disparity d is fair iff tau <= d <= 1/tau.
  double tau = 0.8;
  /// Power-mean exponent of the Borkan et al. 2019 bias score.
  double power = -5.0;
  /// Bootstrap: 0 resamples = no confidence intervals.
  int64_t bootstrap_samples = 1000;
  double confidence = 0.95;
  uint64_t seed = 13;
  /// Threads of the bootstrap; 0 = std::thread::hardware_concurrency(). The intervals do not
  /// depend on it (resample r always uses random stream r of `seed`).
  int64_t threads = 0;
};

}  // namespace fm

#include "fm/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <string_view>

#include "fm/error.h"

namespace fm {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// numpy's pairwise summation (numpy/core/src/umath/loops_utils.h.src, PW_BLOCKSIZE 128), which
// np.sum uses for a contiguous float64 array; summing in the same order gives the same last bit.
double numpy_pairwise_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double res = 0.0;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(a, n2) + numpy_pairwise_sum(a + n2, n - n2);
}

double numpy_sum(const std::vector<double>& values) {
  return numpy_pairwise_sum(values.data(), values.size());
}

// Open-addressing map from label to first-appearance id: one hash and (on a hash match) one
// string comparison per example, no node allocation; about twice as fast as std::unordered_map.
class LabelIds {
 public:
  int id_of(std::string_view label) {
    const std::size_t hash = std::hash<std::string_view>{}(label);
    std::size_t i = hash & mask_;
    while (slots_[i].id >= 0) {
      if (slots_[i].hash == hash && names_[static_cast<std::size_t>(slots_[i].id)] == label) {
        return slots_[i].id;
      }
      i = (i + 1) & mask_;
    }
    const int id = static_cast<int>(names_.size());
    slots_[i] = Slot{hash, id};
    names_.push_back(label);
    if (2 * names_.size() > slots_.size()) grow();
    return id;
  }
  const std::vector<std::string_view>& names() const { return names_; }

 private:
  struct Slot {
    std::size_t hash = 0;
    int id = -1;
  };
  void grow() {
    std::vector<Slot> old(2 * slots_.size());
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.id < 0) continue;
      std::size_t i = slot.hash & mask_;
      while (slots_[i].id >= 0) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }
  std::vector<Slot> slots_ = std::vector<Slot>(64);
  std::size_t mask_ = 63;
  std::vector<std::string_view> names_;
};

std::string quoted(const std::string& label) { return "\"" + label + "\""; }

void check_square(const ConfusionMatrix& cm, const char* where) {
  const std::size_t k = cm.labels.size();
  if (cm.counts.size() != k * k) {
    throw DataError(std::string(where) + ": confusion matrix has " +
                    std::to_string(cm.counts.size()) + " counts for " + std::to_string(k) +
                    " labels (expected " + std::to_string(k * k) + ")");
  }
}

// The sufficient statistics sklearn derives from its multilabel confusion matrix.
struct ClassCounts {
  std::vector<int64_t> tp;
  std::vector<int64_t> pred;
  std::vector<int64_t> truth;
};

ClassCounts class_counts(const ConfusionMatrix& cm) {
  const std::size_t k = cm.labels.size();
  ClassCounts c{std::vector<int64_t>(k, 0), std::vector<int64_t>(k, 0), std::vector<int64_t>(k, 0)};
  for (std::size_t t = 0; t < k; ++t) {
    for (std::size_t p = 0; p < k; ++p) {
      const int64_t n = cm.counts[t * k + p];
      c.truth[t] += n;
      c.pred[p] += n;
    }
    c.tp[t] = cm.counts[t * k + t];
  }
  return c;
}

// sklearn's _prf_divide with zero_division="warn": an empty denominator gives 0.
double prf_divide(int64_t numerator, int64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// The F-beta expression of precision_recall_fscore_support for beta = 1, operation for operation.
double f1_from(double precision, double recall) {
  double denom = 1.0 * precision + recall;
  if (denom == 0.0) denom = 1.0;
  return 2.0 * precision * recall / denom;
}

std::vector<double> f1_per_class(const ClassCounts& c) {
  std::vector<double> f(c.tp.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    f[i] = f1_from(prf_divide(c.tp[i], c.pred[i]), prf_divide(c.tp[i], c.truth[i]));
  }
  return f;
}

std::vector<double> as_doubles(const std::vector<int64_t>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// np.average(values) = values.sum() / n.
double numpy_mean(const std::vector<double>& values) {
  return numpy_sum(values) / static_cast<double>(values.size());
}

// np.average(values, weights=weights) = np.multiply(values, weights).sum() / weights.sum().
double numpy_weighted_mean(const std::vector<double>& values, const std::vector<double>& weights) {
  std::vector<double> products(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) products[i] = values[i] * weights[i];
  return numpy_sum(products) / numpy_sum(weights);
}

// Builds the note of an average: which undefined per-class values it counted as 0. Classes with
// weight 0 are left out because their value does not enter the average.
std::string zero_division_note(const std::vector<ClassScores>& classes,
                               MaybeValue ClassScores::*metric, const std::string& metric_name,
                               bool weighted) {
  std::string names;
  std::size_t count = 0;
  for (const ClassScores& row : classes) {
    if ((row.*metric).value || (weighted && row.support == 0)) continue;
    names += (count++ == 0 ? "" : ", ") + quoted(row.label);
  }
  if (count == 0) return {};
  return "undefined " + metric_name + " counted as 0 (scikit-learn zero_division=\"warn\") for " +
         (count == 1 ? "class " : "classes ") + names;
}

ClassScores average_row(const std::vector<ClassScores>& classes, const std::vector<double>& weights,
                        const std::string& label, int64_t total) {
  const bool weighted = !weights.empty();
  ClassScores row;
  row.label = label;
  row.support = total;
  const std::pair<MaybeValue ClassScores::*, const char*> metrics[] = {
      {&ClassScores::precision, "precision"},
      {&ClassScores::recall, "recall"},
      {&ClassScores::f1, "f1"}};
  for (const auto& [metric, name] : metrics) {
    std::vector<double> values(classes.size());
    for (std::size_t i = 0; i < classes.size(); ++i) values[i] = (classes[i].*metric).value_or(0.0);
    MaybeValue& out = row.*metric;
    out.value = weighted ? numpy_weighted_mean(values, weights) : numpy_mean(values);
    out.reason = zero_division_note(classes, metric, name, weighted);
  }
  return row;
}

}  // namespace

int64_t ConfusionMatrix::total() const {
  return std::accumulate(counts.begin(), counts.end(), int64_t{0});
}

ConfusionMatrix confusion_matrix(const std::vector<int>& y_true, const std::vector<int>& y_pred,
                                 const std::vector<std::string>& labels) {
  if (y_true.size() != y_pred.size()) {
    throw DataError("confusion_matrix: y_true has " + std::to_string(y_true.size()) +
                    " labels but y_pred has " + std::to_string(y_pred.size()) +
                    " (expected equal lengths)");
  }
  const std::size_t k = labels.size();
  ConfusionMatrix cm{labels, std::vector<int64_t>(k * k, 0)};
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    const int t = y_true[i];
    const int p = y_pred[i];
    if (t < 0 || static_cast<std::size_t>(t) >= k || p < 0 || static_cast<std::size_t>(p) >= k) {
      throw DataError("confusion_matrix: example " + std::to_string(i) + " has label index " +
                      std::to_string(t < 0 || static_cast<std::size_t>(t) >= k ? t : p) +
                      " (expected 0 <= index < " + std::to_string(k) + ")");
    }
    ++cm.counts[static_cast<std::size_t>(t) * k + static_cast<std::size_t>(p)];
  }
  return cm;
}

ConfusionMatrix confusion_matrix(const std::vector<std::string>& y_true,
                                 const std::vector<std::string>& y_pred) {
  if (y_true.size() != y_pred.size()) {
    throw DataError("confusion_matrix: y_true has " + std::to_string(y_true.size()) +
                    " labels but y_pred has " + std::to_string(y_pred.size()) +
                    " (expected equal lengths)");
  }
  const std::size_t n = y_true.size();
  // Ids in order of first appearance, then a remap to sorted order.
  LabelIds ids;
  std::vector<int> t(n);
  std::vector<int> p(n);
  for (std::size_t i = 0; i < n; ++i) {
    t[i] = ids.id_of(y_true[i]);
    p[i] = ids.id_of(y_pred[i]);
  }
  const std::vector<std::string_view>& names = ids.names();
  const std::size_t k = names.size();
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // std::char_traits<char> compares as unsigned char: UTF-8 byte order = code point order, which
  // is how Python sorts str.
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  std::vector<std::size_t> rank(k);
  ConfusionMatrix cm;
  cm.labels.reserve(k);
  for (std::size_t r = 0; r < k; ++r) {
    rank[order[r]] = r;
    cm.labels.emplace_back(names[order[r]]);
  }
  cm.counts.assign(k * k, 0);
  for (std::size_t i = 0; i < n; ++i) {
    ++cm.counts[rank[static_cast<std::size_t>(t[i])] * k + rank[static_cast<std::size_t>(p[i])]];
  }
  return cm;
}

ClassificationReport classification_report(const ConfusionMatrix& cm) {
  check_square(cm, "classification_report");
  const int64_t total = cm.total();
  if (total == 0) {
    throw DataError(
        "classification_report: no examples (expected at least one y_true/y_pred pair)");
  }
  const std::size_t k = cm.labels.size();
  const ClassCounts c = class_counts(cm);
  ClassificationReport report;
  report.confusion = cm;
  report.total = total;
  report.classes.resize(k);
  int64_t correct = 0;
  for (std::size_t i = 0; i < k; ++i) {
    ClassScores& row = report.classes[i];
    row.label = cm.labels[i];
    row.support = c.truth[i];
    correct += c.tp[i];
    if (c.pred[i] > 0) {
      row.precision.value = prf_divide(c.tp[i], c.pred[i]);
    } else {
      row.precision.reason = "no predicted samples for class " + quoted(row.label);
    }
    if (c.truth[i] > 0) {
      row.recall.value = prf_divide(c.tp[i], c.truth[i]);
    } else {
      row.recall.reason = "no true samples for class " + quoted(row.label);
    }
    if (row.precision.value && row.recall.value) {
      row.f1.value = f1_from(*row.precision.value, *row.recall.value);
    } else if (!row.precision.value && !row.recall.value) {
      row.f1.reason = "no predicted and no true samples for class " + quoted(row.label);
    } else {
      row.f1.reason = row.precision.value ? row.recall.reason : row.precision.reason;
    }
    if (c.pred[i] == 0 && c.truth[i] == 0) report.micro_is_accuracy = false;
  }
  report.accuracy = prf_divide(correct, total);
  report.micro_avg.label = "micro avg";
  report.micro_avg.support = total;
  report.micro_avg.precision.value = report.accuracy;
  report.micro_avg.recall.value = report.accuracy;
  report.micro_avg.f1.value = f1_from(report.accuracy, report.accuracy);
  report.macro_avg = average_row(report.classes, {}, "macro avg", total);
  report.weighted_avg = average_row(report.classes, as_doubles(c.truth), "weighted avg", total);
  return report;
}

ClassificationReport classification_report(const std::vector<std::string>& y_true,
                                           const std::vector<std::string>& y_pred) {
  return classification_report(confusion_matrix(y_true, y_pred));
}

double macro_f1(const ConfusionMatrix& cm) {
  check_square(cm, "macro_f1");
  if (cm.total() == 0) return kNaN;
  return numpy_mean(f1_per_class(class_counts(cm)));
}

double weighted_f1(const ConfusionMatrix& cm) {
  check_square(cm, "weighted_f1");
  if (cm.total() == 0) return kNaN;
  const ClassCounts c = class_counts(cm);
  return numpy_weighted_mean(f1_per_class(c), as_doubles(c.truth));
}

double accuracy(const ConfusionMatrix& cm) {
  check_square(cm, "accuracy");
  const int64_t total = cm.total();
  if (total == 0) return kNaN;
  int64_t correct = 0;
  for (std::size_t i = 0; i < cm.labels.size(); ++i) correct += cm.at(i, i);
  return prf_divide(correct, total);
}

}  // namespace fm

#include "fm/jobs/audit_run.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "fm/data/encoded.h"
#include "fm/error.h"
#include "fm/fairness/catalogue.h"
#include "fm/fairness/identity_terms.h"
#include "fm/log.h"
#include "fm/runs/postprocess.h"
#include "fm/runs/predict.h"
#include "fm/runs/run_directory.h"
#include "fm/model/runtime.h"
#include "fm/data/redaction.h"
#include "fm/text/redact.h"

namespace fm {
namespace {

/// At most this many texts per identity term get counterfactuals, so a frequent term cannot make
/// the audit slow; which texts is deterministic (file order).
constexpr std::size_t kMaxTextsPerTerm = 500;

struct Counterfactual {
  std::size_t row;         // original example
  std::size_t category;    // index into the term list
  std::string term, substitute;
};

std::string join(const std::vector<std::string>& words, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i) out += sep;
    out += words[i];
  }
  return out;
}

/// The change the substitution made to the prediction: |Δp(positive)|, or for multi-class data
/// without a positive label the total variation distance between the two distributions.
double prediction_change(const Predictions& a, std::size_t ra, const Predictions& b,
                         std::size_t rb, int64_t positive) {
  const auto k = static_cast<std::size_t>(a.num_classes);
  const float* pa = a.probabilities.data() + ra * k;
  const float* pb = b.probabilities.data() + rb * k;
  if (positive >= 0) return std::fabs(double(pb[positive]) - double(pa[positive]));
  double tv = 0;
  for (std::size_t c = 0; c < k; ++c) tv += std::fabs(double(pb[c]) - double(pa[c]));
  return tv / 2;
}

/// Counterfactual texts, one example of `data` each, and what each one is.
struct CounterfactualTexts {
  std::vector<Counterfactual> cfs;
  Dataset data;
};

/// Term → the categories it belongs to.
std::unordered_map<std::string, std::vector<std::size_t>> categories_by_term(
    const std::vector<IdentityTermCategory>& categories) {
  std::unordered_map<std::string, std::vector<std::size_t>> where;
  for (std::size_t c = 0; c < categories.size(); ++c) {
    for (const auto& term : categories[c].terms) where[term].push_back(c);
  }
  return where;
}

// Build every counterfactual text: each identity token replaced by each other term of its
// category, on the tokenizer's own words (so case and punctuation are handled as in training).
CounterfactualTexts make_counterfactuals(const Tokenizer& tokenizer, const Dataset& data,
                                         const std::vector<IdentityTermCategory>& categories) {
  const auto where = categories_by_term(categories);
  CounterfactualTexts out;
  out.data.path = data.path + " (counterfactuals)";
  std::map<std::string, std::size_t> texts_per_term;
  const auto& sep = tokenizer.options().split;
  for (std::size_t r = 0; r < data.examples.size(); ++r) {
    auto words = tokenizer.split_text(data.examples[r].text);
    for (std::size_t w = 0; w < words.size(); ++w) {
      auto it = where.find(words[w]);
      if (it == where.end()) continue;
      const auto original_word = words[w];
      if (texts_per_term[original_word]++ >= kMaxTextsPerTerm) continue;
      for (const auto c : it->second) {
        for (const auto& sub : categories[c].terms) {
          if (sub == original_word) continue;
          words[w] = sub;
          Example ex;
          ex.text = join(words, sep);
          ex.line = data.examples[r].line;
          out.data.examples.push_back(std::move(ex));
          out.cfs.push_back({r, c, original_word, sub});
        }
      }
      words[w] = original_word;
    }
  }
  return out;
}

/// The run's predictions for the counterfactual texts.
Predictions predict_counterfactuals(const LoadedRun& run, const Dataset& data,
                                    const CounterfactualTexts& texts) {
  const auto encoded = encode_dataset(texts.data, run.tokenizer, run.config.padding, {});
  LstmClassifier model = run.model;
  auto cf_pred = predict(model, encoded);
  // Post-processed like the originals: each counterfactual keeps its row's group and coin.
  std::vector<std::size_t> origin;
  for (const auto& cf : texts.cfs) origin.push_back(cf.row);
  apply_postprocess(run.postprocess, run.labels, data, origin, cf_pred);
  return cf_pred;
}

/// Sums over some counterfactuals: |change|, flips and how many.
struct Acc {
  double delta = 0, flips = 0, n = 0;
};

/// The prediction changes and flips summed overall, per category and per term pair.
struct ChangeSums {
  std::map<std::pair<std::size_t, std::string>, Acc> per_pair;  // (category, "a→b")
  std::map<std::size_t, Acc> per_category;
  Acc overall;
};

ChangeSums sum_changes(const std::vector<Counterfactual>& cfs, const Predictions& original,
                       const Predictions& cf_pred, int64_t positive) {
  ChangeSums sums;
  for (std::size_t i = 0; i < cfs.size(); ++i) {
    const auto& cf = cfs[i];
    const double d = prediction_change(original, cf.row, cf_pred, i, positive);
    const bool flip = original.predicted[cf.row] != cf_pred.predicted[i];
    for (Acc* acc : {&sums.per_pair[{cf.category, cf.term + "\u2192" + cf.substitute}],
                     &sums.per_category[cf.category], &sums.overall}) {
      acc->delta += d;
      acc->flips += flip ? 1 : 0;
      acc->n += 1;
    }
  }
  return sums;
}

/// The mean change and the flip rate, overall, per category and per term pair.
void add_change_metrics(const ChangeSums& sums, const std::vector<IdentityTermCategory>& categories,
                        const std::string& label, std::vector<MetricValue>& extra) {
  const auto& delta_info = metric_info(MetricId::kCtfMeanAbsDelta);
  const auto& flip_info = metric_info(MetricId::kCtfFlipRate);
  auto emit = [&](const std::string& column, const std::string& group, const Acc& acc) {
    for (const auto& [info, value] : {std::make_pair(&delta_info, acc.delta / acc.n),
                                      std::make_pair(&flip_info, acc.flips / acc.n)}) {
      MetricValue m;
      m.name = info->name;
      m.column = column;
      m.group = group;
      m.label = label;
      m.convention = info->convention;
      m.value = value;
      extra.push_back(m);
    }
  };
  emit("", "", sums.overall);
  for (const auto& [c, acc] : sums.per_category) emit(categories[c].name, "", acc);
  for (const auto& [key, acc] : sums.per_pair) emit(categories[key.first].name, key.second, acc);
}

MetricValue no_identity_terms_metric(const std::string& label) {
  const auto& delta_info = metric_info(MetricId::kCtfMeanAbsDelta);
  MetricValue m;
  m.name = delta_info.name;
  m.label = label;
  m.convention = delta_info.convention;
  m.reason = "no identity terms of the list occur in the data";
  return m;
}

void add_ctf_metrics(const LoadedRun& run, const Dataset& data, const Predictions& original,
                     const RunAuditInput& input, int64_t positive, const std::string& label,
                     std::vector<MetricValue>& extra) {
  const auto categories = input.counterfactual_terms.empty()
                              ? default_identity_terms()
                              : load_identity_terms(input.counterfactual_terms);
  const CounterfactualTexts texts = make_counterfactuals(run.tokenizer, data, categories);
  if (texts.cfs.empty()) {
    extra.push_back(no_identity_terms_metric(label));
    return;
  }
  const Predictions cf_pred = predict_counterfactuals(run, data, texts);
  const ChangeSums sums = sum_changes(texts.cfs, original, cf_pred, positive);
  add_change_metrics(sums, categories, label, extra);
  log::info("audit", std::to_string(texts.cfs.size()) + " counterfactual texts from " +
                         std::to_string(sums.per_pair.size()) + " identity-term pairs");
}

}  // namespace

AuditData audit_data_from_run(const RunAuditInput& input, const std::string& positive_label,
                              std::vector<MetricValue>& extra) {
  configure_threads(input.threads);
  auto run = load_run(input.run_dir);
  ColumnSpec spec;
  spec.text_column = run.config.data.text_column;
  spec.label_column = run.config.data.label_column;
  spec.group_columns =
      input.group_columns.empty() ? run.config.data.group_columns : input.group_columns;
  spec.id_column = run.config.data.id_column;
  const auto audited_columns = spec.group_columns;
  // The run's per-group thresholds need their column even when it is not audited.
  add_postprocess_column(run.postprocess, spec.group_columns);
  auto data = read_dataset(input.data, spec);
  // The model only ever saw redacted texts; auditing raw ones would measure another input.
  RedactionCounts redacted;
  redact_dataset(data, Redactor::from_config(run.config.data.redact), redacted);
  const auto encoded = encode_dataset(data, run.tokenizer, run.config.padding, run.labels,
                                      torch::get_num_threads());
  auto pred = predict(run.model, encoded);
  // The same post-processed predictions as fm-eval's, so that a mitigation shows in the audit.
  apply_postprocess(run.postprocess, run.labels, data, pred);

  AuditData out;
  out.classes = run.labels;
  const auto n = data.examples.size();
  const auto k = run.labels.size();
  out.y_true.assign(encoded.labels.begin(), encoded.labels.end());
  out.y_pred.assign(pred.predicted.begin(), pred.predicted.end());
  out.scores.assign(k, std::vector<float>(n));
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < k; ++c) out.scores[c][r] = pred.probabilities[r * k + c];
  }
  out.group_columns = audited_columns;
  out.group_codes.assign(audited_columns.size(), std::vector<int32_t>(n));
  out.group_values.resize(audited_columns.size());
  for (std::size_t g = 0; g < audited_columns.size(); ++g) {
    std::unordered_map<std::string, int32_t> codes;
    for (std::size_t r = 0; r < n; ++r) {
      const auto& v = data.examples[r].groups[g];
      auto [it, added] = codes.emplace(v, static_cast<int32_t>(out.group_values[g].size()));
      if (added) out.group_values[g].push_back(v);
      out.group_codes[g][r] = it->second;
    }
  }

  if (input.counterfactual) {
    int64_t positive = -1;
    std::string label = positive_label;
    if (!positive_label.empty()) {
      auto it = std::find(run.labels.begin(), run.labels.end(), positive_label);
      if (it == run.labels.end()) {
        throw ConfigError("positive_label: \"" + positive_label + "\" is not a label of " +
                          input.run_dir);
      }
      positive = it - run.labels.begin();
    } else if (k == 2) {
      positive = 1;  // the second sorted label, as compute_audit's binary default
      label = run.labels[1];
    }
    add_ctf_metrics(run, data, pred, input, positive, label, extra);
  }
  return out;
}

AuditData audit_data_for_run_policy(const AuditPolicy& policy, std::vector<MetricValue>& extra) {
  RunAuditInput input;
  input.run_dir = policy.run;
  input.data = policy.data;
  input.group_columns = policy.group_columns;
  input.counterfactual = policy.counterfactual;
  input.counterfactual_terms = policy.counterfactual_terms;
  input.threads = policy.threads;
  return audit_data_from_run(input, policy.positive_label, extra);
}

}  // namespace fm

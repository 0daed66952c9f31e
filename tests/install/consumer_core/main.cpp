// Uses the installed fmkit::core like a user's service would: the Keras tokenizer, a metric, and
// the fairness audit. Exits non-zero when any result is wrong.
#include <fm/fairness/audit.h>
#include <fm/fairness/metrics.h>
#include <fm/text/tokenizer.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

bool near(double a, double b) { return std::fabs(a - b) < 1e-9; }

// The value of one audit metric (per group, or group "" for the column aggregate).
const fm::MetricValue* find_metric(const fm::AuditResult& r, const std::string& name,
                                   const std::string& column, const std::string& group) {
  for (const auto& m : r.metrics) {
    if (m.name == name && m.column == column && m.group == group) return &m;
  }
  return nullptr;
}

void check_metric(const fm::AuditResult& r, const std::string& name, const std::string& column,
                  const std::string& group, double expected) {
  const fm::MetricValue* m = find_metric(r, name, column, group);
  const std::string what = name + "[" + column + "=" + group + "] == " + std::to_string(expected);
  check(m != nullptr && m->value && near(*m->value, expected),
        what + (m && m->value ? " (got " + std::to_string(*m->value) + ")" : " (missing)"));
}

}  // namespace

int main() {
  try {
    // Keras: Tokenizer(oov_token="<OOV>").fit_on_texts(texts) gives word_index
    // {"<OOV>": 1, "the": 2, "cat": 3, "sat": 4, "dog": 5, "école": 6} (by count, ties in
    // first-seen order; lowercased, punctuation filtered) and texts_to_sequences(["the bird
    // sat"]) == [[2, 1, 4]].
    fm::TokenizerOptions options;
    options.oov_token = "<OOV>";
    fm::Tokenizer tokenizer(options);
    tokenizer.fit_on_texts({"The cat sat.", "the dog sat", "The cat!", "\xC3\x89" "COLE"});
    const auto& index = tokenizer.word_index();
    const std::vector<std::pair<std::string, int64_t>> expected_index = {
        {"<OOV>", 1}, {"the", 2}, {"cat", 3}, {"sat", 4}, {"dog", 5}, {"\xC3\xA9" "cole", 6}};
    check(index.size() == expected_index.size(), "word_index has 6 entries");
    for (const auto& [word, i] : expected_index) {
      const auto it = index.find(word);
      check(it != index.end() && it->second == i, "word_index[" + word + "] == " + std::to_string(i));
    }
    const auto sequences = tokenizer.texts_to_sequences({"the bird sat"});
    check(sequences.size() == 1 && sequences[0] == std::vector<int64_t>{2, 1, 4},
          "texts_to_sequences(the bird sat) == [2, 1, 4]");

    // A metric as a pure function: tpr = tp / (tp + fn); sklearn's roc_auc_score example = 0.75.
    fm::ConfusionCounts counts;
    counts.tp = 3, counts.fp = 1, counts.fn = 1, counts.tn = 5;
    const fm::RateValue tpr = fm::group_rate(fm::GroupRate::kTpr, counts, 4);
    check(tpr.defined() && near(tpr.value, 0.75), "group_rate(tpr) == 0.75");
    const fm::AucValue auc = fm::roc_auc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}, {});
    check(auc.auc.defined() && near(auc.auc.value, 0.75), "roc_auc == 0.75");

    // The audit of a tiny table. Group a: tp 1, fn 1, tn 2 (selection rate 1/4, tpr 1/2);
    // group b: tp 2, fp 1, tn 1 (selection rate 3/4, tpr 1).
    fm::AuditData data;
    data.classes = {"neg", "pos"};
    data.y_true = {1, 1, 0, 0, 1, 1, 0, 0};
    data.y_pred = {1, 0, 0, 0, 1, 1, 1, 0};
    data.group_columns = {"gender"};
    data.group_codes = {{0, 0, 0, 0, 1, 1, 1, 1}};
    data.group_values = {{"a", "b"}};
    fm::AuditOptions audit_options;
    audit_options.positive_label = "pos";
    audit_options.bootstrap_samples = 0;
    audit_options.min_group_size = 1;
    audit_options.threads = 1;
    const fm::AuditResult result = fm::compute_audit(data, audit_options);
    check_metric(result, "selection_rate", "gender", "a", 0.25);
    check_metric(result, "selection_rate", "gender", "b", 0.75);
    check_metric(result, "tpr", "gender", "a", 0.5);
    check_metric(result, "tpr", "gender", "b", 1.0);
    check_metric(result, "demographic_parity_difference", "gender", "", 0.5);
    check_metric(result, "demographic_parity_ratio", "gender", "", 1.0 / 3.0);
    check_metric(result, "equalized_odds_difference", "gender", "", 0.5);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer_core: error: %s\n", e.what());
    return 2;
  }
  std::printf("consumer_core: %s\n", failures == 0 ? "all checks passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}

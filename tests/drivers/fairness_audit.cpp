// Exposes fm::compute_audit to tests/python/test_fairness_reference.py.
//
// stdin: {"classes": [str], "y_true": [int], "y_pred": [int]?, "scores": [[float]]?,
//         "weights": [float]?, "group_columns": [str], "group_codes": [[int]],
//         "group_values": [[str]], "options": {AuditOptions fields by name}?}
//   options: positive_label, thresholds, reference_groups ({column: group}), reference_rule,
//   intersections, min_group_size, min_group_positives, min_group_negatives, tau, power,
//   bootstrap_samples, confidence, seed, threads.
// stdout: {"metrics": [{name, column, group, reference, label, threshold, convention, value,
//          reason, lower, upper, fair, flags}], "groups": [...], "notes": [...]}; undefined
//          values are null.
// Errors: one line on stderr, exit code of the fm::Error (2 for malformed JSON).

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "fm/error.h"
#include "fm/fairness/audit.h"
#include "fm/report/audit_report.h"
#include "json_driver.h"

namespace {

fm::AuditOptions read_options(const nlohmann::json& j) {
  fm::AuditOptions o;
  if (j.is_null()) return o;
  o.positive_label = j.value("positive_label", o.positive_label);
  o.thresholds = j.value("thresholds", o.thresholds);
  if (j.contains("reference_groups")) {
    for (const auto& [k, v] : j.at("reference_groups").items()) {
      o.reference_groups.emplace_back(k, v.get<std::string>());
    }
  }
  o.reference_rule = j.value("reference_rule", o.reference_rule);
  o.intersections = j.value("intersections", o.intersections);
  o.min_group_size = j.value("min_group_size", o.min_group_size);
  o.min_group_positives = j.value("min_group_positives", o.min_group_positives);
  o.min_group_negatives = j.value("min_group_negatives", o.min_group_negatives);
  o.tau = j.value("tau", o.tau);
  o.power = j.value("power", o.power);
  o.bootstrap_samples = j.value("bootstrap_samples", o.bootstrap_samples);
  o.confidence = j.value("confidence", o.confidence);
  o.seed = j.value("seed", o.seed);
  o.threads = j.value("threads", o.threads);
  return o;
}

nlohmann::json run(const nlohmann::json& in) {
  fm::AuditData d;
  d.classes = in.at("classes").get<std::vector<std::string>>();
  d.y_true = in.at("y_true").get<std::vector<int32_t>>();
  d.y_pred = in.value("y_pred", std::vector<int32_t>{});
  d.scores = in.value("scores", std::vector<std::vector<float>>{});
  d.weights = in.value("weights", std::vector<double>{});
  d.group_columns = in.value("group_columns", std::vector<std::string>{});
  d.group_codes = in.value("group_codes", std::vector<std::vector<int32_t>>{});
  d.group_values = in.value("group_values", std::vector<std::vector<std::string>>{});
  const fm::AuditResult r =
      fm::compute_audit(d, read_options(in.value("options", nlohmann::json())));
  nlohmann::json out;
  out["metrics"] = nlohmann::json::array();
  for (const auto& m : r.metrics) {
    out["metrics"].push_back(fm::metric_value_to_json(m));
  }
  out["groups"] = nlohmann::json::array();
  for (const auto& g : r.groups) {
    out["groups"].push_back({{"column", g.column},
                             {"group", g.group},
                             {"label", g.label},
                             {"count", g.count},
                             {"positives", g.positives},
                             {"negatives", g.negatives},
                             {"rows", g.rows},
                             {"flags", g.flags}});
  }
  out["notes"] = r.notes;
  return out;
}

}  // namespace

int main() { return fm::test::json_driver_main("driver_fairness_audit", run); }

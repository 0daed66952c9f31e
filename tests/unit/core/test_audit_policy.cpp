#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/config/audit_policy.h"

namespace {

using fm::AuditPolicy;
using fm::ConfigError;
using nlohmann::json;

const std::string kDataDir = std::string(FM_TEST_DATA_DIR) + "/audit/";
const std::string kShippedPolicy =
    std::string(FM_TEST_DATA_DIR) + "/../../configs/audit-policy.json";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

// A valid predictions-mode policy with one gate, the base of every validation test.
AuditPolicy valid_policy() {
  AuditPolicy p;
  p.predictions = "p.csv";
  p.group_columns = {"gender", "race"};
  p.gates.push_back(fm::Gate{"equalized_odds_difference", std::nullopt, 0.1});
  return p;
}

std::string validate_error(const std::function<void(AuditPolicy&)>& edit) {
  AuditPolicy p = valid_policy();
  edit(p);
  return error_of([&] { fm::validate(p); });
}

TEST(AuditPolicy, DesignExampleParses) {
  const AuditPolicy p = fm::load_audit_policy(kDataDir + "design_policy.json");
  EXPECT_EQ(p.predictions, "runs/quickstart/test_predictions.csv");
  EXPECT_EQ(p.group_columns, (std::vector<std::string>{"gender", "religion"}));
  EXPECT_EQ(p.positive_label, "toxic");
  ASSERT_EQ(p.reference_groups.size(), 1u);
  EXPECT_EQ(p.reference_groups[0], (std::pair<std::string, std::string>{"gender", "male"}));
  EXPECT_EQ(p.bootstrap.samples, 1000);
  EXPECT_DOUBLE_EQ(p.bootstrap.confidence, 0.95);
  EXPECT_EQ(p.bootstrap.seed, 13u);
  ASSERT_EQ(p.gates.size(), 3u);
  EXPECT_EQ(p.gates[0].metric, "equalized_odds_difference");
  EXPECT_DOUBLE_EQ(*p.gates[0].max, 0.10);
  EXPECT_FALSE(p.gates[0].min.has_value());
  EXPECT_EQ(p.gates[1].on, "lower_bound");
  EXPECT_DOUBLE_EQ(*p.gates[1].min, 0.80);
  EXPECT_TRUE(p.gates[2].per_group);
  EXPECT_EQ(p.undefined, "fail");
  EXPECT_EQ(p.baseline.file, "audits/main.json");
  EXPECT_DOUBLE_EQ(p.baseline.max_increase, 0.02);
  EXPECT_NO_THROW(fm::validate(p));
}

TEST(AuditPolicy, ShippedPolicyIsValid) {
  const AuditPolicy p = fm::load_audit_policy(kShippedPolicy);
  EXPECT_NO_THROW(fm::validate(p));
  EXPECT_EQ(p.predictions, "runs/quickstart/test_predictions.csv");
  EXPECT_EQ(p.positive_label, "toxic");
  EXPECT_FALSE(p.gates.empty());
}

TEST(AuditPolicy, DefaultsAndOptions) {
  AuditPolicy p = valid_policy();
  p.thresholds = {0.3, 0.5};
  p.tau = 0.75;
  p.bootstrap = {200, 0.9, 7};
  p.intersections = {{"gender", "race"}};
  const fm::AuditOptions o = fm::to_audit_options(p);
  EXPECT_EQ(o.thresholds, (std::vector<double>{0.3, 0.5}));
  EXPECT_DOUBLE_EQ(o.tau, 0.75);
  EXPECT_EQ(o.bootstrap_samples, 200);
  EXPECT_DOUBLE_EQ(o.confidence, 0.9);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_EQ(o.intersections, p.intersections);
  EXPECT_EQ(o.min_group_size, 30);
  EXPECT_EQ(AuditPolicy{}.undefined, "fail");
}

TEST(AuditPolicy, JsonRoundTrip) {
  AuditPolicy p = valid_policy();
  p.reference_groups = {{"gender", "male"}};
  p.intersections = {{"gender", "race"}};
  p.thresholds = {0.25};
  p.gates[0].on = "upper_bound";
  p.gates[0].label = "toxic";
  p.baseline.max_relative_increase = 0.1;
  const AuditPolicy q = fm::audit_policy_from_json(fm::to_json(p));
  EXPECT_EQ(fm::to_json(q), fm::to_json(p));
}

TEST(AuditPolicy, ReaderErrorsNameThePath) {
  EXPECT_EQ(error_of([] { fm::load_audit_policy(kDataDir + "typo_policy.json"); }),
            kDataDir + "typo_policy.json: bootstrp: unknown key (did you mean \"bootstrap\"?)");
  EXPECT_NE(error_of([] {
              fm::load_audit_policy(kDataDir + "malformed_policy.json");
            }).find("malformed_policy.json:4:"),
            std::string::npos);
  EXPECT_NE(error_of([] { fm::load_audit_policy(kDataDir + "absent.json"); }).find("cannot open"),
            std::string::npos);
  EXPECT_EQ(
      error_of([] {
        fm::audit_policy_from_json(json::parse(R"({"gates": [{"metric": "tpr", "maks": 1}]})"));
      }),
      "gates[0].maks: unknown key (did you mean \"max\"?)");
  EXPECT_EQ(
      error_of([] {
        fm::audit_policy_from_json(json::parse(R"({"gates": [{"metric": "tpr", "max": "1"}]})"));
      }),
      "gates[0].max: expected a number, got string \"1\"");
  EXPECT_NE(error_of([] {
              fm::audit_policy_from_json(json::parse(R"({"undefined": "skip"})"));
            }).find("undefined: expected one of \"pass\", \"fail\", \"warn\""),
            std::string::npos);
  EXPECT_NE(error_of([] {
              fm::audit_policy_from_json(
                  json::parse(R"({"gates": [{"metric": "tpr", "min": 0, "on": "upper"}]})"));
            }).find("gates[0].on: expected one of"),
            std::string::npos);
  EXPECT_EQ(error_of([] {
              fm::audit_policy_from_json(json::parse(R"({"reference_groups": {"gender": 1}})"));
            }),
            "reference_groups.gender: expected a string, got number 1");
  EXPECT_EQ(
      error_of([] { fm::audit_policy_from_json(json::parse(R"({"intersections": [["a", 2]]})")); }),
      "intersections[0][1]: expected a string, got number 2");
  EXPECT_EQ(
      error_of([] { fm::audit_policy_from_json(json::parse(R"({"thresholds": [0.5, "x"]})")); }),
      "thresholds[1]: expected a number, got string \"x\"");
}

TEST(AuditPolicy, Overrides) {
  AuditPolicy p = valid_policy();
  fm::apply_overrides(p, {"bootstrap.samples=0", "outputs.format=json", "gates.0.max=0.25",
                          "group_columns=[\"religion\"]", "positive_label=toxic"});
  EXPECT_EQ(p.bootstrap.samples, 0);
  EXPECT_EQ(p.outputs.format, "json");
  EXPECT_DOUBLE_EQ(*p.gates[0].max, 0.25);
  EXPECT_EQ(p.group_columns, (std::vector<std::string>{"religion"}));
  EXPECT_EQ(p.positive_label, "toxic");
  fm::apply_overrides(p, {R"(gates=[{"metric": "tpr_difference", "max": 0.2}])"});
  ASSERT_EQ(p.gates.size(), 1u);
  EXPECT_EQ(p.gates[0].metric, "tpr_difference");

  const AuditPolicy before = p;
  EXPECT_EQ(error_of([&] {
              fm::apply_overrides(p, {"tau=0.9", "bootstrap.sample=3"});
            }),
            "--set bootstrap.sample=3: bootstrap.sample: unknown key (did you mean \"samples\"?)");
  EXPECT_EQ(fm::to_json(p), fm::to_json(before));  // unchanged on error
  EXPECT_EQ(error_of([&] { fm::apply_overrides(p, {"tau"}); }),
            "--set tau: expected key.path=value");
  EXPECT_NE(error_of([&] { fm::apply_overrides(p, {"gates.5.max=1"}); }).find("index out of range"),
            std::string::npos);
}

// One EXPECT per validation rule.
TEST(AuditPolicy, ValidateInput) {
  EXPECT_NO_THROW(fm::validate(valid_policy()));
  EXPECT_NE(validate_error([](AuditPolicy& p) {
              p.run = "runs/x";
              p.data = "d.csv";
            }).find("predictions and run are exclusive"),
            std::string::npos);
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.predictions.clear(); }),
            "predictions: required (or run + data to audit a model directly)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.predictions.clear();
              p.run = "r";
            }),
            "data must be set when run is set (got \"\")");
  EXPECT_NE(validate_error([](AuditPolicy& p) {
              p.data = "d.csv";
            }).find("data must be empty unless run"),
            std::string::npos);
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.true_column.clear(); }),
            "true_column must be non-empty (got \"\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.group_columns.clear(); }),
            "group_columns must name at least one column (got [])");
  // Run mode may take the run's group columns.
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.predictions.clear(), p.run = "r", p.data = "d", p.group_columns.clear();
            }),
            "<no error>");
}

TEST(AuditPolicy, ValidateGroups) {
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.group_columns.push_back(""); }),
            "group_columns[2] must be non-empty (got \"\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.group_columns.push_back("gender"); }),
            "group_columns[2] must be distinct from group_columns[0] (got \"gender\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.group_columns.push_back("y_true"); }),
            "group_columns[2] must be a group column, not the label/score/weight column (got "
            "\"y_true\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.intersections = {{"gender"}}; }),
            "intersections[0] must be a list of at least 2 columns (got 1)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.intersections = {{"gender", "age"}};
            }),
            "intersections[0][1] must be one of group_columns (got \"age\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.intersections = {{"gender", "gender"}};
            }),
            "intersections[0][1] must be distinct within intersections[0] (got \"gender\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.reference_groups = {{"age", "old"}};
            }),
            "reference_groups must be keyed by group_columns or intersections (got \"age\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.reference_groups = {{"gender", ""}};
            }),
            "reference_groups.gender must be a non-empty group value (got \"\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.reference_rule = "given"; }),
            "reference_groups must be non-empty when reference_rule is \"given\" (got {})");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.intersections = {{"gender", "race"}};
              p.reference_groups = {{"gender&race", "male&white"}};
            }),
            "<no error>");
}

TEST(AuditPolicy, ValidateNumbers) {
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.thresholds = {0.5, 1.5};
            }),
            "thresholds[1] must be in [0, 1] (got 1.5)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.min_group_size = -1; }),
            "min_group_size must be >= 0 (got -1)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.min_group_positives = -2; }),
            "min_group_positives must be >= 0 (got -2)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.min_group_negatives = -3; }),
            "min_group_negatives must be >= 0 (got -3)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.tau = 0; }), "tau must be in (0, 1] (got 0.0)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.power = 0; }),
            "power must be finite and non-zero (got 0.0)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.bootstrap.samples = -1; }),
            "bootstrap.samples must be in [0, 1000000] (got -1)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.bootstrap.confidence = 1; }),
            "bootstrap.confidence must be in (0, 1) (got 1.0)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.threads = -1; }),
            "threads must be in [0, 4096] (got -1)");
}

TEST(AuditPolicy, ValidateGates) {
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.gates[0].metric = "equalized_odds_diference"; }),
            "gates[0].metric: unknown metric \"equalized_odds_diference\" (did you mean "
            "\"equalized_odds_difference\"?)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.gates[0].metric = "zzz"; }),
            "gates[0].metric: unknown metric \"zzz\" (see fm-audit --list-metrics)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.gates[0].max.reset(); }),
            "gates[0]: needs \"min\" or \"max\" (or both)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.gates[0].min = 0.5;
              p.gates[0].max = 0.1;
            }),
            "gates[0].min must be <= gates[0].max (0.1) (got 0.5)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.gates[0].on = "upper_bound";
              p.bootstrap.samples = 0;
            }),
            "gates[0].on must be \"value\" when bootstrap.samples is 0 (no intervals are computed) "
            "(got \"upper_bound\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.gates[0].per_group = true;
              p.gates[0].group = "x";
            }),
            "gates[0].group must be unset when per_group is true (per_group checks every group) "
            "(got \"x\")");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.gates[0].threshold = 2; }),
            "gates[0].threshold must be in [0, 1] (got 2.0)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.gates[0].max = std::nan(""); }),
            "gates[0].max must be finite (got nan)");
}

TEST(AuditPolicy, ValidateBaselineAndOutputs) {
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.baseline.max_increase = -0.1; }),
            "baseline.max_increase must be a finite number >= 0 (got -0.1)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) { p.baseline.max_relative_increase = -1; }),
            "baseline.max_relative_increase must be a finite number >= 0 (got -1.0)");
  EXPECT_EQ(validate_error([](AuditPolicy& p) {
              p.outputs.output = "a";
              p.outputs.junit = "a";
            }),
            "outputs.junit must be a different file from outputs.output (got \"a\")");
}

}  // namespace

// Exposes calibration metrics, temperature scaling and per-group thresholds to
// tests/python/test_postprocess.py.
//
// stdin: {"op": "calibration", "probabilities": [[p...]...], "labels": [str...], "y": [int...],
//         "positive": int?, "bins": int?}
//     → calibration_to_json.
//        {"op": "temperature", "probabilities": [[p...]...], "y": [int...]}
//     → {"temperature", "nll_before", "nll_after", "at_bound", "iterations",
//        "nll_at": {"T": nll, ...} for "at": [T...] if given, "applied": [[p...]...]}.
//        {"op": "thresholds", "scores": [double...], "positive": [0|1...], "groups": [str...],
//         "objective": str, "seed": int, "ids": [str...]}
//     → group_thresholds_to_json plus "probability" (P(positive) per row) and "decision" (0/1 per
//       row with the coins of seed and ids).
// Errors: one line on stderr, exit code of the fm::Error (2 for malformed JSON).

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fm/error.h"
#include "fm/report/calibration.h"
#include "fm/eval/calibration.h"
#include "fm/mitigation/thresholds.h"
#include "json_driver.h"

namespace {

std::vector<float> flatten(const nlohmann::json& rows, int64_t& k) {
  std::vector<float> out;
  k = rows.empty() ? 0 : static_cast<int64_t>(rows[0].size());
  for (const auto& r : rows) {
    for (const auto& p : r) out.push_back(p.get<float>());
  }
  return out;
}

nlohmann::json run(const nlohmann::json& in) {
  const auto op = in.at("op").get<std::string>();
  if (op == "calibration") {
    int64_t k = 0;
    const auto p = flatten(in.at("probabilities"), k);
    return fm::calibration_to_json(fm::calibration_report(
        p, in.at("labels").get<std::vector<std::string>>(), in.at("y").get<std::vector<int64_t>>(),
        in.value("positive", int64_t{-1}), in.value("bins", fm::kCalibrationBins)));
  }
  if (op == "temperature") {
    int64_t k = 0;
    auto p = flatten(in.at("probabilities"), k);
    const auto y = in.at("y").get<std::vector<int64_t>>();
    const auto fit = fm::fit_temperature(p, k, y);
    nlohmann::json out = {{"temperature", fit.temperature}, {"nll_before", fit.nll_before},
                          {"nll_after", fit.nll_after},     {"at_bound", fit.at_bound},
                          {"iterations", fit.iterations},   {"note", fit.note}};
    if (in.contains("at")) {
      out["nll_at"] = nlohmann::json::array();
      for (const auto& t : in["at"]) {
        out["nll_at"].push_back(fm::temperature_nll(p, k, y, t.get<double>()));
      }
    }
    fm::apply_temperature(p, k, fit.temperature);
    out["applied"] = nlohmann::json::array();
    for (std::size_t i = 0; i < y.size(); ++i) {
      out["applied"].push_back(std::vector<float>(p.begin() + static_cast<long>(i * k),
                                                  p.begin() + static_cast<long>((i + 1) * k)));
    }
    return out;
  }
  if (op == "thresholds") {
    const auto scores = in.at("scores").get<std::vector<double>>();
    const auto groups = in.at("groups").get<std::vector<std::string>>();
    auto t = fm::fit_group_thresholds(scores, in.at("positive").get<std::vector<int>>(), groups,
                                      in.at("objective").get<std::string>());
    t.seed = in.value("seed", uint64_t{0});
    auto out = fm::group_thresholds_to_json(t);
    const auto ids = in.value("ids", std::vector<std::string>{});
    out["probability"] = nlohmann::json::array();
    out["decision"] = nlohmann::json::array();
    for (std::size_t i = 0; i < scores.size(); ++i) {
      const double p = t.rule_for(groups[i]).positive_probability(scores[i]);
      out["probability"].push_back(p);
      const auto id = i < ids.size() ? ids[i] : std::to_string(i);
      out["decision"].push_back(fm::decision_coin(t.seed, id) < p ? 1 : 0);
    }
    // Round trip through the JSON form must give the same rules.
    const auto back = fm::group_thresholds_from_json(out, "driver");
    out["round_trip"] = fm::group_thresholds_to_json(back)["groups"] == out["groups"];
    return out;
  }
  throw fm::ConfigError("stdin: unknown op \"" + op + "\"");
}

}  // namespace

int main() { return fm::test::json_driver_main("driver_postprocess", run); }

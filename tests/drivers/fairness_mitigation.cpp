// Exposes the torch-free mitigation functions to tests/python/test_mitigation_reference.py.
//
// stdin, one of:
//   {"reweighing": {"groups": [str], "labels": [str], "weights": [float]?}}
//       → {"row_weights": [float], "total": float, "cells": [{group, label, count, weight}]}
//   {"augment": {"texts": [str], "categories": {name: [term]}, "max_copies": int, "seed": int,
//                "filters": str?, "split": str?}}
//       → {"texts": [str] (originals then copies), "ids": [str], "counts": {...}}
// Errors: one line on stderr, exit code of the fm::Error (2 for malformed JSON).

#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "fm/error.h"
#include "fm/mitigation/augmentation.h"
#include "fm/mitigation/reweighing.h"
#include "json_driver.h"

namespace {

nlohmann::json run(const nlohmann::json& in) {
  if (in.contains("reweighing")) {
    const auto& j = in.at("reweighing");
    const auto r = fm::compute_reweighing(j.at("groups").get<std::vector<std::string>>(),
                                          j.at("labels").get<std::vector<std::string>>(),
                                          j.value("weights", std::vector<double>{}));
    auto out = fm::reweighing_to_json(r);
    out["row_weights"] = r.row_weights;
    return out;
  }
  const auto& j = in.at("augment");
  std::vector<fm::IdentityTermCategory> cats;
  for (const auto& [name, terms] : j.at("categories").items()) {
    cats.push_back({name, terms.get<std::vector<std::string>>()});
  }
  fm::TokenizerOptions tok;
  tok.filters = j.value("filters", tok.filters);
  tok.split = j.value("split", tok.split);
  fm::Dataset d;
  d.path = "stdin";
  const auto texts = j.at("texts").get<std::vector<std::string>>();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    d.examples.push_back({std::to_string(i), texts[i], "y", {}, static_cast<int64_t>(i) + 2});
  }
  const fm::IdentityTermMatcher matcher(cats, tok);
  const auto counts = fm::augment_dataset(d, matcher, j.value("max_copies", std::size_t{0}),
                                          j.value("seed", uint64_t{0}));
  nlohmann::json out = {{"texts", nlohmann::json::array()}, {"ids", nlohmann::json::array()},
                        {"counts", fm::augmentation_counts_to_json(counts)}};
  for (const auto& ex : d.examples) {
    out["texts"].push_back(ex.text);
    out["ids"].push_back(ex.id);
  }
  return out;
}

}  // namespace

int main() { return fm::test::json_driver_main("driver_fairness_mitigation", run); }

// Exposes the classification report to tests/python/test_sklearn_report.py.
//
// stdin: one case {"y_true": [str...], "y_pred": [str...], "digits": N, "labels": [str...]?,
//        "output": "json"|"text"?} or {"cases": [case, ...]}.
// "labels" (optional) fixes the classes and their order, like sklearn's labels= argument; every
// label of y_true and y_pred must be among them.
// stdout: for one case with "output": "text", the text report alone; otherwise per case
//   {"text", "markdown", "confusion_text", "report" (report_to_json), "macro_f1", "weighted_f1",
//    "accuracy"}, and {"results": [...]} for "cases".
// Errors: one line on stderr, exit code of the fm::Error (2 for malformed JSON).

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "fm/error.h"
#include "fm/report/classification_text.h"
#include "fm/eval/metrics.h"
#include "fm/report/classification_json.h"
#include "json_driver.h"

namespace {

std::vector<int> to_indices(const std::vector<std::string>& ys,
                            const std::unordered_map<std::string, int>& index, const char* name) {
  std::vector<int> out;
  out.reserve(ys.size());
  for (std::size_t i = 0; i < ys.size(); ++i) {
    const auto it = index.find(ys[i]);
    if (it == index.end()) {
      throw fm::DataError(std::string("stdin: ") + name + "[" + std::to_string(i) + "] = \"" +
                          ys[i] + "\" is not in \"labels\"");
    }
    out.push_back(it->second);
  }
  return out;
}

nlohmann::json run_case(const nlohmann::json& c) {
  const auto y_true = c.at("y_true").get<std::vector<std::string>>();
  const auto y_pred = c.at("y_pred").get<std::vector<std::string>>();
  const int digits = c.value("digits", 2);
  fm::ClassificationReport report;
  if (c.contains("labels")) {
    const auto labels = c.at("labels").get<std::vector<std::string>>();
    std::unordered_map<std::string, int> index;
    for (std::size_t i = 0; i < labels.size(); ++i) index.emplace(labels[i], static_cast<int>(i));
    report = fm::classification_report(fm::confusion_matrix(
        to_indices(y_true, index, "y_true"), to_indices(y_pred, index, "y_pred"), labels));
  } else {
    report = fm::classification_report(y_true, y_pred);
  }
  nlohmann::json out;
  out["text"] = fm::format_report_text(report, digits);
  out["markdown"] = fm::format_report_markdown(report, digits);
  out["confusion_text"] = fm::format_confusion_text(report.confusion);
  out["report"] = fm::report_to_json(report);
  out["macro_f1"] = fm::macro_f1(report.confusion);
  out["weighted_f1"] = fm::weighted_f1(report.confusion);
  out["accuracy"] = fm::accuracy(report.confusion);
  return out;
}

}  // namespace

int main() {
  return fm::test::json_driver_main("driver_sklearn_report", [](const nlohmann::json& request) {
    if (request.contains("cases")) {
      nlohmann::json results = nlohmann::json::array();
      for (const nlohmann::json& c : request.at("cases")) results.push_back(run_case(c));
      return nlohmann::json{{"results", std::move(results)}};
    }
    if (request.value("output", std::string("json")) == "text") return run_case(request).at("text");
    return run_case(request);
  });
}

#include "fm/report/classification_json.h"

#include <nlohmann/json.hpp>

namespace fm {
namespace {

using Metric = std::pair<MaybeValue ClassScores::*, const char*>;
constexpr Metric kMetrics[] = {{&ClassScores::precision, "precision"},
                               {&ClassScores::recall, "recall"},
                               {&ClassScores::f1, "f1"}};

nlohmann::json class_json(const ClassScores& row) {
  nlohmann::json j = nlohmann::json::object();
  nlohmann::json undefined = nlohmann::json::object();
  for (const auto& [metric, name] : kMetrics) {
    const MaybeValue& v = row.*metric;
    if (v.value) {
      j[name] = *v.value;
    } else {
      j[name] = nullptr;
      undefined[name] = v.reason;
    }
  }
  j["support"] = row.support;
  if (!undefined.empty()) j["undefined"] = std::move(undefined);
  return j;
}

nlohmann::json average_json(const ClassScores& row) {
  nlohmann::json j = nlohmann::json::object();
  nlohmann::json notes = nlohmann::json::object();
  for (const auto& [metric, name] : kMetrics) {
    const MaybeValue& v = row.*metric;
    j[name] = v.value ? nlohmann::json(*v.value) : nlohmann::json(nullptr);
    if (!v.reason.empty()) notes[name] = v.reason;
  }
  j["support"] = row.support;
  if (!notes.empty()) j["zero_division"] = std::move(notes);
  return j;
}

}  // namespace

nlohmann::json report_to_json(const ClassificationReport& report) {
  nlohmann::json j = nlohmann::json::object();
  nlohmann::json classes = nlohmann::json::object();
  for (const ClassScores& row : report.classes) classes[row.label] = class_json(row);
  j["classes"] = std::move(classes);
  j["accuracy"] = report.accuracy;
  j["micro_is_accuracy"] = report.micro_is_accuracy;
  j["macro_avg"] = average_json(report.macro_avg);
  j["weighted_avg"] = average_json(report.weighted_avg);
  j["total"] = report.total;

  const ConfusionMatrix& cm = report.confusion;
  nlohmann::json counts = nlohmann::json::array();
  for (std::size_t t = 0; t < cm.labels.size(); ++t) {
    nlohmann::json row = nlohmann::json::array();
    for (std::size_t p = 0; p < cm.labels.size(); ++p) row.push_back(cm.at(t, p));
    counts.push_back(std::move(row));
  }
  j["confusion_matrix"] = {{"labels", cm.labels}, {"counts", std::move(counts)}};
  return j;
}

}  // namespace fm

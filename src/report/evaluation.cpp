#include "fm/report/evaluation.h"

#include <cmath>
#include <cstdio>

#include "fm/data/csv.h"
#include "fm/report/calibration.h"
#include "fm/report/classification_json.h"
#include "fm/report/classification_text.h"
#include "fm/version.h"

namespace fm {
namespace {

std::string fmt(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace

nlohmann::json postprocess_applied_to_json(const PostProcessApplied& applied) {
  nlohmann::json j = {{"temperature", applied.temperature ? nlohmann::json(*applied.temperature)
                                                          : nlohmann::json()},
                      {"thresholds", nullptr}};
  if (!applied.objective.empty()) {
    j["thresholds"] = {{"objective", applied.objective},
                       {"column", applied.column},
                       {"changed_decisions", applied.changed_decisions},
                       {"unseen_rows", applied.unseen_rows},
                       {"unseen_groups", applied.unseen_groups}};
  }
  return j;
}

std::string temperature_note(const PostProcessApplied& applied) {
  if (!applied.temperature) return "no temperature applied";
  return "temperature " + fmt(*applied.temperature) + " applied";
}

std::string thresholds_note(const PostProcessApplied& applied) {
  if (applied.objective.empty()) return "";
  std::string out = "decisions: per-group thresholds (" + applied.objective + " on " +
                    applied.column + "), " + std::to_string(applied.changed_decisions) +
                    " changed from the arg-max";
  if (applied.unseen_rows > 0) {
    out += "; " + std::to_string(applied.unseen_rows) +
           " rows of groups unseen at fit time used the overall threshold";
  }
  return out;
}

std::string predictions_csv(const Dataset& data, const std::vector<std::string>& labels,
                            const Predictions& predictions) {
  std::string out = "id,y_true,y_pred";
  for (const auto& l : labels) out += "," + csv_escape("p_" + l);
  for (const auto& g : data.group_columns) out += "," + csv_escape(g);
  out += "\n";
  char buf[32];
  const auto k = static_cast<std::size_t>(predictions.num_classes);
  for (std::size_t i = 0; i < data.examples.size(); ++i) {
    const auto& ex = data.examples[i];
    out += csv_escape(ex.id);
    out += ',';
    out += csv_escape(ex.label);
    out += ',';
    out += csv_escape(labels[static_cast<std::size_t>(predictions.predicted[i])]);
    for (std::size_t c = 0; c < k; ++c) {
      // 9 significant digits round-trip a float exactly.
      std::snprintf(buf, sizeof(buf), ",%.9g", predictions.probabilities[i * k + c]);
      out += buf;
    }
    for (const auto& g : ex.groups) {
      out += ',';
      out += csv_escape(g);
    }
    out += '\n';
  }
  return out;
}

nlohmann::json evaluation_to_json(const RunEvaluation& eval) {
  return {{"run", eval.run_dir},
          {"data", eval.data_path},
          {"examples", eval.report.total},
          {"loss", eval.mean_loss},
          {"seconds", eval.seconds},
          {"report", report_to_json(eval.report)},
          {"calibration", calibration_to_json(eval.calibration)},
          {"postprocess", postprocess_applied_to_json(eval.postprocess)},
          {"privacy", eval.privacy}};
}

namespace {

/// "privacy: DP-SGD, epsilon 2.81 at delta 1e-05 (...)" or the absence of a guarantee.
std::string privacy_note(const nlohmann::json& p) {
  if (!p.is_object()) return "privacy: none (trained without DP-SGD)";
  char buf[256];
  const auto number = [&](const char* key) {
    return p.contains(key) && p[key].is_number() ? p[key].get<double>() : std::nan("");
  };
  if (!p.contains("epsilon") || !p["epsilon"].is_number()) {
    std::snprintf(buf, sizeof(buf), "privacy: DP-SGD, epsilon unbounded at delta %g", number("delta"));
    return buf;
  }
  std::snprintf(buf, sizeof(buf),
                "privacy: DP-SGD, epsilon %.4g at delta %g (noise multiplier %.4g, max grad norm "
                "%g, sample rate %.4g, %.0f steps; the model weights only)",
                number("epsilon"), number("delta"), number("noise_multiplier"),
                number("max_grad_norm"), number("sample_rate"),
                number("steps"));
  return buf;
}

}  // namespace

std::string format_evaluations(const std::vector<RunEvaluation>& evals, const std::string& format,
                               int digits) {
  std::string out;
  if (format == "json") {
    nlohmann::json j = {{"fmkit_version", fmkit_version()}, {"results", nlohmann::json::array()}};
    for (const auto& e : evals) j["results"].push_back(evaluation_to_json(e));
    return j.dump(2) + "\n";
  }
  for (std::size_t i = 0; i < evals.size(); ++i) {
    const auto& e = evals[i];
    char stats[128];
    std::snprintf(stats, sizeof(stats), "%lld examples, loss %.4f, %.2f s",
                  static_cast<long long>(e.report.total), e.mean_loss, e.seconds);
    if (format == "markdown") {
      out += "## `" + e.run_dir + "` on `" + e.data_path + "`\n\n" + stats + "\n\n";
      out += format_report_markdown(e.report, digits);
      out += "\n" + format_calibration_markdown(e.calibration, digits,
                                                temperature_note(e.postprocess));
      if (!e.postprocess.objective.empty()) out += "\n" + thresholds_note(e.postprocess) + "\n";
      out += "\n" + privacy_note(e.privacy) + "\n";
    } else {
      if (i > 0) out += "\n";
      out += "run: " + e.run_dir + "\ndata: " + e.data_path + " (" + stats + ")\n\n";
      out += format_report_text(e.report, digits);
      out += "\n" + format_confusion_text(e.report.confusion);
      out += "\n" + format_calibration_text(e.calibration, digits, temperature_note(e.postprocess));
      if (!e.postprocess.objective.empty()) out += thresholds_note(e.postprocess) + "\n";
      out += privacy_note(e.privacy) + "\n";
    }
  }
  return out;
}

}  // namespace fm

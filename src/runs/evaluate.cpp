#include "fm/runs/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "fm/data/csv.h"
#include "fm/data/encoded.h"
#include "fm/error.h"
#include "fm/eval/report_json.h"
#include "fm/io/files.h"
#include "fm/log.h"
#include "fm/runs/runtime.h"
#include "fm/text/redact.h"
#include "fm/version.h"

namespace fm {
namespace fs = std::filesystem;

namespace {

/// Class of the binary Brier score: the thresholds' positive label when configured, else the
/// second label.
int64_t calibration_positive(const LoadedRun& run) {
  const auto& label = run.config.training.fairness.thresholds.positive_label;
  const auto it = std::find(run.labels.begin(), run.labels.end(), label);
  return label.empty() || it == run.labels.end() ? -1 : it - run.labels.begin();
}

}  // namespace

RunEvaluation evaluate_run(LoadedRun& run, const Dataset& data, int64_t batch_size) {
  const auto start = std::chrono::steady_clock::now();
  RunEvaluation eval;
  eval.run_dir = run.dir;
  eval.data_path = data.path;
  eval.privacy = run.manifest.is_object() ? run.manifest.value("privacy", nlohmann::json()) : nullptr;
  const auto encoded = encode_dataset(data, run.tokenizer, run.config.padding, run.labels,
                                      torch::get_num_threads());
  eval.predictions = predict(run.model, encoded, batch_size);
  eval.postprocess = apply_postprocess(run.postprocess, run.labels, data, eval.predictions);
  eval.calibration = calibration_report(eval.predictions.probabilities, run.labels, encoded.labels,
                                        calibration_positive(run));
  std::vector<std::string> y_true, y_pred;
  y_true.reserve(data.examples.size());
  y_pred.reserve(data.examples.size());
  double loss = 0.0;
  for (std::size_t i = 0; i < data.examples.size(); ++i) {
    y_true.push_back(data.examples[i].label);
    y_pred.push_back(run.labels[static_cast<std::size_t>(eval.predictions.predicted[i])]);
    loss += eval.predictions.loss.empty() ? 0.0 : eval.predictions.loss[i];
  }
  eval.mean_loss = data.examples.empty() ? 0.0 : loss / static_cast<double>(data.examples.size());
  eval.report = classification_report(y_true, y_pred);
  eval.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return eval;
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
                "%g, sample rate %.4g, %lld steps; the model weights only)",
                number("epsilon"), number("delta"), number("noise_multiplier"),
                number("max_grad_norm"), number("sample_rate"),
                static_cast<long long>(p.value("steps", int64_t{0})));
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

namespace {

/// One predictions file per run: "-<run name>" before the extension, "-<run name>-<n>" when two
/// runs share a name.
std::vector<std::string> predictions_paths(const std::string& base,
                                           const std::vector<std::string>& runs) {
  if (runs.size() == 1) return {base};
  fs::path p(base);
  std::vector<std::string> out;
  std::map<std::string, int> used;
  for (const auto& dir : runs) {
    auto name = fs::path(dir).filename().string();
    if (name.empty()) name = fs::path(dir).parent_path().filename().string();
    const int n = ++used[name];
    if (n > 1) name += "-" + std::to_string(n);
    out.push_back((p.parent_path() / (p.stem().string() + "-" + name + p.extension().string()))
                      .string());
  }
  return out;
}

void check_writable_parent(const std::string& path) {
  auto parent = fs::path(path).parent_path();
  ensure_directory(parent.empty() ? "." : parent.string());
}

}  // namespace

void run_eval(const EvalJob& job) {
  if (job.runs.empty()) throw ConfigError("--run: at least one run directory is required");
  if (job.format != "text" && job.format != "json" && job.format != "markdown") {
    throw ConfigError("--format: expected text, json or markdown (got \"" + job.format + "\")");
  }
  if (job.digits < 0 || job.digits > 15) {
    throw ConfigError("--digits must be in [0, 15] (got " + std::to_string(job.digits) + ")");
  }
  if (job.batch_size < 1) throw ConfigError("--batch-size must be >= 1");
  const auto pred_paths =
      job.predictions.empty() ? std::vector<std::string>{} : predictions_paths(job.predictions, job.runs);
  // An output must never be one of the inputs (the data, a file of a run).
  std::vector<std::string> inputs = {job.data};
  for (const auto& dir : job.runs) {
    for (const auto& name : run_input_files()) inputs.push_back((fs::path(dir) / name).string());
  }
  refuse_overwriting_inputs("--output", job.output, inputs);
  for (const auto& path : pred_paths) refuse_overwriting_inputs("--predictions", path, inputs);
  // Fail on an unwritable destination before spending time on inference.
  if (!job.output.empty()) check_writable_parent(job.output);
  if (!job.predictions.empty()) check_writable_parent(job.predictions);
  configure_threads(job.threads);

  std::vector<LoadedRun> runs;
  for (const auto& dir : job.runs) runs.push_back(load_run(dir));

  // Runs trained with the same columns share one read of the data file.
  std::map<std::string, Dataset> datasets;
  std::vector<RunEvaluation> evals;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    auto& run = runs[r];
    ColumnSpec spec;
    spec.text_column = run.config.data.text_column;
    spec.label_column = run.config.data.label_column;
    spec.group_columns = run.config.data.group_columns;
    spec.id_column = run.config.data.id_column;
    auto key = spec.text_column + '\x1f' + spec.label_column + '\x1f' + spec.id_column;
    for (const auto& g : spec.group_columns) key += '\x1f' + g;
    // Each run sees its texts as its training did: redacted with the run's own data.redact.
    key += '\x1e';
    for (const auto& type : run.config.data.redact) key += '\x1f' + type;
    auto it = datasets.find(key);
    if (it == datasets.end()) {
      Dataset data = read_dataset(job.data, spec);
      RedactionCounts redacted;
      redact_dataset(data, Redactor::from_config(run.config.data.redact), redacted);
      it = datasets.emplace(key, std::move(data)).first;
    }
    evals.push_back(evaluate_run(run, it->second, job.batch_size));
    log::info("eval", run.dir + ": accuracy " + std::to_string(evals.back().report.accuracy));
    if (!job.predictions.empty()) {
      write_file_atomic(pred_paths[r],
                        predictions_csv(it->second, run.labels, evals.back().predictions));
    }
  }
  const auto text = format_evaluations(evals, job.format, job.digits);
  if (job.output.empty()) {
    std::cout << text << std::flush;
  } else {
    write_file_atomic(job.output, text);
  }
}

}  // namespace fm

#include "fm/jobs/eval.h"

#include <filesystem>
#include <iostream>
#include <map>

#include "fm/data/redaction.h"
#include "fm/error.h"
#include "fm/validation.h"
#include "fm/io/files.h"
#include "fm/log.h"
#include "fm/model/runtime.h"
#include "fm/report/evaluation.h"
#include "fm/runs/evaluate.h"
#include "fm/runs/run_directory.h"

namespace fm {
namespace fs = std::filesystem;

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

}  // namespace

void run_eval(const EvalJob& job) {
  if (job.runs.empty()) throw ConfigError("--run: at least one run directory is required");
  if (job.format != "text" && job.format != "json" && job.format != "markdown") {
    throw ConfigError("--format: expected text, json or markdown (got \"" + job.format + "\")");
  }
  if (job.digits < 0 || job.digits > 15) {
    throw ConfigError("--digits must be in [0, 15] (got " + std::to_string(job.digits) + ")");
  }
  validation::require_in_range("--batch-size", job.batch_size, 1, 1'000'000);
  validation::require_in_range("--threads", job.threads, 0, 4'096);
  const auto pred_paths =
      job.predictions.empty() ? std::vector<std::string>{} : predictions_paths(job.predictions, job.runs);
  // An output must never be one of the inputs (the data, a file of a run).
  std::vector<std::string> inputs = {job.data};
  for (const auto& dir : job.runs) {
    for (const auto& name : run_input_files()) inputs.push_back((fs::path(dir) / name).string());
  }
  refuse_overwriting_inputs("--output", job.output, inputs);
  for (const auto& path : pred_paths) refuse_overwriting_inputs("--predictions", path, inputs);
  // Fail on an unwritable or doubly used destination before spending time on inference.
  std::vector<std::pair<std::string, std::string>> outputs = {{"--output", job.output}};
  for (const auto& path : pred_paths) outputs.emplace_back("--predictions", path);
  check_outputs(outputs);
  configure_threads(job.threads);

  std::vector<LoadedRun> runs;
  for (const auto& dir : job.runs) runs.push_back(load_run(dir));

  // Runs trained with the same columns share one read of the data file.
  std::map<std::string, Dataset> datasets;
  std::vector<RunEvaluation> evals;
  std::vector<std::string> predictions;  // written once every run has been evaluated
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
      predictions.push_back(predictions_csv(it->second, run.labels, evals.back().predictions));
    }
  }
  for (std::size_t r = 0; r < predictions.size(); ++r) {
    const auto parent = fs::path(pred_paths[r]).parent_path();
    ensure_directory(parent.empty() ? "." : parent.string());
    write_file_atomic(pred_paths[r], predictions[r]);
  }
  const auto text = format_evaluations(evals, job.format, job.digits);
  if (job.output.empty()) {
    std::cout << text << std::flush;
  } else {
    const auto parent = fs::path(job.output).parent_path();
    ensure_directory(parent.empty() ? "." : parent.string());
    write_file_atomic(job.output, text);
  }
}

}  // namespace fm

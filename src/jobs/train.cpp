#include "fm/jobs/train.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "fm/data/encoded.h"
#include "fm/data/redaction.h"
#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/io/interrupt.h"
#include "fm/log.h"
#include "fm/model/runtime.h"
#include "fm/report/classification_text.h"
#include "fm/report/evaluation.h"
#include "fm/runs/checkpoint.h"
#include "fm/runs/evaluate.h"
#include "fm/runs/run_directory.h"
#include "fm/runs/staging.h"
#include "fm/text/redact.h"
#include "fm/train/mitigation.h"
#include "fm/train/postprocess_fit.h"
#include "fm/train/trainer.h"
#include "fm/version.h"
#include "train/progress.h"

namespace fm {
namespace fs = std::filesystem;
namespace {

using train_detail::Clock;
using train_detail::fmt_opt;
using train_detail::path_in;
using train_detail::seconds_since;

/// Every input of a run, read and checked before anything is written or trained.
struct TrainInputs {
  Dataset train, valid, test;
  bool has_valid = false, has_test = false;
  RedactionCounts train_redacted, valid_redacted, test_redacted;
  std::vector<std::string> labels;
  /// data_digests(): the files' SHA-256 as read now (the manifest's and --resume's reference).
  nlohmann::json digests;
};

/// Step 1: reads train, validation and test (redacted as configured), splits validation off train
/// when asked, augments the training split, and checks labels and post-processing — so that a bad
/// file is found before the first epoch, not after the last.
TrainInputs read_inputs(const RunConfig& cfg, BiasMitigation& fairness) {
  ColumnSpec spec;
  spec.text_column = cfg.data.text_column;
  spec.label_column = cfg.data.label_column;
  spec.group_columns = cfg.data.group_columns;
  spec.id_column = cfg.data.id_column;
  const auto redactor = Redactor::from_config(cfg.data.redact);
  TrainInputs in;
  in.digests = data_digests(cfg.data);
  in.train = read_dataset(cfg.data.train, spec);
  redact_dataset(in.train, redactor, in.train_redacted);
  if (!cfg.data.validation.empty()) {
    in.valid = read_dataset(cfg.data.validation, spec);
    redact_dataset(in.valid, redactor, in.valid_redacted);
    in.has_valid = true;
  } else if (cfg.data.validation_split > 0) {
    auto parts = stratified_split(in.train, cfg.data.validation_split, cfg.training.seed);
    in.train = std::move(parts.first);
    in.valid = std::move(parts.second);
    in.has_valid = !in.valid.examples.empty();
  }
  if (!cfg.data.test.empty()) {
    in.test = read_dataset(cfg.data.test, spec);
    redact_dataset(in.test, redactor, in.test_redacted);
    in.has_test = true;
  }
  const auto empty_texts = std::count_if(in.train.examples.begin(), in.train.examples.end(),
                                         [](const Example& ex) { return ex.text.empty(); });
  if (empty_texts == static_cast<std::ptrdiff_t>(in.train.examples.size())) {
    log::warn("data", cfg.data.train + ": every text is empty: the model can only learn how "
                                       "often each label occurs");
  } else if (empty_texts > 0) {
    log::info("data", cfg.data.train + ": " + std::to_string(empty_texts) + " empty texts");
  }
  fairness.augment(in.train, cfg.tokenizer, cfg.training.seed);  // the training split only
  in.labels = collect_labels(in.train);
  if (in.has_valid) check_known_labels(in.valid, in.labels);
  if (in.has_test) check_known_labels(in.test, in.labels);
  check_postprocess_config(cfg, in.has_valid, in.labels);
  return in;
}

/// The tokenizer and the encoded training and validation splits.
struct Encoded {
  Tokenizer tokenizer;
  EncodedDataset train, valid;
};

/// Step 2, fresh run: fits the tokenizer on the training texts (tokenizing them once) and writes
/// tokenizer.json, labels.json and config.json into the staging directory.
Encoded fit_tokenizer(const RunConfig& cfg, const TrainInputs& in, const std::string& dir,
                      int threads) {
  Encoded e{Tokenizer(cfg.tokenizer), {}, {}};
  std::vector<std::string> texts;
  texts.reserve(in.train.examples.size());
  for (const auto& ex : in.train.examples) texts.push_back(ex.text);
  {
    const auto sequences = e.tokenizer.fit_transform(texts, threads);
    e.train = encode_sequences(in.train, sequences, cfg.padding, in.labels);
  }
  write_file_atomic(path_in(dir, RunFiles::kTokenizer), e.tokenizer.to_json());
  write_json_atomic(path_in(dir, RunFiles::kLabels), {{"labels", in.labels}});
  write_json_atomic(path_in(dir, RunFiles::kConfig), to_json(cfg));
  if (in.has_valid) {
    e.valid = encode_dataset(in.valid, e.tokenizer, cfg.padding, in.labels, threads);
  }
  return e;
}

/// --resume, before anything is copied or written: the run's files are checked against its
/// checkpoint, the data files are the ones it was trained on, the config differs only where
/// resuming allows it, and the labels are the same.
TrainerState check_resumable(const RunConfig& cfg, const TrainInputs& in,
                             const std::string& source) {
  const auto manifest_path = path_in(source, RunFiles::kManifest);
  if (fs::exists(manifest_path)) {  // a finished run: its manifest vouches for every file
    const auto manifest = read_run_json(manifest_path);
    check_run_format(manifest, manifest_path);
    RunDigests::from_record(manifest, manifest_path, source).verify_all();
  }
  auto state = open_checkpoint(source, in.digests);
  RunConfig saved_config;
  try {
    saved_config = load_run_config(path_in(source, RunFiles::kConfig));
  } catch (const ConfigError& e) {  // the run's own file: damaged, not a usage error
    throw ModelError(e.what());
  }
  check_resume_config(cfg, saved_config);
  const auto saved = read_run_json(path_in(source, RunFiles::kLabels));
  if (!saved.is_object() ||
      saved.value("labels", nlohmann::json::array()) != nlohmann::json(in.labels)) {
    throw DataError(cfg.data.train + ": labels differ from the run being resumed");
  }
  return state;
}

/// Step 2, --resume: the run's own tokenizer (checked by check_resumable).
Encoded resume_tokenizer(const RunConfig& cfg, const TrainInputs& in, const std::string& dir,
                         int threads) {
  Encoded e{Tokenizer::from_json(read_file(path_in(dir, RunFiles::kTokenizer))), {}, {}};
  e.train = encode_dataset(in.train, e.tokenizer, cfg.padding, in.labels, threads);
  if (in.has_valid) {
    e.valid = encode_dataset(in.valid, e.tokenizer, cfg.padding, in.labels, threads);
  }
  return e;
}

/// manifest.json's "redaction" section: counts per file (a validation part split from train is
/// inside the train counts).
nlohmann::json redaction_json(const RunConfig& cfg, const TrainInputs& in) {
  if (cfg.data.redact.empty()) return nullptr;
  nlohmann::json j = {{"types", nlohmann::json::array()},
                      {"train", redaction_counts_to_json(in.train_redacted)}};
  const auto redactor = Redactor::from_config(cfg.data.redact);
  for (const auto type : redactor.types()) {
    j["types"].push_back(pii_type_name(type));
  }
  if (!cfg.data.validation.empty()) j["validation"] = redaction_counts_to_json(in.valid_redacted);
  if (in.has_test) j["test"] = redaction_counts_to_json(in.test_redacted);
  return j;
}

/// manifest.json, without the test figures and the file digests (added by the caller and
/// RunStaging::commit).
nlohmann::json manifest_json(const TrainJob& job, const Trainer& t, BiasMitigation& fairness,
                             const TrainInputs& in, const Encoded& e, int64_t threads) {
  const auto& cfg = job.config;
  auto data_entry = [&](const char* split, const Dataset& d) {
    auto entry = in.digests[split];
    entry["rows"] = d.examples.size();
    return entry;
  };
  int64_t parameters = 0;
  for (const auto& p : t.model()->parameters()) parameters += p.numel();
  nlohmann::json m = {
      {"format_version", kRunFormatVersion},
      {"fmkit_version", fmkit_version()},
      {"git_commit", git_commit()},
      {"libtorch_version", torch_version()},
      {"blas", blas_in_use()},
      {"seed", cfg.training.seed},
      {"threads", threads},
      {"config_file", job.config_path},
      {"data", {{"train", data_entry("train", in.train)}}},
      {"counts",
       {{"train", in.train.examples.size()},
        {"validation", in.valid.examples.size()},
        {"classes", in.labels.size()},
        {"vocabulary", e.tokenizer.vocab_size()},
        {"parameters", parameters}}},
      {"labels", in.labels},
      {"epochs_completed", t.state().epochs_completed},
      {"best_epoch", t.state().best_epoch},
      {"stopped_early", t.stopped_early()},
      {"privacy", t.privacy_json()},
      {"redaction", redaction_json(cfg, in)}};
  if (fairness.active()) m["fairness"].update(fairness.manifest_json());
  if (!cfg.data.validation.empty()) {
    m["data"]["validation"] = data_entry("validation", in.valid);
  } else {
    m["data"]["validation"] = {{"split_from_train", cfg.data.validation_split},
                               {"rows", in.valid.examples.size()}};
  }
  if (in.has_test) m["data"]["test"] = data_entry("test", in.test);
  return m;
}

/// Step 4: the test split predicted with the finished run (post-processing included): writes
/// test_predictions.csv and test_report.json, adds the figures to the manifest, returns the report
/// text for stdout.
std::string evaluate_test(const RunConfig& cfg, Trainer& t, Encoded& e, const TrainInputs& in,
                          const PostProcess& post, const std::string& dir,
                          nlohmann::json& manifest) {
  LoadedRun loaded{cfg.output.dir, cfg, e.tokenizer, in.labels, t.model(), {}, post};
  const auto eval = evaluate_run(loaded, in.test, 256);
  write_file_atomic(path_in(dir, RunFiles::kTestPredictions),
                    predictions_csv(in.test, in.labels, eval.predictions));
  write_json_atomic(path_in(dir, RunFiles::kTestReport), evaluation_to_json(eval));
  manifest["test"] = {{"accuracy", eval.report.accuracy},
                      {"macro_f1", eval.report.macro_avg.f1.value.value_or(0.0)}};
  return "test: " + cfg.data.test + "\n\n" + format_report_text(eval.report, 4) + "\n" +
         format_confusion_text(eval.report.confusion);
}

std::string summary_line(const RunConfig& cfg, const TrainerState& state, bool has_valid) {
  const auto& es = cfg.training.early_stopping;
  std::ostringstream out;
  out << "run: " << cfg.output.dir << " (" << state.epochs_completed << " epochs, best epoch "
      << state.best_epoch;
  if (has_valid && state.best_score) {
    out << ", validation " << es.metric << " "
        << fmt_opt(es.metric == "loss" ? -*state.best_score : *state.best_score);
  }
  out << ")\n";
  return out.str();
}

}  // namespace

TrainResult run_train(const TrainJob& job) {
  const auto start = Clock::now();
  const RunConfig& cfg = job.config;
  validate(cfg);
  const auto& tc = cfg.training;
  const auto threads = configure_threads(tc.threads);
  torch::manual_seed(tc.seed);
  install_interrupt_handler();

  // One writer per run directory; the run is built beside it and swapped in when complete. The
  // inputs are read before an earlier unfinished run is touched.
  auto run = RunStaging::lock(cfg.output.dir, job.resume);
  BiasMitigation fairness(tc.fairness, cfg.data.group_columns);
  const auto in = read_inputs(cfg, fairness);
  std::optional<TrainerState> resumed;
  if (job.resume) resumed = check_resumable(cfg, in, run.resume_source());
  run.prepare();
  const auto& dir = run.staging();
  auto e = job.resume ? resume_tokenizer(cfg, in, dir, static_cast<int>(threads))
                      : fit_tokenizer(cfg, in, dir, static_cast<int>(threads));
  log::info("data", std::to_string(in.train.examples.size()) + " training / " +
                        std::to_string(in.valid.examples.size()) + " validation examples, " +
                        std::to_string(in.labels.size()) + " classes, vocabulary " +
                        std::to_string(e.tokenizer.vocab_size()) + ", " + std::to_string(threads) +
                        " threads");

  const auto num_classes = static_cast<int64_t>(in.labels.size());
  Trainer trainer(cfg, dir, in.digests, fairness, e.tokenizer.vocab_size(), num_classes, e.train);
  fairness.prepare(in.train, num_classes);
  if (resumed) {
    trainer.resume(*resumed);
    log::info("train", "resuming " + run.dir() + " after epoch " +
                           std::to_string(resumed->epochs_completed));
  }
  trainer.train(e.train, e.valid, in.labels);

  // Temperature and per-group thresholds fitted on validation (postprocess.json); used from here on.
  const auto post = fit_run_postprocess(cfg, in.valid, e.valid, in.labels, trainer.model(), dir);
  auto manifest = manifest_json(job, trainer, fairness, in, e, threads);
  TrainResult result;
  result.run_dir = cfg.output.dir;
  result.summary = summary_line(cfg, trainer.state(), in.has_valid);
  if (in.has_test) result.summary += evaluate_test(cfg, trainer, e, in, post, dir, manifest);
  manifest["postprocess"] = postprocess_manifest_json(post);
  result.seconds = seconds_since(start);
  manifest["training_seconds"] = result.seconds;
  run.commit(std::move(manifest));
  result.history = trainer.state().history;
  result.best_epoch = trainer.state().best_epoch;
  result.best_score = trainer.state().best_score;
  result.stopped_early = trainer.stopped_early();
  return result;
}

}  // namespace fm

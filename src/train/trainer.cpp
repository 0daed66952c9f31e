#include "fm/train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "fm/data/encoded.h"
#include "fm/error.h"
#include "fm/eval/metrics.h"
#include "fm/io/files.h"
#include "fm/io/interrupt.h"
#include "fm/log.h"
#include "fm/model/batching.h"
#include "fm/runs/checkpoint.h"
#include "fm/runs/evaluate.h"
#include "fm/runs/predict.h"
#include "fm/runs/run_directory.h"
#include "fm/runs/runtime.h"
#include "fm/runs/staging.h"
#include "fm/text/redact.h"
#include "fm/train/adam.h"
#include "fm/train/dp_sgd.h"
#include "fm/train/mitigation.h"
#include "fm/version.h"

namespace fm {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string path_in(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

std::string fmt_opt(const std::optional<double>& v) {
  if (!v) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", *v);
  return buf;
}

/// The monitored early-stopping value, oriented so that higher is better.
std::optional<double> monitored(const EpochMetrics& m, const std::string& metric) {
  if (metric == "loss") return m.val_loss ? std::optional<double>(-*m.val_loss) : std::nullopt;
  if (metric == "accuracy") return m.val_accuracy;
  if (metric == "weighted_f1") return m.val_weighted_f1;
  return m.val_macro_f1;
}

/// Progress on stderr, only when it is a terminal.
class ProgressBar {
 public:
  ProgressBar(int64_t epoch, int64_t epochs, std::size_t total)
      : enabled_(isatty(STDERR_FILENO) != 0), epoch_(epoch), epochs_(epochs), total_(total) {}
  void update(std::size_t done, double loss) {
    if (!enabled_ || (done != total_ && done % 4 != 0)) return;
    const int width = 30;
    const int filled = total_ ? static_cast<int>(width * done / total_) : width;
    std::fprintf(stderr, "\repoch %lld/%lld [%s%s] %zu/%zu loss %.4f",
                 static_cast<long long>(epoch_), static_cast<long long>(epochs_),
                 std::string(static_cast<std::size_t>(filled), '=').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), done, total_,
                 loss);
    if (done == total_) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  int64_t epoch_, epochs_;
  std::size_t total_;
};

torch::Tensor class_weights(const EncodedDataset& train, int64_t classes, const std::string& mode) {
  if (mode != "balanced") return {};
  // scikit-learn's compute_class_weight("balanced"): n_samples / (n_classes * bincount).
  std::vector<double> counts(static_cast<std::size_t>(classes), 0.0);
  for (auto l : train.labels) counts[static_cast<std::size_t>(l)] += 1.0;
  auto w = torch::empty({classes}, torch::kFloat);
  for (int64_t c = 0; c < classes; ++c) {
    const auto n = counts[static_cast<std::size_t>(c)];
    w[c] = n > 0 ? static_cast<double>(train.size()) / (static_cast<double>(classes) * n) : 0.0;
  }
  return w;
}

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
  auto state = open_checkpoint(source, in.digests);
  check_resume_config(cfg, load_run_config(path_in(source, RunFiles::kConfig)));
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

/// The model and everything that changes while it trains.
struct Training {
  const RunConfig& cfg;
  const std::string& dir;  // the staging directory
  const nlohmann::json& data_digests;
  BiasMitigation& fairness;
  LstmClassifier model;
  torch::optim::Adam optim;
  torch::Tensor weights;  // class weights (undefined = none)
  PrivateTraining dp;
  TrainerState state;
  bool stopped_early = false;

  /// `improved`: the current weights are the best so far.
  void checkpoint(bool improved) {
    save_checkpoint(dir, model, optim, state, data_digests, improved,
                    [this](const std::string& into) { fairness.save(into); });
  }
};

/// Step 3: one epoch over the training batches; returns the mean training loss.
double train_epoch(Training& t, const EncodedDataset& train, int64_t epoch) {
  const auto& tc = t.cfg.training;
  t.model->train();
  const auto batches =
      t.dp.enabled() ? t.dp.epoch_batches(epoch, tc.seed)
                     : plan_batches(train, tc.batch_size, /*shuffle=*/true, tc.bucket_by_length,
                                    tc.seed + static_cast<uint64_t>(epoch));
  ProgressBar bar(epoch, tc.epochs, batches.size());
  double loss_sum = 0.0;
  int64_t seen = 0;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    if (interrupt_requested()) {
      // The checkpoint holds the weights as they are now; --resume repeats this epoch.
      t.checkpoint(false);
      throw Interrupted("interrupted in epoch " + std::to_string(epoch) + "; checkpoint saved in " +
                        path_in(t.dir, RunFiles::kCheckpointDir) + " (continue with --resume --output " +
                        t.cfg.output.dir + ")");
    }
    test_kill_point(epoch, static_cast<int64_t>(b));
    auto batch = make_batch(train, batches[b]);
    if (t.dp.enabled()) {
      // Clipped per-example gradients + noise replace the batch gradient (and its clipping).
      const auto row_w =
          batch.rows.empty() ? torch::Tensor() : t.fairness.example_weights(batch, t.weights);
      const auto stats = t.dp.gradient(t.model, batch,
                                       row_w.defined() ? torch::Tensor() : t.weights, row_w);
      adam_step(t.optim);
      loss_sum += stats.loss_sum;
      seen += stats.rows;
    } else {
      t.optim.zero_grad();
      auto logits = t.model->forward(batch.ids, batch.lengths);
      // Class weights × reweighing weights; the adversary (when on) sets debiased gradients.
      auto loss = t.fairness.loss(logits, batch, t.weights);
      t.fairness.backward(t.model, loss, logits, batch);
      if (tc.clip_grad_norm > 0) {
        torch::nn::utils::clip_grad_norm_(t.model->parameters(), tc.clip_grad_norm);
      }
      adam_step(t.optim);
      const auto n = static_cast<int64_t>(batch.rows.size());
      loss_sum += loss.item<double>() * static_cast<double>(n);
      seen += n;
    }
    bar.update(b + 1, seen ? loss_sum / static_cast<double>(seen) : 0.0);
  }
  return seen ? loss_sum / static_cast<double>(seen) : 0.0;
}

/// Validation loss, accuracy and F1 of the model as it is now.
void validate_epoch(Training& t, const Encoded& e, const std::vector<std::string>& labels,
                    EpochMetrics& m) {
  const auto pred = predict(t.model, e.valid);
  std::vector<int> y_true(e.valid.labels.begin(), e.valid.labels.end());
  std::vector<int> y_pred(pred.predicted.begin(), pred.predicted.end());
  const auto cm = confusion_matrix(y_true, y_pred, labels);
  double loss = 0.0;
  for (auto l : pred.loss) loss += l;
  m.val_loss = loss / static_cast<double>(pred.loss.size());
  m.val_accuracy = accuracy(cm);
  m.val_macro_f1 = macro_f1(cm);
  m.val_weighted_f1 = weighted_f1(cm);
}

/// Early-stopping bookkeeping after an epoch: keeps the best weights, writes metrics.jsonl and
/// the checkpoint, logs the epoch. Returns whether training should stop.
bool end_epoch(Training& t, const EpochMetrics& m, bool has_valid) {
  const auto& tc = t.cfg.training;
  const auto& es = tc.early_stopping;
  auto& state = t.state;
  state.history.push_back(m);
  state.epochs_completed = m.epoch;
  const auto score = monitored(m, es.metric);
  const bool improved =
      !has_valid || !state.best_score || (score && *score > *state.best_score + es.min_delta);
  if (improved) {
    state.best_epoch = m.epoch;
    state.best_score = score;
    state.bad_epochs = 0;
  } else {
    ++state.bad_epochs;
  }
  std::string metrics_text;
  for (const auto& h : state.history) metrics_text += epoch_json(h).dump() + "\n";
  write_file_atomic(path_in(t.dir, RunFiles::kMetrics), metrics_text);
  t.checkpoint(improved);
  log::info("train", "epoch " + std::to_string(m.epoch) + "/" + std::to_string(tc.epochs) +
                         ": loss " + fmt_opt(m.train_loss) + ", val loss " + fmt_opt(m.val_loss) +
                         ", val accuracy " + fmt_opt(m.val_accuracy) + ", val macro-F1 " +
                         fmt_opt(m.val_macro_f1) + (improved ? " *" : "") + " (" +
                         fmt_opt(m.seconds) + " s, " +
                         std::to_string(static_cast<int64_t>(m.tokens_per_second)) + " tok/s" +
                         (m.epsilon ? ", epsilon " + fmt_opt(m.epsilon) : std::string()) + ")");
  if (has_valid && es.patience > 0 && state.bad_epochs >= es.patience) {
    log::info("train", "early stopping: no " + es.metric + " improvement for " +
                           std::to_string(es.patience) + " epochs (best epoch " +
                           std::to_string(state.best_epoch) + ")");
    return true;
  }
  return false;
}

/// Step 3: the epochs from the checkpoint (or the first) to training.epochs or early stopping,
/// then the best weights (or the last) are the model.
void train_epochs(Training& t, const Encoded& e, const TrainInputs& in) {
  const auto& tc = t.cfg.training;
  for (int64_t epoch = t.state.epochs_completed + 1; epoch <= tc.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = train_epoch(t, e.train, epoch);
    m.tokens_per_second =
        static_cast<double>(e.train.total_tokens()) / seconds_since(epoch_start);
    if (t.dp.enabled()) {
      t.dp.end_epoch();
      m.epsilon = t.dp.epsilon();
    }
    if (in.has_valid) validate_epoch(t, e, in.labels, m);
    m.seconds = seconds_since(epoch_start);
    if (end_epoch(t, m, in.has_valid)) {
      t.stopped_early = true;
      break;
    }
  }
  if (in.has_valid && tc.early_stopping.restore_best) {
    load_state_dict(*t.model, best_weights_path(t.dir));
  } else {
    t.state.best_epoch = t.state.epochs_completed;
  }
  save_state_dict(*t.model, path_in(t.dir, RunFiles::kModel));
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
nlohmann::json manifest_json(const TrainJob& job, const Training& t, const TrainInputs& in,
                             const Encoded& e, int64_t threads) {
  auto data_entry = [&](const char* split, const Dataset& d) {
    auto entry = in.digests[split];
    entry["rows"] = d.examples.size();
    return entry;
  };
  int64_t parameters = 0;
  for (const auto& p : t.model->parameters()) parameters += p.numel();
  nlohmann::json m = {
      {"format_version", kRunFormatVersion},
      {"fmkit_version", fmkit_version()},
      {"git_commit", git_commit()},
      {"libtorch_version", torch_version()},
      {"blas", blas_in_use()},
      {"seed", t.cfg.training.seed},
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
      {"epochs_completed", t.state.epochs_completed},
      {"best_epoch", t.state.best_epoch},
      {"stopped_early", t.stopped_early},
      {"privacy", t.dp.manifest_json()},
      {"redaction", redaction_json(t.cfg, in)}};
  if (t.fairness.active()) m["fairness"].update(t.fairness.manifest_json());
  if (!t.cfg.data.validation.empty()) {
    m["data"]["validation"] = data_entry("validation", in.valid);
  } else {
    m["data"]["validation"] = {{"split_from_train", t.cfg.data.validation_split},
                               {"rows", in.valid.examples.size()}};
  }
  if (in.has_test) m["data"]["test"] = data_entry("test", in.test);
  return m;
}

/// Step 4: the test split predicted with the finished run (post-processing included): writes
/// test_predictions.csv and test_report.json, adds the figures to the manifest, returns the report
/// text for stdout.
std::string evaluate_test(Training& t, Encoded& e, const TrainInputs& in, const PostProcess& post,
                          nlohmann::json& manifest) {
  LoadedRun loaded{t.cfg.output.dir, t.cfg, e.tokenizer, in.labels, t.model, {}, post};
  const auto eval = evaluate_run(loaded, in.test, 256);
  write_file_atomic(path_in(t.dir, RunFiles::kTestPredictions),
                    predictions_csv(in.test, in.labels, eval.predictions));
  write_json_atomic(path_in(t.dir, RunFiles::kTestReport), evaluation_to_json(eval));
  manifest["test"] = {{"accuracy", eval.report.accuracy},
                      {"macro_f1", eval.report.macro_avg.f1.value.value_or(0.0)}};
  return "test: " + t.cfg.data.test + "\n\n" + format_report_text(eval.report, 4) + "\n" +
         format_confusion_text(eval.report.confusion);
}

std::string summary_line(const Training& t, const std::string& run_dir, bool has_valid) {
  const auto& es = t.cfg.training.early_stopping;
  std::ostringstream out;
  out << "run: " << run_dir << " (" << t.state.epochs_completed << " epochs, best epoch "
      << t.state.best_epoch;
  if (has_valid && t.state.best_score) {
    out << ", validation " << es.metric << " "
        << fmt_opt(es.metric == "loss" ? -*t.state.best_score : *t.state.best_score);
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
  LstmClassifier model(cfg.model, e.tokenizer.vocab_size(), num_classes);
  Training t{cfg,
             dir,
             in.digests,
             fairness,
             model,
             torch::optim::Adam(model->parameters(), torch::optim::AdamOptions(tc.learning_rate)
                                                         .weight_decay(tc.weight_decay)),
             class_weights(e.train, num_classes, tc.class_weight),
             PrivateTraining(tc.privacy, e.train.size(), tc.batch_size, tc.epochs),
             {},
             false};
  fairness.prepare(in.train, num_classes);
  if (resumed) {
    t.state = *resumed;
    restore_checkpoint(dir, t.model, t.optim);
    fairness.load(path_in(dir, RunFiles::kCheckpointDir));
    log::info("train", "resuming " + run.dir() + " after epoch " +
                           std::to_string(t.state.epochs_completed));
  }
  t.dp.resume(t.state.epochs_completed);
  train_epochs(t, e, in);

  // Temperature and per-group thresholds fitted on validation (postprocess.json); used from here on.
  const auto post = fit_run_postprocess(cfg, in.valid, e.valid, in.labels, t.model, dir);
  auto manifest = manifest_json(job, t, in, e, threads);
  TrainResult result;
  result.run_dir = cfg.output.dir;
  result.summary = summary_line(t, cfg.output.dir, in.has_valid);
  if (in.has_test) result.summary += evaluate_test(t, e, in, post, manifest);
  manifest["postprocess"] = postprocess_manifest_json(post);
  result.seconds = seconds_since(start);
  manifest["training_seconds"] = result.seconds;
  run.commit(std::move(manifest));
  result.history = t.state.history;
  result.best_epoch = t.state.best_epoch;
  result.best_score = t.state.best_score;
  result.stopped_early = t.stopped_early;
  return result;
}

}  // namespace fm

#include "fm/train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include "fm/data/encoded.h"
#include "fm/error.h"
#include "fm/eval/metrics.h"
#include "fm/io/files.h"
#include "fm/io/interrupt.h"
#include "fm/log.h"
#include "fm/model/batching.h"
#include "fm/runs/evaluate.h"
#include "fm/runs/predict.h"
#include "fm/runs/run_directory.h"
#include "fm/train/adam.h"
#include "fm/runs/runtime.h"
#include "fm/text/redact.h"
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

ColumnSpec columns_of(const DataOptions& d) {
  ColumnSpec spec;
  spec.text_column = d.text_column;
  spec.label_column = d.label_column;
  spec.group_columns = d.group_columns;
  spec.id_column = d.id_column;
  return spec;
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json epoch_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch},
          {"train_loss", m.train_loss},
          {"val_loss", optional_json(m.val_loss)},
          {"val_accuracy", optional_json(m.val_accuracy)},
          {"val_macro_f1", optional_json(m.val_macro_f1)},
          {"val_weighted_f1", optional_json(m.val_weighted_f1)},
          {"seconds", m.seconds},
          {"tokens_per_second", m.tokens_per_second},
          {"epsilon", optional_json(m.epsilon)}};
}

EpochMetrics epoch_from_json(const nlohmann::json& j) {
  auto opt = [&](const char* k) -> std::optional<double> {
    return j.contains(k) && j[k].is_number() ? std::optional<double>(j[k].get<double>())
                                             : std::nullopt;
  };
  EpochMetrics m;
  m.epoch = j.at("epoch").get<int64_t>();
  m.train_loss = j.at("train_loss").get<double>();
  m.val_loss = opt("val_loss");
  m.val_accuracy = opt("val_accuracy");
  m.val_macro_f1 = opt("val_macro_f1");
  m.val_weighted_f1 = opt("val_weighted_f1");
  m.seconds = j.value("seconds", 0.0);
  m.tokens_per_second = j.value("tokens_per_second", 0.0);
  m.epsilon = opt("epsilon");
  return m;
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

struct TrainerState {
  int64_t epochs_completed = 0;
  int64_t best_epoch = 0;
  std::optional<double> best_score;
  int64_t bad_epochs = 0;
  std::vector<EpochMetrics> history;
};

nlohmann::json state_json(const TrainerState& s) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& m : s.history) history.push_back(epoch_json(m));
  return {{"format_version", kRunFormatVersion},
          {"epochs_completed", s.epochs_completed},
          {"best_epoch", s.best_epoch},
          {"best_score", optional_json(s.best_score)},
          {"bad_epochs", s.bad_epochs},
          {"history", history}};
}

TrainerState state_from_json(const nlohmann::json& j, const std::string& path) {
  try {
    TrainerState s;
    s.epochs_completed = j.at("epochs_completed").get<int64_t>();
    s.best_epoch = j.at("best_epoch").get<int64_t>();
    if (j.at("best_score").is_number()) s.best_score = j["best_score"].get<double>();
    s.bad_epochs = j.at("bad_epochs").get<int64_t>();
    for (const auto& m : j.at("history")) s.history.push_back(epoch_from_json(m));
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(path + ": corrupt trainer state (" + std::string(e.what()) + ")");
  }
}

// Dropout draws from the default CPU generator; saving it makes --resume continue the same stream.
torch::Tensor cpu_rng_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_cpu_rng_state(const torch::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

void save_checkpoint(const std::string& run_dir, LstmClassifier& model, torch::optim::Adam& optim,
                     const TrainerState& state) {
  const auto dir = path_in(run_dir, RunFiles::kCheckpointDir);
  ensure_directory(dir);
  save_state_dict(*model, path_in(dir, "model.pt"));
  std::ostringstream opt_bytes;
  torch::save(optim, opt_bytes);
  write_file_atomic(path_in(dir, "optimizer.pt"), opt_bytes.str());
  const auto rng = torch::pickle_save(c10::IValue(cpu_rng_state()));
  write_file_atomic(path_in(dir, "rng.pt"), std::string_view(rng.data(), rng.size()));
  // Written last: a checkpoint counts only once its state file names it complete.
  write_json_atomic(path_in(dir, "state.json"), state_json(state));
}

TrainerState load_checkpoint(const std::string& run_dir, LstmClassifier& model,
                             torch::optim::Adam& optim) {
  const auto dir = path_in(run_dir, RunFiles::kCheckpointDir);
  const auto state_path = path_in(dir, "state.json");
  auto state = state_from_json(read_run_json(state_path), state_path);
  load_state_dict(*model, path_in(dir, "model.pt"));
  try {
    std::istringstream in(read_file(path_in(dir, "optimizer.pt")));
    torch::load(optim, in);
    const auto raw = read_file(path_in(dir, "rng.pt"));
    set_cpu_rng_state(torch::pickle_load(std::vector<char>(raw.begin(), raw.end())).toTensor());
  } catch (const ModelError&) {
    throw;
  } catch (const std::exception&) {
    throw ModelError(dir + ": corrupt or truncated checkpoint (optimizer or RNG state)");
  }
  return state;
}

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

nlohmann::json data_entry(const Dataset& d, const std::string& path) {
  return {{"path", path}, {"sha256", sha256_file(path)}, {"rows", d.examples.size()}};
}

std::string fmt_opt(const std::optional<double>& v) {
  if (!v) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", *v);
  return buf;
}

/// Keeps training resumable only with the same vocabulary and architecture.
void check_resume_compatible(const RunConfig& now, const RunConfig& before) {
  auto section = [](const RunConfig& c, const char* key) { return to_json(c)[key]; };
  for (const char* key : {"tokenizer", "padding", "model"}) {
    if (section(now, key) != section(before, key)) {
      throw ConfigError(std::string(key) +
                        ": differs from the run being resumed (config.json); only training and "
                        "output settings may change with --resume");
    }
  }
  // The saved tokenizer and weights were fitted to texts redacted this way.
  if (now.data.redact != before.data.redact) {
    throw ConfigError("data.redact: differs from the run being resumed (config.json); only "
                      "training and output settings may change with --resume");
  }
}

}  // namespace

TrainResult run_train(const TrainJob& job) {
  const auto start = Clock::now();
  const RunConfig& cfg = job.config;
  validate(cfg);
  const auto& tc = cfg.training;
  const auto run_dir = cfg.output.dir;
  const auto threads = configure_threads(tc.threads);
  torch::manual_seed(tc.seed);
  install_interrupt_handler();

  // Data: read once, tokenize once.
  const auto spec = columns_of(cfg.data);
  const auto redactor = Redactor::from_config(cfg.data.redact);
  RedactionCounts train_redacted;
  RedactionCounts valid_redacted;
  Dataset train = read_dataset(cfg.data.train, spec);
  redact_dataset(train, redactor, train_redacted);
  Dataset valid;
  bool has_valid = false;
  if (!cfg.data.validation.empty()) {
    valid = read_dataset(cfg.data.validation, spec);
    redact_dataset(valid, redactor, valid_redacted);
    has_valid = true;
  } else if (cfg.data.validation_split > 0) {
    auto parts = stratified_split(train, cfg.data.validation_split, tc.seed);
    train = std::move(parts.first);
    valid = std::move(parts.second);
    has_valid = !valid.examples.empty();
  }
  BiasMitigation fairness(tc.fairness, cfg.data.group_columns);
  fairness.augment(train, cfg.tokenizer, tc.seed);  // the training split only, before the tokenizer
  const auto labels = collect_labels(train);
  const auto num_classes = static_cast<int64_t>(labels.size());
  check_postprocess_config(cfg, has_valid, labels);  // fail before training, not after

  // Created only once the data is known to be good: a bad input leaves no directory behind.
  ensure_directory(run_dir);
  Tokenizer tokenizer(cfg.tokenizer);
  const int tokenizer_threads = static_cast<int>(threads);
  std::optional<FlatSequences> fitted_sequences;  // the training texts, when fitted here
  TrainerState state;
  if (job.resume) {
    const auto before = load_run_config(path_in(run_dir, RunFiles::kConfig));
    check_resume_compatible(cfg, before);
    tokenizer = Tokenizer::from_json(read_file(path_in(run_dir, RunFiles::kTokenizer)));
    const auto saved = read_run_json(path_in(run_dir, RunFiles::kLabels));
    if (saved.value("labels", nlohmann::json::array()) != nlohmann::json(labels)) {
      throw DataError(cfg.data.train + ": labels differ from the run being resumed");
    }
  } else {
    std::vector<std::string> texts;
    texts.reserve(train.examples.size());
    for (const auto& ex : train.examples) texts.push_back(ex.text);
    // Tokenized once: the fit records each text's words, mapped to indices afterwards.
    fitted_sequences = tokenizer.fit_transform(texts, tokenizer_threads);
    std::error_code ec;
    fs::remove_all(path_in(run_dir, RunFiles::kCheckpointDir), ec);
    fs::remove(path_in(run_dir, RunFiles::kManifest), ec);
    write_file_atomic(path_in(run_dir, RunFiles::kTokenizer), tokenizer.to_json());
    write_json_atomic(path_in(run_dir, RunFiles::kLabels), {{"labels", labels}});
    write_json_atomic(path_in(run_dir, RunFiles::kConfig), to_json(cfg));
  }
  const auto train_enc =
      fitted_sequences
          ? encode_sequences(train, *fitted_sequences, cfg.padding, labels)
          : encode_dataset(train, tokenizer, cfg.padding, labels, tokenizer_threads);
  fitted_sequences.reset();
  EncodedDataset valid_enc;
  if (has_valid) {
    valid_enc = encode_dataset(valid, tokenizer, cfg.padding, labels, tokenizer_threads);
  }
  log::info("data", std::to_string(train.examples.size()) + " training / " +
                        std::to_string(valid.examples.size()) + " validation examples, " +
                        std::to_string(num_classes) + " classes, vocabulary " +
                        std::to_string(tokenizer.vocab_size()) + ", " + std::to_string(threads) +
                        " threads");

  LstmClassifier model(cfg.model, tokenizer.vocab_size(), num_classes);
  fairness.prepare(train, num_classes);
  torch::optim::Adam optim(model->parameters(), torch::optim::AdamOptions(tc.learning_rate)
                                                    .weight_decay(tc.weight_decay));
  if (job.resume) {
    state = load_checkpoint(run_dir, model, optim);
    fairness.load(path_in(run_dir, RunFiles::kCheckpointDir));
    log::info("train", "resuming " + run_dir + " after epoch " +
                           std::to_string(state.epochs_completed));
  }
  const auto weights = class_weights(train_enc, num_classes, tc.class_weight);
  PrivateTraining dp(tc.privacy, train_enc.size(), tc.batch_size, tc.epochs);
  dp.resume(state.epochs_completed);
  const auto& es = tc.early_stopping;
  const auto model_path = path_in(run_dir, RunFiles::kModel);
  bool stopped_early = false;

  for (int64_t epoch = state.epochs_completed + 1; epoch <= tc.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    model->train();
    const auto batches =
        dp.enabled() ? dp.epoch_batches(epoch, tc.seed)
                     : plan_batches(train_enc, tc.batch_size, /*shuffle=*/true,
                                    tc.bucket_by_length, tc.seed + static_cast<uint64_t>(epoch));
    ProgressBar bar(epoch, tc.epochs, batches.size());
    double loss_sum = 0.0;
    int64_t seen = 0;
    for (std::size_t b = 0; b < batches.size(); ++b) {
      if (interrupt_requested()) {
        // The checkpoint holds the weights as they are now; --resume repeats this epoch.
        fairness.save(path_in(run_dir, RunFiles::kCheckpointDir));
        save_checkpoint(run_dir, model, optim, state);
        throw Interrupted("interrupted in epoch " + std::to_string(epoch) +
                          "; checkpoint saved in " + path_in(run_dir, RunFiles::kCheckpointDir) +
                          " (continue with --resume)");
      }
      auto batch = make_batch(train_enc, batches[b]);
      if (dp.enabled()) {
        // Clipped per-example gradients + noise replace the batch gradient (and its clipping).
        const auto row_w = batch.rows.empty() ? torch::Tensor()
                                              : fairness.example_weights(batch, weights);
        const auto stats = dp.gradient(model, batch, row_w.defined() ? torch::Tensor() : weights,
                                       row_w);
        adam_step(optim);
        loss_sum += stats.loss_sum;
        seen += stats.rows;
        bar.update(b + 1, seen ? loss_sum / static_cast<double>(seen) : 0.0);
        continue;
      }
      optim.zero_grad();
      auto logits = model->forward(batch.ids, batch.lengths);
      // Class weights × reweighing weights; the adversary (when on) sets debiased gradients.
      auto loss = fairness.loss(logits, batch, weights);
      fairness.backward(model, loss, logits, batch);
      if (tc.clip_grad_norm > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), tc.clip_grad_norm);
      adam_step(optim);
      const auto n = static_cast<int64_t>(batch.rows.size());
      loss_sum += loss.item<double>() * static_cast<double>(n);
      seen += n;
      bar.update(b + 1, loss_sum / static_cast<double>(seen));
    }
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = seen ? loss_sum / static_cast<double>(seen) : 0.0;
    const double train_seconds = seconds_since(epoch_start);
    m.tokens_per_second = static_cast<double>(train_enc.total_tokens()) / train_seconds;
    if (dp.enabled()) {
      dp.end_epoch();
      m.epsilon = dp.epsilon();
    }
    if (has_valid) {
      const auto pred = predict(model, valid_enc);
      std::vector<int> y_true(valid_enc.labels.begin(), valid_enc.labels.end());
      std::vector<int> y_pred(pred.predicted.begin(), pred.predicted.end());
      const auto cm = confusion_matrix(y_true, y_pred, labels);
      double loss = 0.0;
      for (auto l : pred.loss) loss += l;
      m.val_loss = loss / static_cast<double>(pred.loss.size());
      m.val_accuracy = accuracy(cm);
      m.val_macro_f1 = macro_f1(cm);
      m.val_weighted_f1 = weighted_f1(cm);
    }
    m.seconds = seconds_since(epoch_start);
    state.history.push_back(m);
    state.epochs_completed = epoch;

    const auto score = monitored(m, es.metric);
    const bool improved = !has_valid || !state.best_score ||
                          (score && *score > *state.best_score + es.min_delta);
    if (improved) {
      state.best_epoch = epoch;
      state.best_score = score;
      state.bad_epochs = 0;
      save_state_dict(*model, model_path);
    } else {
      ++state.bad_epochs;
    }
    std::string metrics_text;
    for (const auto& h : state.history) metrics_text += epoch_json(h).dump() + "\n";
    write_file_atomic(path_in(run_dir, RunFiles::kMetrics), metrics_text);
    fairness.save(path_in(run_dir, RunFiles::kCheckpointDir));
    save_checkpoint(run_dir, model, optim, state);
    log::info("train", "epoch " + std::to_string(epoch) + "/" + std::to_string(tc.epochs) +
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
      stopped_early = true;
      break;
    }
  }
  if (has_valid && es.restore_best) {
    load_state_dict(*model, model_path);
  } else {
    save_state_dict(*model, model_path);
    state.best_epoch = state.epochs_completed;
  }
  // Temperature and per-group thresholds fitted on validation (postprocess.json); used from here on.
  const auto post = fit_run_postprocess(cfg, valid, valid_enc, labels, model, run_dir);

  TrainResult result;
  result.run_dir = run_dir;
  result.history = state.history;
  result.best_epoch = state.best_epoch;
  result.best_score = state.best_score;
  result.stopped_early = stopped_early;

  std::ostringstream summary;
  summary << "run: " << run_dir << " (" << state.epochs_completed << " epochs, best epoch "
          << state.best_epoch;
  if (has_valid && state.best_score) {
    summary << ", validation " << es.metric << " "
            << fmt_opt(es.metric == "loss" ? -*state.best_score : *state.best_score);
  }
  summary << ")\n";

  nlohmann::json manifest = {
      {"format_version", kRunFormatVersion},
      {"fmkit_version", fmkit_version()},
      {"git_commit", git_commit()},
      {"libtorch_version", torch_version()},
      {"blas", blas_in_use()},
      {"seed", tc.seed},
      {"threads", threads},
      {"config_file", job.config_path},
      {"data", {{"train", data_entry(train, cfg.data.train)}}},
      {"counts",
       {{"train", train.examples.size()},
        {"validation", valid.examples.size()},
        {"classes", num_classes},
        {"vocabulary", tokenizer.vocab_size()},
        {"parameters", [&] {
           int64_t n = 0;
           for (const auto& p : model->parameters()) n += p.numel();
           return n;
         }()}}},
      {"labels", labels},
      {"epochs_completed", state.epochs_completed},
      {"best_epoch", state.best_epoch},
      {"stopped_early", stopped_early},
      {"privacy", dp.manifest_json()},
      {"redaction", nullptr}};
  if (fairness.active()) manifest["fairness"].update(fairness.manifest_json());
  if (!cfg.data.validation.empty()) {
    manifest["data"]["validation"] = data_entry(valid, cfg.data.validation);
  } else {
    manifest["data"]["validation"] = {{"split_from_train", cfg.data.validation_split},
                                      {"rows", valid.examples.size()}};
  }
  if (!cfg.data.redact.empty()) {
    // Counted per file: a validation part split from train is inside the train counts.
    manifest["redaction"] = {{"types", nlohmann::json::array()},
                             {"train", redaction_counts_to_json(train_redacted)}};
    for (const auto type : redactor.types()) {
      manifest["redaction"]["types"].push_back(pii_type_name(type));
    }
    if (!cfg.data.validation.empty()) {
      manifest["redaction"]["validation"] = redaction_counts_to_json(valid_redacted);
    }
  }
  if (!cfg.data.test.empty()) {
    Dataset test = read_dataset(cfg.data.test, spec);
    if (!cfg.data.redact.empty()) {
      RedactionCounts test_redacted;
      redact_dataset(test, redactor, test_redacted);
      manifest["redaction"]["test"] = redaction_counts_to_json(test_redacted);
    }
    LoadedRun loaded{run_dir, cfg, tokenizer, labels, model, {}, post};
    const auto eval = evaluate_run(loaded, test, 256);
    write_file_atomic(path_in(run_dir, "test_predictions.csv"),
                      predictions_csv(test, labels, eval.predictions));
    write_json_atomic(path_in(run_dir, "test_report.json"), evaluation_to_json(eval));
    manifest["data"]["test"] = data_entry(test, cfg.data.test);
    manifest["test"] = {{"accuracy", eval.report.accuracy},
                        {"macro_f1", eval.report.macro_avg.f1.value.value_or(0.0)}};
    summary << "test: " << cfg.data.test << "\n\n" << format_report_text(eval.report, 4) << "\n"
            << format_confusion_text(eval.report.confusion);
  }
  manifest["postprocess"] = postprocess_manifest_json(post);
  result.seconds = seconds_since(start);
  manifest["training_seconds"] = result.seconds;
  write_json_atomic(path_in(run_dir, RunFiles::kManifest), manifest);
  result.summary = summary.str();
  return result;
}

}  // namespace fm

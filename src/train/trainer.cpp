#include "fm/train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <torch/torch.h>

#include "fm/error.h"
#include "fm/eval/metrics.h"
#include "fm/io/files.h"
#include "fm/io/interrupt.h"
#include "fm/log.h"
#include "fm/model/batching.h"
#include "fm/runs/predict.h"
#include "fm/runs/run_directory.h"
#include "fm/train/adam.h"
#include "train/progress.h"

namespace fm {
namespace fs = std::filesystem;
namespace {

using train_detail::Clock;
using train_detail::fmt_opt;
using train_detail::path_in;
using train_detail::seconds_since;

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

}  // namespace

torch::Tensor class_weights(const EncodedDataset& train, int64_t classes, const std::string& mode) {
  if (mode != "balanced") return {};
  std::vector<double> counts(static_cast<std::size_t>(classes), 0.0);
  for (auto l : train.labels) counts[static_cast<std::size_t>(l)] += 1.0;
  auto w = torch::empty({classes}, torch::kFloat);
  for (int64_t c = 0; c < classes; ++c) {
    const auto n = counts[static_cast<std::size_t>(c)];
    w[c] = n > 0 ? static_cast<double>(train.size()) / (static_cast<double>(classes) * n) : 0.0;
  }
  return w;
}

Trainer::Trainer(const RunConfig& config, std::string run_dir, nlohmann::json data_digests,
                 BiasMitigation& fairness, int64_t vocab_size, int64_t num_classes,
                 const EncodedDataset& train)
    : config_(config),
      dir_(std::move(run_dir)),
      data_digests_(std::move(data_digests)),
      fairness_(fairness),
      model_((check_model_fits(config.model, vocab_size, num_classes, 16,
                               "to train with Adam (weights, gradients, two moments)"),
              LstmClassifier(config.model, vocab_size, num_classes))),
      optimizer_(model_->parameters(), torch::optim::AdamOptions(config.training.learning_rate)
                                           .weight_decay(config.training.weight_decay)),
      class_weights_(class_weights(train, num_classes, config.training.class_weight)),
      dp_(config.training.privacy, train.size(), config.training.batch_size,
          config.training.epochs) {}

void Trainer::resume(const TrainerState& state) {
  state_ = state;
  restore_checkpoint(dir_, model_, optimizer_);
  fairness_.load(path_in(dir_, RunFiles::kCheckpointDir));
  dp_.resume(state_.epochs_completed);
}

void Trainer::checkpoint(bool improved) {
  save_checkpoint(dir_, model_, optimizer_, state_, data_digests_, improved,
                  [this](const std::string& into) { fairness_.save(into); });
}

double Trainer::train_epoch(const EncodedDataset& train, int64_t epoch) {
  const auto& tc = config_.training;
  model_->train();
  const auto batches =
      dp_.enabled() ? dp_.epoch_batches(epoch, tc.seed)
                    : plan_batches(train, tc.batch_size, /*shuffle=*/true, tc.bucket_by_length,
                                   tc.seed + static_cast<uint64_t>(epoch));
  ProgressBar bar(epoch, tc.epochs, batches.size());
  double loss_sum = 0.0;
  int64_t seen = 0;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    if (interrupt_requested()) {
      // The checkpoint holds the weights as they are now; --resume repeats this epoch.
      checkpoint(false);
      throw Interrupted("interrupted in epoch " + std::to_string(epoch) +
                        "; checkpoint saved in " + path_in(dir_, RunFiles::kCheckpointDir) +
                        " (continue with --resume --output " + config_.output.dir + ")");
    }
    test_kill_point(epoch, static_cast<int64_t>(b));
    auto batch = make_batch(train, batches[b]);
    if (dp_.enabled()) {
      // Clipped per-example gradients + noise replace the batch gradient (and its clipping).
      const auto row_w =
          batch.rows.empty() ? torch::Tensor() : fairness_.example_weights(batch, class_weights_);
      const auto stats = dp_.gradient(model_, batch,
                                      row_w.defined() ? torch::Tensor() : class_weights_, row_w);
      adam_step(optimizer_);
      loss_sum += stats.loss_sum;
      seen += stats.rows;
    } else {
      optimizer_.zero_grad();
      auto logits = model_->forward(batch.ids, batch.lengths);
      // Class weights × reweighing weights; the adversary (when on) sets debiased gradients.
      auto loss = fairness_.loss(logits, batch, class_weights_);
      fairness_.backward(model_, loss, logits, batch);
      if (tc.clip_grad_norm > 0) {
        torch::nn::utils::clip_grad_norm_(model_->parameters(), tc.clip_grad_norm);
      }
      adam_step(optimizer_);
      const auto n = static_cast<int64_t>(batch.rows.size());
      loss_sum += loss.item<double>() * static_cast<double>(n);
      seen += n;
    }
    bar.update(b + 1, seen ? loss_sum / static_cast<double>(seen) : 0.0);
  }
  return seen ? loss_sum / static_cast<double>(seen) : 0.0;
}

void Trainer::validate_epoch(const EncodedDataset& valid, const std::vector<std::string>& labels,
                             EpochMetrics& m) {
  const auto pred = predict(model_, valid);
  std::vector<int> y_true(valid.labels.begin(), valid.labels.end());
  std::vector<int> y_pred(pred.predicted.begin(), pred.predicted.end());
  const auto cm = confusion_matrix(y_true, y_pred, labels);
  double loss = 0.0;
  for (auto l : pred.loss) loss += l;
  m.val_loss = loss / static_cast<double>(pred.loss.size());
  m.val_accuracy = accuracy(cm);
  m.val_macro_f1 = macro_f1(cm);
  m.val_weighted_f1 = weighted_f1(cm);
}

bool Trainer::end_epoch(const EpochMetrics& m, bool has_valid) {
  const auto& tc = config_.training;
  const auto& es = tc.early_stopping;
  state_.history.push_back(m);
  state_.epochs_completed = m.epoch;
  const auto score = monitored(m, es.metric);
  const bool improved =
      !has_valid || !state_.best_score || (score && *score > *state_.best_score + es.min_delta);
  if (improved) {
    state_.best_epoch = m.epoch;
    state_.best_score = score;
    state_.bad_epochs = 0;
  } else {
    ++state_.bad_epochs;
  }
  std::string metrics_text;
  for (const auto& h : state_.history) metrics_text += epoch_json(h).dump() + "\n";
  write_file_atomic(path_in(dir_, RunFiles::kMetrics), metrics_text);
  checkpoint(improved);
  log::info("train", "epoch " + std::to_string(m.epoch) + "/" + std::to_string(tc.epochs) +
                         ": loss " + fmt_opt(m.train_loss) + ", val loss " + fmt_opt(m.val_loss) +
                         ", val accuracy " + fmt_opt(m.val_accuracy) + ", val macro-F1 " +
                         fmt_opt(m.val_macro_f1) + (improved ? " *" : "") + " (" +
                         fmt_opt(m.seconds) + " s, " +
                         std::to_string(static_cast<int64_t>(m.tokens_per_second)) + " tok/s" +
                         (m.epsilon ? ", epsilon " + fmt_opt(m.epsilon) : std::string()) + ")");
  if (has_valid && es.patience > 0 && state_.bad_epochs >= es.patience) {
    log::info("train", "early stopping: no " + es.metric + " improvement for " +
                           std::to_string(es.patience) + " epochs (best epoch " +
                           std::to_string(state_.best_epoch) + ")");
    return true;
  }
  return false;
}

void Trainer::train(const EncodedDataset& train, const EncodedDataset& valid,
                    const std::vector<std::string>& labels) {
  const auto& tc = config_.training;
  const bool has_valid = valid.size() > 0;
  for (int64_t epoch = state_.epochs_completed + 1; epoch <= tc.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = train_epoch(train, epoch);
    m.tokens_per_second = static_cast<double>(train.total_tokens()) / seconds_since(epoch_start);
    if (dp_.enabled()) {
      dp_.end_epoch();
      m.epsilon = dp_.epsilon();
    }
    if (has_valid) validate_epoch(valid, labels, m);
    m.seconds = seconds_since(epoch_start);
    if (end_epoch(m, has_valid)) {
      stopped_early_ = true;
      break;
    }
  }
  if (has_valid && tc.early_stopping.restore_best) {
    load_state_dict(*model_, best_weights_path(dir_));
  } else {
    state_.best_epoch = state_.epochs_completed;
  }
  save_state_dict(*model_, path_in(dir_, RunFiles::kModel));
}

}  // namespace fm

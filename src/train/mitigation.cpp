#include "fm/train/mitigation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include <torch/torch.h>

#include "fm/error.h"
#include "fm/fairness/identity_terms.h"
#include "fm/io/files.h"
#include "fm/log.h"

namespace fm {
namespace {

std::size_t column_index(const std::vector<std::string>& columns, const std::string& name) {
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) {
    throw ConfigError("training.fairness.group_column: \"" + name +
                      "\" is not one of data.group_columns");
  }
  return static_cast<std::size_t>(it - columns.begin());
}

std::string fixed4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}

}  // namespace

BiasMitigation::BiasMitigation(const FairnessOptions& options,
                               std::vector<std::string> group_columns)
    : options_(options), group_columns_(std::move(group_columns)) {}

bool BiasMitigation::active() const {
  return options_.reweighing || options_.augmentation.enabled || options_.adversarial.enabled;
}

void BiasMitigation::augment(Dataset& train, const TokenizerOptions& tokenizer, uint64_t seed) {
  const auto& a = options_.augmentation;
  if (!a.enabled) return;
  const auto all = a.terms.empty() ? default_identity_terms() : load_identity_terms(a.terms);
  auto categories = select_categories(all, a.categories, "training.fairness.augmentation.categories");
  for (const auto& c : categories) augmentation_categories_.push_back(c.name);
  const IdentityTermMatcher matcher(std::move(categories), tokenizer);
  augmentation_ = augment_dataset(train, matcher, static_cast<std::size_t>(a.max_copies), seed);
  log::info("fairness", "counterfactual augmentation: " + std::to_string(augmentation_->copies) +
                            " copies of " + std::to_string(augmentation_->rows_with_terms) + " of " +
                            std::to_string(augmentation_->original_rows) +
                            " training examples (identity terms found)");
}

void BiasMitigation::prepare(const Dataset& train, int64_t num_classes) {
  train_rows_ = static_cast<int64_t>(train.examples.size());
  if (options_.group_column.empty() || !(options_.reweighing || options_.adversarial.enabled)) {
    return;
  }
  const auto col = column_index(group_columns_, options_.group_column);
  std::map<std::string, int64_t> index;
  for (const auto& ex : train.examples) index.emplace(ex.groups.at(col), 0);
  groups_.clear();
  for (auto& [g, i] : index) {
    i = static_cast<int64_t>(groups_.size());
    groups_.push_back(g);
  }
  row_groups_ = torch::empty({train_rows_}, torch::kLong);
  auto* gp = row_groups_.data_ptr<int64_t>();
  std::vector<double> counts(groups_.size(), 0.0);
  for (int64_t i = 0; i < train_rows_; ++i) {
    gp[i] = index.at(train.examples[static_cast<std::size_t>(i)].groups[col]);
    counts[static_cast<std::size_t>(gp[i])] += 1.0;
  }
  group_entropy_ = 0.0;
  for (const auto c : counts) {
    const double p = c / static_cast<double>(train_rows_);
    if (p > 0) group_entropy_ -= p * std::log(p);
  }
  if (options_.reweighing) {
    reweighing_ = compute_reweighing(train, options_.group_column);
    row_weights_ = torch::empty({train_rows_}, torch::kFloat);
    auto* w = row_weights_.data_ptr<float>();
    for (int64_t i = 0; i < train_rows_; ++i) {
      w[i] = static_cast<float>(reweighing_->row_weights[static_cast<std::size_t>(i)]);
    }
    std::string table;
    for (const auto& c : reweighing_->cells) {
      if (c.weight) table += " " + c.group + "/" + c.label + "=" + fixed4(*c.weight);
    }
    log::info("fairness", "reweighing over " + options_.group_column + ":" + table);
  }
  if (options_.adversarial.enabled) {
    if (groups_.size() < 2) {
      throw DataError(train.path + ": training.fairness.group_column \"" + options_.group_column +
                      "\" has one value (\"" + groups_.front() +
                      "\") in the training data; the adversary needs at least 2 groups");
    }
    adversary_ = std::make_unique<AdversarialDebiaser>(
        options_.adversarial, num_classes, static_cast<int64_t>(groups_.size()), counts);
  }
}

torch::Tensor BiasMitigation::example_weights(const Batch& batch,
                                              const torch::Tensor& class_weights) const {
  torch::Tensor w;
  if (reweighing_) {
    w = row_weights_.index_select(0, torch::tensor(batch.rows, torch::kLong));
  }
  if (class_weights.defined()) {
    const auto cw = class_weights.index_select(0, batch.labels);
    w = w.defined() ? w * cw : cw;
  }
  return w;
}

torch::Tensor BiasMitigation::loss(const torch::Tensor& logits, const Batch& batch,
                                   const torch::Tensor& class_weights) const {
  namespace F = torch::nn::functional;
  if (!reweighing_) {
    return class_weights.defined()
               ? F::cross_entropy(logits, batch.labels,
                                  F::CrossEntropyFuncOptions().weight(class_weights))
               : F::cross_entropy(logits, batch.labels);
  }
  const auto per_example =
      F::cross_entropy(logits, batch.labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  const auto w = example_weights(batch, class_weights);
  return (w * per_example).sum() / w.sum();
}

void BiasMitigation::backward(LstmClassifier& model, const torch::Tensor& loss,
                              const torch::Tensor& logits, const Batch& batch) {
  if (!adversary_) {
    loss.backward();
    return;
  }
  const auto groups = row_groups_.index_select(0, torch::tensor(batch.rows, torch::kLong));
  const auto losses =
      adversary_->backward(model->parameters(), loss, logits, batch.labels, groups);
  const auto n = static_cast<int64_t>(batch.rows.size());
  epoch_adversary_loss_ += losses.adversary * static_cast<double>(n);
  epoch_rows_ += n;
  if (epoch_rows_ >= train_rows_) {
    ++epochs_seen_;
    last_epoch_adversary_loss_ = epoch_adversary_loss_ / static_cast<double>(epoch_rows_);
    log::info("fairness", "adversary: mean loss " + fixed4(*last_epoch_adversary_loss_) +
                              " over the epoch (group entropy " + fixed4(group_entropy_) +
                              ": an adversary that learned nothing)");
    epoch_adversary_loss_ = 0.0;
    epoch_rows_ = 0;
  }
}

void BiasMitigation::save(const std::string& checkpoint_dir) {
  if (!adversary_) return;
  ensure_directory(checkpoint_dir);
  adversary_->save(checkpoint_dir);
}

bool BiasMitigation::load(const std::string& checkpoint_dir) {
  epoch_adversary_loss_ = 0.0;
  epoch_rows_ = 0;
  if (!adversary_) return false;
  const bool ok = adversary_->load(checkpoint_dir);
  if (!ok) log::warn("fairness", checkpoint_dir + ": no adversary state; the adversary starts afresh");
  return ok;
}

nlohmann::json BiasMitigation::manifest_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (!active()) return j;
  j["group_column"] = options_.group_column;
  if (!groups_.empty()) j["groups"] = groups_;
  if (reweighing_) {
    j["reweighing"] = reweighing_to_json(*reweighing_);
    j["reweighing"]["loss"] =
        "per batch sum_i w_i * loss_i / sum_i w_i, w_i = reweighing weight * class weight";
  }
  if (augmentation_) {
    j["augmentation"] = augmentation_counts_to_json(*augmentation_);
    j["augmentation"]["categories"] = augmentation_categories_;
    j["augmentation"]["max_copies"] = options_.augmentation.max_copies;
  }
  if (adversary_) {
    const auto& a = options_.adversarial;
    j["adversarial"] = {{"alpha", a.alpha},
                        {"criterion", a.criterion},
                        {"hidden_size", a.hidden_size},
                        {"learning_rate", a.learning_rate},
                        {"projection", "all classifier parameters flattened"},
                        {"group_entropy", group_entropy_},
                        {"last_epoch_adversary_loss",
                         last_epoch_adversary_loss_ ? nlohmann::json(*last_epoch_adversary_loss_)
                                                    : nlohmann::json(nullptr)}};
  }
  return j;
}

}  // namespace fm

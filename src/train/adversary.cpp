#include "fm/train/adversary.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <torch/torch.h>

#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/runs/run_directory.h"

namespace fm {
namespace fs = std::filesystem;

AdversaryImpl::AdversaryImpl(int64_t num_classes, int64_t num_groups, const std::string& criterion,
                             int64_t hidden_size)
    : num_classes_(num_classes),
      with_label_(criterion == "equalized_odds"),
      input_size_(with_label_ ? 2 * num_classes : num_classes) {
  if (hidden_size > 0) {
    hidden_ = register_module("hidden", torch::nn::Linear(input_size_, hidden_size));
    out_ = register_module("out", torch::nn::Linear(hidden_size, num_groups));
  } else {
    out_ = register_module("out", torch::nn::Linear(input_size_, num_groups));
  }
}

torch::Tensor AdversaryImpl::forward(const torch::Tensor& probabilities,
                                     const torch::Tensor& labels) {
  auto x = probabilities;
  if (with_label_) {
    x = torch::cat({x, torch::one_hot(labels, num_classes_).to(probabilities.dtype())}, 1);
  }
  if (hidden_) x = torch::relu(hidden_->forward(x));
  return out_->forward(x);
}

std::vector<torch::Tensor> debiased_gradient(const std::vector<torch::Tensor>& gp,
                                             const std::vector<torch::Tensor>& ga, double alpha) {
  if (gp.size() != ga.size()) {
    throw std::invalid_argument("debiased_gradient: gp and ga differ in length");
  }
  // ⟨gp, ga⟩ and ‖ga‖² over all parameters flattened, in double.
  double dot = 0.0, norm2 = 0.0;
  for (std::size_t i = 0; i < ga.size(); ++i) {
    if (!ga[i].defined()) continue;
    const auto a = ga[i].to(torch::kDouble);
    norm2 += a.pow(2).sum().item<double>();
    if (gp[i].defined()) dot += (gp[i].to(torch::kDouble) * a).sum().item<double>();
  }
  const double coef = (norm2 > 0 ? dot / norm2 : 0.0) + alpha;
  std::vector<torch::Tensor> g;
  g.reserve(gp.size());
  for (std::size_t i = 0; i < gp.size(); ++i) {
    const auto& ref = gp[i].defined() ? gp[i] : ga[i];
    auto out = gp[i].defined() ? gp[i].clone() : torch::zeros_like(ref);
    if (ga[i].defined()) out.sub_(ga[i].to(out.dtype()), coef);
    g.push_back(out);
  }
  return g;
}

AdversarialDebiaser::AdversarialDebiaser(const AdversarialOptions& options, int64_t num_classes,
                                         int64_t num_groups,
                                         const std::vector<double>& group_frequencies)
    : options_(options),
      adversary_(num_classes, num_groups, options.criterion, options.hidden_size),
      optimizer_(adversary_->parameters(), torch::optim::AdamOptions(options.learning_rate)) {
  if (group_frequencies.empty()) return;
  if (static_cast<int64_t>(group_frequencies.size()) != num_groups) {
    throw std::invalid_argument("AdversarialDebiaser: one frequency per group expected");
  }
  double total = 0;
  for (const auto f : group_frequencies) total += f;
  torch::NoGradGuard no_grad;
  auto bias = adversary_->output_layer()->bias;
  for (int64_t g = 0; g < num_groups; ++g) {
    // A group absent from the counts keeps a finite (very negative) bias.
    const double share = std::max(group_frequencies[static_cast<std::size_t>(g)], 1e-6) / total;
    bias[g] = std::log(share);
  }
}

AdversarialStepLosses AdversarialDebiaser::backward(
    const std::vector<torch::Tensor>& classifier_params, const torch::Tensor& classifier_loss,
    const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& groups) {
  adversary_->train();
  const auto probabilities = torch::softmax(logits, 1);
  const auto adversary_loss =
      torch::nn::functional::cross_entropy(adversary_->forward(probabilities, labels), groups);
  const auto gp = torch::autograd::grad({classifier_loss}, classifier_params, {},
                                        /*retain_graph=*/true, /*create_graph=*/false,
                                        /*allow_unused=*/true);
  auto inputs = classifier_params;
  const auto adversary_params = adversary_->parameters();
  inputs.insert(inputs.end(), adversary_params.begin(), adversary_params.end());
  const auto ga = torch::autograd::grad({adversary_loss}, inputs, {}, /*retain_graph=*/false,
                                        /*create_graph=*/false, /*allow_unused=*/true);
  const auto n = classifier_params.size();
  const auto g = debiased_gradient(
      gp, std::vector<torch::Tensor>(ga.begin(), ga.begin() + static_cast<std::ptrdiff_t>(n)),
      options_.alpha);
  for (std::size_t i = 0; i < n; ++i) {
    auto p = classifier_params[i];
    p.mutable_grad() = g[i].detach();
  }
  for (std::size_t j = 0; j < adversary_params.size(); ++j) {
    auto p = adversary_params[j];
    const auto& grad = ga[n + j];
    p.mutable_grad() = grad.defined() ? grad.detach() : torch::zeros_like(p);
  }
  optimizer_.step();
  return {classifier_loss.item<double>(), adversary_loss.item<double>()};
}

void AdversarialDebiaser::save(const std::string& dir) {
  save_state_dict(*adversary_, (fs::path(dir) / "adversary.pt").string());
  std::ostringstream bytes;
  torch::save(optimizer_, bytes);
  write_file_atomic((fs::path(dir) / "adversary_optimizer.pt").string(), bytes.str());
}

bool AdversarialDebiaser::load(const std::string& dir) {
  const auto weights = (fs::path(dir) / "adversary.pt").string();
  const auto optim = (fs::path(dir) / "adversary_optimizer.pt").string();
  if (!fs::exists(weights) || !fs::exists(optim)) return false;
  load_state_dict(*adversary_, weights);
  try {
    std::istringstream in(read_file(optim));
    torch::load(optimizer_, in);
  } catch (const std::exception&) {
    throw ModelError(optim + ": corrupt or truncated adversary optimizer state");
  }
  return true;
}

}  // namespace fm

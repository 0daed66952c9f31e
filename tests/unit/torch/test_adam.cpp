// fm::adam_step against LibTorch's own torch::optim::Adam::step (the reference users compare
// with): same parameters and moments after several steps, same state for save/load.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "fm/train/adam.h"

namespace {

std::vector<torch::Tensor> make_params(uint64_t seed) {
  torch::manual_seed(static_cast<int64_t>(seed));
  return {torch::randn({300, 16}).set_requires_grad(true),  // embedding-like
          torch::randn({64}).set_requires_grad(true),
          torch::randn({7, 5}).set_requires_grad(true),       // gets no gradient at step 2
          torch::randn({100003}).set_requires_grad(true)};    // several threads' worth
}

void set_grads(std::vector<torch::Tensor>& params, int step) {
  torch::manual_seed(1000 + step);
  for (size_t k = 0; k < params.size(); ++k) {
    if (k == 2 && step == 2) {
      params[k].mutable_grad() = torch::Tensor();
      continue;
    }
    auto g = torch::randn(params[k].sizes()) * (k == 0 ? 0.01 : 1.0);
    if (k == 0) g.index_put_({torch::indexing::Slice(0, 200)}, 0.0);  // untouched rows
    params[k].mutable_grad() = g;
  }
}

void expect_same_run(const torch::optim::AdamOptions& options, int threads) {
  const int before = torch::get_num_threads();
  torch::set_num_threads(threads);
  auto ours = make_params(7);
  auto theirs = make_params(7);
  torch::optim::Adam ours_opt(ours, options);
  torch::optim::Adam theirs_opt(theirs, options);
  for (int step = 0; step < 6; ++step) {
    set_grads(ours, step);
    set_grads(theirs, step);
    fm::adam_step(ours_opt);
    theirs_opt.step();
  }
  for (size_t k = 0; k < ours.size(); ++k) {
    EXPECT_TRUE(torch::allclose(ours[k], theirs[k], 1e-5, 1e-7))
        << "param " << k << " max diff " << (ours[k] - theirs[k]).abs().max().item<float>();
  }
  // Same state entries (keys, step counts, moments): checkpoints cannot tell the two apart.
  ASSERT_EQ(ours_opt.state().size(), theirs_opt.state().size());
  for (size_t k = 0; k < ours.size(); ++k) {
    const auto& a = static_cast<const torch::optim::AdamParamState&>(
        *ours_opt.state().at(c10::guts::to_string(ours[k].unsafeGetTensorImpl())));
    const auto& b = static_cast<const torch::optim::AdamParamState&>(
        *theirs_opt.state().at(c10::guts::to_string(theirs[k].unsafeGetTensorImpl())));
    EXPECT_EQ(a.step(), b.step()) << k;
    // Moments near zero after cancellation differ by float rounding (FMA order): absolute
    // tolerance on the gradients' scale (O(1)).
    EXPECT_TRUE(torch::allclose(a.exp_avg(), b.exp_avg(), 1e-5, 1e-6)) << k;
    EXPECT_TRUE(torch::allclose(a.exp_avg_sq(), b.exp_avg_sq(), 1e-5, 1e-9)) << k;
  }
  torch::set_num_threads(before);
}

TEST(FusedAdam, MatchesLibTorchAdam) {
  expect_same_run(torch::optim::AdamOptions(3e-3), 1);
}

TEST(FusedAdam, MatchesWithWeightDecayAndOtherBetas) {
  expect_same_run(torch::optim::AdamOptions(1e-2).weight_decay(0.01).betas({0.8, 0.99}).eps(1e-6),
                  3);
}

TEST(FusedAdam, ContinuesStateCreatedByLibTorch) {
  // A run resumed from a checkpoint written by optim.step() continues the same moments.
  auto ours = make_params(3);
  auto theirs = make_params(3);
  torch::optim::Adam ours_opt(ours, torch::optim::AdamOptions(1e-3));
  torch::optim::Adam theirs_opt(theirs, torch::optim::AdamOptions(1e-3));
  for (int step = 0; step < 4; ++step) {
    set_grads(ours, step);
    set_grads(theirs, step);
    if (step < 2) {
      ours_opt.step();
    } else {
      fm::adam_step(ours_opt);
    }
    theirs_opt.step();
  }
  for (size_t k = 0; k < ours.size(); ++k) {
    EXPECT_TRUE(torch::allclose(ours[k], theirs[k], 1e-5, 1e-7)) << k;
  }
}

TEST(FusedAdam, FallsBackForAmsgrad) {
  auto ours = make_params(5);
  auto theirs = make_params(5);
  torch::optim::Adam ours_opt(ours, torch::optim::AdamOptions(1e-3).amsgrad(true));
  torch::optim::Adam theirs_opt(theirs, torch::optim::AdamOptions(1e-3).amsgrad(true));
  for (int step = 0; step < 3; ++step) {
    set_grads(ours, step);
    set_grads(theirs, step);
    fm::adam_step(ours_opt);
    theirs_opt.step();
  }
  for (size_t k = 0; k < ours.size(); ++k) EXPECT_TRUE(torch::equal(ours[k], theirs[k])) << k;
}

}  // namespace

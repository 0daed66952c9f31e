#include "fm/train/adam.h"

#include <cmath>
#include <memory>
#include <string>

// Narrow includes: this file is built without the precompiled <torch/torch.h> (its -fno-math-errno
// makes GCC reject the PCH).
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/zeros_like.h>
#include <c10/util/string_utils.h>

#include "simd_clones.h"

namespace fm {
namespace {

struct AdamScalars {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, weight_decay, eps, sqrt_bc2, step_size;
};

// The same arithmetic, in the same order, as LibTorch's sequence: g += wd * p;
// m = m * b1 + (1 - b1) * g; v = v * b2 + (1 - b2) * g * g; p -= step * m / (sqrt(v) / sqrt(bc2) + eps).
FM_SIMD_CLONES void adam_update(float* __restrict p, const float* __restrict grad,
                                float* __restrict m, float* __restrict v, int64_t n,
                                AdamScalars s) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + s.weight_decay * p[i];
    const float mi = m[i] * s.beta1 + s.one_minus_beta1 * g;
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / s.sqrt_bc2 + s.eps;
    p[i] -= s.step_size * (mi / denom);
  }
}

bool fusable(torch::optim::Adam& optim) {
  auto& states = optim.state();
  for (const auto& group : optim.param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    if (options.amsgrad()) return false;
    for (const auto& p : group.params()) {
      const auto& grad = p.grad();
      if (!grad.defined()) continue;
      if (!p.device().is_cpu() || p.scalar_type() != torch::kFloat || !p.is_contiguous() ||
          grad.is_sparse() || grad.scalar_type() != torch::kFloat || !grad.is_contiguous()) {
        return false;
      }
      auto it = states.find(c10::guts::to_string(p.unsafeGetTensorImpl()));
      if (it != states.end()) {
        const auto& state = static_cast<const torch::optim::AdamParamState&>(*it->second);
        if (!state.exp_avg().is_contiguous() || !state.exp_avg_sq().is_contiguous() ||
            state.exp_avg().scalar_type() != torch::kFloat ||
            state.exp_avg_sq().scalar_type() != torch::kFloat) {
          return false;
        }
      }
    }
  }
  return true;
}

}  // namespace

void adam_step(torch::optim::Adam& optim) {
  if (!fusable(optim)) {
    optim.step();
    return;
  }
  at::NoGradGuard no_grad;
  auto& states = optim.state();
  for (auto& group : optim.param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      // The state key and the initial state are LibTorch's (Adam::step), so optim.step(),
      // save() and load() see the same state.
      const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
      auto it = states.find(key);
      if (it == states.end()) {
        auto state = std::make_unique<torch::optim::AdamParamState>();
        state->step(0);
        state->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
        state->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        it = states.emplace(key, std::move(state)).first;
      }
      auto& state = static_cast<torch::optim::AdamParamState&>(*it->second);
      state.step(state.step() + 1);
      const double beta1 = std::get<0>(options.betas());
      const double beta2 = std::get<1>(options.betas());
      const double bc1 = 1 - std::pow(beta1, static_cast<double>(state.step()));
      const double bc2 = 1 - std::pow(beta2, static_cast<double>(state.step()));
      const AdamScalars s{static_cast<float>(beta1),
                          static_cast<float>(1 - beta1),
                          static_cast<float>(beta2),
                          static_cast<float>(1 - beta2),
                          static_cast<float>(options.weight_decay()),
                          static_cast<float>(options.eps()),
                          static_cast<float>(std::sqrt(bc2)),
                          static_cast<float>(options.lr() / bc1)};
      float* pp = p.data_ptr<float>();
      const float* gp = p.grad().data_ptr<float>();
      float* mp = state.exp_avg().data_ptr<float>();
      float* vp = state.exp_avg_sq().data_ptr<float>();
      at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
        adam_update(pp + begin, gp + begin, mp + begin, vp + begin, end - begin, s);
      });
    }
  }
}

}  // namespace fm

#pragma once
/// \file
/// A CPU LSTM layer on *packed* sequences with a hand-written backward pass.
///
/// Why: LibTorch's CPU LSTM runs every time step through autograd (a dozen small ops per step,
/// forward and backward), and its packed-sequence variant is slower still; padded batches waste
/// the steps past each row's end. This kernel stores a batch the way PackedSequence does — rows
/// sorted by length, step t holding the `batch_sizes[t]` rows still running, one after the
/// other — so no padding is ever computed, and it does the work in the fewest, largest GEMMs:
///
///   forward   X·W_ihᵀ for all steps at once; per step h_{t-1}·W_hhᵀ (+ fused gate math)
///   backward  per step dG_t·W_hh (+ fused gate math); then dW_ih = dGᵀX, dW_hh = dGᵀH_prev,
///             dX = dG·W_ih, each one GEMM over all steps
///
/// Gate non-linearities use a rational tanh approximation (Eigen's, |error| < 4e-7) in plain loops
/// that the compiler vectorises. Numbers match torch::nn::LSTM to float rounding (tested).
///
/// The per-step gate gradients dG are exactly what per-example gradients need (DP-SGD): when a
/// LstmCapture is passed, the backward pass leaves (X, H_prev, dG) in it.

#include <cstdint>
#include <vector>

#include <ATen/core/ivalue.h>
#include <torch/types.h>

namespace fm {

/// Layout of a packed batch: `batch_sizes[t]` rows run at step t (non-increasing, first > 0);
/// step t's rows start at offsets[t] = Σ_{s<t} batch_sizes[s]. Row b of step t is sequence b
/// (sequences sorted by length, longest first).
struct PackedLayout {
  std::vector<int64_t> batch_sizes;
  std::vector<int64_t> offsets;  ///< offsets[t]; offsets.back() + batch_sizes.back() = total rows
  int64_t total = 0;

  /// Layout for sequence lengths sorted non-increasingly (each >= 1).
  static PackedLayout from_sorted_lengths(const std::vector<int64_t>& sorted_lengths);
  int64_t steps() const { return static_cast<int64_t>(batch_sizes.size()); }
  int64_t sequences() const { return batch_sizes.empty() ? 0 : batch_sizes[0]; }
};

/// What one layer/direction's backward pass leaves for per-example gradients: packed input X
/// [N, I], the previous hidden state of each packed row H_prev [N, H] (zero at step 0) and the
/// gradient of the loss with respect to the gate pre-activations dG [N, 4H] (gate order i, f, g, o).
/// The per-example gradient of sequence b is Σ over its rows r: dW_ih = dG[r]ᵀX[r], dW_hh =
/// dG[r]ᵀH_prev[r], db_ih = db_hh = dG[r].
struct LstmCapture : torch::CustomClassHolder {
  torch::Tensor input, h_prev, d_gates;
};

/// Output h [N, H] of one LSTM layer (one direction, zero initial state) over packed input x
/// [N, I] (float32, CPU). Differentiable with respect to x and the four parameters (PyTorch's
/// shapes: w_ih [4H, I], w_hh [4H, H], b_ih [4H], b_hh [4H]). `capture`, when given, receives the
/// backward pass's per-step quantities (see LstmCapture).
torch::Tensor lstm_packed(const torch::Tensor& x, const PackedLayout& layout,
                          const torch::Tensor& w_ih, const torch::Tensor& w_hh,
                          const torch::Tensor& b_ih, const torch::Tensor& b_hh,
                          const c10::intrusive_ptr<LstmCapture>& capture = {});

/// The tanh approximation the kernel uses (exposed for its accuracy test).
float fast_tanh(float x);

}  // namespace fm

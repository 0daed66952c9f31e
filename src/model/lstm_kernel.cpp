#include "fm/model/lstm_kernel.h"

#include <algorithm>
#include <cmath>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "simd_clones.h"

namespace fm {
namespace {

// Eigen's generic_fast_tanh_float: a 13/6 rational approximation on [-7.9, 7.9] (tanh rounds to ±1
// in float beyond), |error| < 4e-7 (a few float ulps near ±1). Branch-free, so the loops below vectorise.
inline float tanh_approx(float a) {
  const float x = std::max(-7.90531110763549805f, std::min(a, 7.90531110763549805f));
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * x;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  const float r = p / q;
  return std::fabs(a) < 0.0004f ? a : r;
}

inline float sigmoid_approx(float x) { return 0.5f * tanh_approx(0.5f * x) + 0.5f; }


/// Splits sequences [0, B) into `parts` contiguous chunks with about equal numbers of packed
/// rows (sequences are sorted longest first, so equal counts of sequences would not balance).
std::vector<int64_t> chunk_bounds(const PackedLayout& layout, int64_t parts) {
  const int64_t b = layout.sequences();
  std::vector<int64_t> length(static_cast<std::size_t>(b), 0);
  for (auto n : layout.batch_sizes) {
    for (int64_t r = 0; r < n; ++r) ++length[static_cast<std::size_t>(r)];
  }
  std::vector<int64_t> bounds = {0};
  int64_t acc = 0;
  for (int64_t r = 0; r < b; ++r) {
    acc += length[static_cast<std::size_t>(r)];
    const auto k = static_cast<int64_t>(bounds.size());
    if (k < parts && acc * parts >= layout.total * k && r + 1 < b) bounds.push_back(r + 1);
  }
  bounds.push_back(b);
  return bounds;
}

/// Runs `chunk(lo, hi)` for each chunk of sequences, in parallel when there are several threads.
/// Each chunk runs its whole time loop alone: one thread barrier per layer instead of one per step
/// (small per-step GEMMs split across threads spend their time waiting at barriers), and the
/// per-step GEMMs run single-threaded inside the parallel region.
template <typename F>
void for_each_chunk(const PackedLayout& layout, const F& chunk) {
  const int64_t threads = std::min<int64_t>(at::get_num_threads(), layout.sequences());
  if (threads <= 1 || at::in_parallel_region()) {
    chunk(0, layout.sequences());
    return;
  }
  const auto bounds = chunk_bounds(layout, threads);
  const auto parts = static_cast<int64_t>(bounds.size()) - 1;
  at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      chunk(bounds[static_cast<std::size_t>(k)], bounds[static_cast<std::size_t>(k + 1)]);
    }
  });
}

// The element loops below must stay free of control flow so that GCC vectorises them (a
// conditional load such as `c_prev ? c_prev[j] : 0` does not if-convert and made both loops
// scalar): the conditions are template parameters, chosen once per call.

/// One row of the step forward: g [4H] holds pre-activations (i, f, g, o) and is overwritten with
/// the activations; c_prev [H] (unused unless kPrev) → c, tanh(c), h.
template <bool kPrev>
inline void cell_forward_row(float* __restrict gi, float* __restrict gf, float* __restrict gg,
                             float* __restrict go, const float* __restrict cp,
                             float* __restrict cr, float* __restrict tr, float* __restrict hr,
                             int64_t hidden) {
  for (int64_t j = 0; j < hidden; ++j) {
    const float i = sigmoid_approx(gi[j]);
    const float f = sigmoid_approx(gf[j]);
    const float g = tanh_approx(gg[j]);
    const float o = sigmoid_approx(go[j]);
    gi[j] = i;
    gf[j] = f;
    gg[j] = g;
    go[j] = o;
    const float cv = kPrev ? f * cp[j] + i * g : i * g;
    const float t = tanh_approx(cv);
    cr[j] = cv;
    tr[j] = t;
    hr[j] = o * t;
  }
}

/// Step forward for n rows: gates [n, 4H] hold pre-activations (i, f, g, o) and are overwritten
/// with the activations; c_prev [n, H] (null at step 0) → c, tanh(c), h.
FM_SIMD_CLONES void cell_forward(float* gates, const float* c_prev, float* c, float* tc,
                                 float* h, int64_t n, int64_t hidden) {
  for (int64_t r = 0; r < n; ++r) {
    float* gi = gates + r * 4 * hidden;
    if (c_prev != nullptr) {
      cell_forward_row<true>(gi, gi + hidden, gi + 2 * hidden, gi + 3 * hidden,
                             c_prev + r * hidden, c + r * hidden, tc + r * hidden, h + r * hidden,
                             hidden);
    } else {
      cell_forward_row<false>(gi, gi + hidden, gi + 2 * hidden, gi + 3 * hidden, nullptr,
                              c + r * hidden, tc + r * hidden, h + r * hidden, hidden);
    }
  }
}

/// One row of the step backward (see cell_backward); kCarried: dc_carry holds dL/dc_t from step
/// t+1; kPrev: there is a c_{t-1}.
template <bool kPrev, bool kCarried>
inline void cell_backward_row(const float* __restrict gi, const float* __restrict gf,
                              const float* __restrict gg, const float* __restrict go,
                              const float* __restrict cp, const float* __restrict tr,
                              const float* __restrict dhr, float* __restrict dcr,
                              float* __restrict di, float* __restrict df, float* __restrict dg,
                              float* __restrict dout, int64_t hidden) {
  for (int64_t j = 0; j < hidden; ++j) {
    const float i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tr[j], d = dhr[j];
    const float from_h = d * o * (1.0f - t * t);
    const float dc = kCarried ? dcr[j] + from_h : from_h;
    di[j] = dc * g * i * (1.0f - i);
    df[j] = kPrev ? dc * cp[j] * f * (1.0f - f) : 0.0f;
    dg[j] = dc * i * (1.0f - g * g);
    dout[j] = d * t * o * (1.0f - o);
    dcr[j] = dc * f;
  }
}

/// Step backward for n rows. `dh` [n, H] is the total gradient reaching h_t; `dc_carry` [≥n, H]
/// holds dL/dc_t from step t+1 for its first n_next rows and receives dL/dc_{t-1}; `dgates`
/// [n, 4H] receives dL/d(pre-activations).
FM_SIMD_CLONES void cell_backward(const float* gates, const float* c_prev, const float* tc,
                                  const float* dh, float* dc_carry, int64_t n_next, float* dgates,
                                  int64_t n, int64_t hidden) {
  for (int64_t r = 0; r < n; ++r) {
    const float* gi = gates + r * 4 * hidden;
    const float* cp = c_prev ? c_prev + r * hidden : nullptr;
    float* di = dgates + r * 4 * hidden;
    const float* tr = tc + r * hidden;
    const float* dhr = dh + r * hidden;
    float* dcr = dc_carry + r * hidden;
    const bool carried = r < n_next;
#define FM_CELL_BACKWARD_ROW(PREV, CARRIED)                                                    \
  cell_backward_row<PREV, CARRIED>(gi, gi + hidden, gi + 2 * hidden, gi + 3 * hidden, cp, tr, \
                                   dhr, dcr, di, di + hidden, di + 2 * hidden,                \
                                   di + 3 * hidden, hidden)
    if (cp != nullptr) {
      if (carried) {
        FM_CELL_BACKWARD_ROW(true, true);
      } else {
        FM_CELL_BACKWARD_ROW(true, false);
      }
    } else if (carried) {
      FM_CELL_BACKWARD_ROW(false, true);
    } else {
      FM_CELL_BACKWARD_ROW(false, false);
    }
#undef FM_CELL_BACKWARD_ROW
  }
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class LstmPackedFunction : public torch::autograd::Function<LstmPackedFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w_ih, const torch::Tensor& w_hh,
                               const torch::Tensor& b_ih, const torch::Tensor& b_hh,
                               const PackedLayout& layout,
                               const c10::intrusive_ptr<LstmCapture>& capture) {
    const int64_t total = layout.total;
    const int64_t hidden = w_hh.size(1);
    auto xc = x.contiguous();
    auto gates = torch::addmm(b_ih + b_hh, xc, w_ih.t()).contiguous();  // [N, 4H]
    auto opts = x.options();
    auto h = torch::empty({total, hidden}, opts);
    auto c = torch::empty({total, hidden}, opts);
    auto tc = torch::empty({total, hidden}, opts);
    auto h_prev = torch::empty({total, hidden}, opts);
    // Detached: the worker threads run with grad mode on, and nothing here is to be recorded.
    const auto w_hh_t = w_hh.detach().t();
    float* g = gates.data_ptr<float>();
    float* cp = c.data_ptr<float>();
    float* tp = tc.data_ptr<float>();
    float* hp_all = h.data_ptr<float>();
    for_each_chunk(layout, [&](int64_t lo, int64_t hi) {
      for (int64_t t = 0; t < layout.steps(); ++t) {
        const int64_t n = std::min(hi, layout.batch_sizes[static_cast<std::size_t>(t)]) - lo;
        if (n <= 0) break;  // batch sizes only shrink
        const int64_t off = layout.offsets[static_cast<std::size_t>(t)] + lo;
        const float* c_prev = nullptr;
        if (t == 0) {
          h_prev.narrow(0, off, n).zero_();
        } else {
          const int64_t prev = layout.offsets[static_cast<std::size_t>(t - 1)] + lo;
          auto hp = h.narrow(0, prev, n);
          h_prev.narrow(0, off, n).copy_(hp);
          gates.narrow(0, off, n).addmm_(hp, w_hh_t);
          c_prev = cp + prev * hidden;
        }
        cell_forward(g + off * 4 * hidden, c_prev, cp + off * hidden, tp + off * hidden,
                     hp_all + off * hidden, n, hidden);
      }
    });
    ctx->save_for_backward({xc, w_ih, w_hh});
    // Internal buffers, never returned: keeping them in saved_data makes no reference cycle.
    ctx->saved_data["gates"] = gates;
    ctx->saved_data["c"] = c;
    ctx->saved_data["tc"] = tc;
    ctx->saved_data["h_prev"] = h_prev;
    ctx->saved_data["batch_sizes"] = layout.batch_sizes;
    ctx->saved_data["offsets"] = layout.offsets;
    if (capture) ctx->saved_data["capture"] = c10::IValue::make_capsule(capture);
    return h;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& w_ih = saved[1];
    const auto& w_hh = saved[2];
    const auto gates = ctx->saved_data["gates"].toTensor();
    const auto c = ctx->saved_data["c"].toTensor();
    const auto tc = ctx->saved_data["tc"].toTensor();
    const auto h_prev = ctx->saved_data["h_prev"].toTensor();
    const auto batch_sizes = ctx->saved_data["batch_sizes"].toIntVector();
    const auto offsets = ctx->saved_data["offsets"].toIntVector();
    const int64_t hidden = w_hh.size(1);
    const int64_t total = gates.size(0);
    const auto steps = static_cast<int64_t>(batch_sizes.size());

    auto dh = grad_outputs[0].defined() ? grad_outputs[0].contiguous().clone()
                                        : torch::zeros({total, hidden}, gates.options());
    auto d_gates = torch::empty_like(gates);
    auto dc_carry = torch::zeros({steps ? batch_sizes[0] : 0, hidden}, gates.options());
    const float* g = gates.data_ptr<float>();
    const float* cp = c.data_ptr<float>();
    const float* tp = tc.data_ptr<float>();
    float* dhp = dh.data_ptr<float>();
    float* dgp = d_gates.data_ptr<float>();
    float* dcp = dc_carry.data_ptr<float>();
    const auto w_hh_d = w_hh.detach();
    PackedLayout layout;
    layout.batch_sizes = batch_sizes;
    layout.offsets = offsets;
    layout.total = total;
    for_each_chunk(layout, [&](int64_t lo, int64_t hi) {
      for (int64_t t = steps - 1; t >= 0; --t) {
        const int64_t n = std::min(hi, batch_sizes[static_cast<std::size_t>(t)]) - lo;
        if (n <= 0) continue;
        const int64_t off = offsets[static_cast<std::size_t>(t)] + lo;
        const int64_t next = t + 1 < steps ? batch_sizes[static_cast<std::size_t>(t + 1)] : 0;
        const int64_t n_next = std::max<int64_t>(0, std::min(hi, next) - lo);
        const int64_t prev = t > 0 ? offsets[static_cast<std::size_t>(t - 1)] + lo : 0;
        cell_backward(g + off * 4 * hidden, t > 0 ? cp + prev * hidden : nullptr,
                      tp + off * hidden, dhp + off * hidden, dcp + lo * hidden, n_next,
                      dgp + off * 4 * hidden, n, hidden);
        if (t > 0) dh.narrow(0, prev, n).addmm_(d_gates.narrow(0, off, n), w_hh_d);
      }
    });
    // Only what is asked for: DP-SGD's per-example pass needs dX and dG, not the batch's dW.
    torch::Tensor dx, dw_ih, dw_hh, db_ih, db_hh;
    if (ctx->needs_input_grad(0)) dx = d_gates.mm(w_ih);
    auto d_gates_t = d_gates.t();
    if (ctx->needs_input_grad(1)) dw_ih = d_gates_t.mm(x);
    if (ctx->needs_input_grad(2)) dw_hh = d_gates_t.mm(h_prev);
    if (ctx->needs_input_grad(3)) db_ih = d_gates.sum(0);
    if (ctx->needs_input_grad(4)) db_hh = d_gates.sum(0);
    if (ctx->saved_data.count("capture")) {
      auto capture =
          c10::static_intrusive_pointer_cast<LstmCapture>(ctx->saved_data["capture"].toCapsule());
      capture->input = x;
      capture->h_prev = h_prev;
      capture->d_gates = d_gates;
    }
    return {dx, dw_ih, dw_hh, db_ih, db_hh, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

float fast_tanh(float x) { return tanh_approx(x); }

PackedLayout PackedLayout::from_sorted_lengths(const std::vector<int64_t>& sorted_lengths) {
  PackedLayout layout;
  if (sorted_lengths.empty()) return layout;
  const int64_t steps = sorted_lengths.front();
  layout.batch_sizes.assign(static_cast<std::size_t>(steps), 0);
  for (auto len : sorted_lengths) {
    for (int64_t t = 0; t < len; ++t) ++layout.batch_sizes[static_cast<std::size_t>(t)];
  }
  layout.offsets.resize(layout.batch_sizes.size());
  int64_t off = 0;
  for (std::size_t t = 0; t < layout.batch_sizes.size(); ++t) {
    layout.offsets[t] = off;
    off += layout.batch_sizes[t];
  }
  layout.total = off;
  return layout;
}

torch::Tensor lstm_packed(const torch::Tensor& x, const PackedLayout& layout,
                          const torch::Tensor& w_ih, const torch::Tensor& w_hh,
                          const torch::Tensor& b_ih, const torch::Tensor& b_hh,
                          const c10::intrusive_ptr<LstmCapture>& capture) {
  TORCH_CHECK(x.device().is_cpu() && x.scalar_type() == torch::kFloat,
              "lstm_packed: float32 CPU tensors only");
  TORCH_CHECK(x.dim() == 2 && x.size(0) == layout.total, "lstm_packed: x must be [N, I]");
  return LstmPackedFunction::apply(x, w_ih, w_hh, b_ih, b_hh, layout, capture);
}

}  // namespace fm

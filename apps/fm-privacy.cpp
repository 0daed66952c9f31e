// fm-privacy: the (ε, δ) guarantee of DP-SGD training (RDP accountant), or the noise multiplier
// for a target ε. Links only fmkit_core: no LibTorch, so it answers at once.

#include <iostream>
#include <string>
#include <type_traits>

#include "app_common.h"
#include "fm/jobs/privacy.h"
#include "fm/version.h"

int main(int argc, char** argv) {
  const std::string program = "fm-privacy";
  CLI::App app{
      "Privacy guarantee of DP-SGD training: the (epsilon, delta) spent by T steps of the\n"
      "sampled Gaussian mechanism (each example in a batch with probability q, Gaussian noise\n"
      "of sigma times the clipping norm), by the Renyi-DP accountant of Mironov, Talwar and\n"
      "Zhang 2019 with the conversion of Balle et al. 2020 -- the numbers of Opacus' RDP\n"
      "accountant. With --target-epsilon it solves for the noise multiplier instead.\n"
      "Steps from epochs: ceil(E * N / B), or ceil(E / q), as TF Privacy's\n"
      "compute_dp_sgd_privacy. The analysis assumes Poisson sampling; shuffled fixed-size\n"
      "batches are the usual approximation (Opacus, TF Privacy).",
      program};
  fm::privacy::DpSgdQuery q;
  // Each flag fills its optional field only when given (unset = derive it, or an error).
  auto optional = [&](const char* flags, auto& field, const char* help) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    auto* option = app.add_option_function<T>(flags, [&field](const T& v) { field = v; }, help);
    if constexpr (std::is_integral_v<T>) option->check(fm::app::kInt64);
    return option;
  };
  optional("--sample-rate", q.sample_rate, "Sampling rate q in [0, 1] (or N and B)");
  optional("--dataset-size", q.dataset_size, "Training examples N (q = B / N)");
  optional("--batch-size", q.batch_size, "Batch size B");
  optional("--noise-multiplier", q.noise_multiplier,
           "Noise multiplier sigma >= 0 (noise std / clipping norm)");
  optional("--target-epsilon", q.target_epsilon,
           "Solve for the smallest sigma that spends at most this epsilon");
  app.add_option("--epsilon-tolerance", q.epsilon_tolerance,
                 "Solver: stop once epsilon is within this much below the target")
      ->capture_default_str();
  optional("--steps", q.steps, "Optimizer steps");
  optional("--epochs", q.epochs, "Epochs (steps = ceil(E * N / B) or ceil(E / q))");
  optional("--delta", q.delta, "delta of the (epsilon, delta) guarantee, in (0, 1)");
  app.add_option("--orders", q.orders,
                 "RDP orders to try (default Opacus': 1.1, 1.2, ..., 10.9, 12, ..., 63)")
      ->expected(1, -1);
  app.add_option("-f,--format", q.format, "Output: text or json (every number)")
      ->capture_default_str();
  std::string log_level;
  fm::app::add_common_flags(
      app, [&] { return fm::core_version_text(program, "not used (torch-free)"); }, log_level);
  if (auto rc = fm::app::parse(app, program, argc, argv)) return *rc;

  return fm::guarded_main(program, [&] {
    fm::app::init_logging(program, log_level);
    std::cout << fm::run_privacy(q) << std::flush;
    return 0;
  });
}

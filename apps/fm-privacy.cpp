// fm-privacy: the (ε, δ) guarantee of DP-SGD training (RDP accountant), or the noise multiplier
// for a target ε. Links only fmkit_core: no LibTorch, so it answers at once.

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "app_common.h"  // fm::app::parse only (inline; nothing from LibTorch is linked)
#include "fm/cli.h"
#include "fm/privacy/analysis.h"
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
  double sample_rate = 0, noise = 0, target = 0, epochs = 0, delta = 0;
  int64_t dataset_size = 0, batch_size = 0, steps = 0;
  app.add_option("--sample-rate", sample_rate, "Sampling rate q in [0, 1] (or N and B)");
  app.add_option("--dataset-size", dataset_size, "Training examples N (q = B / N)");
  app.add_option("--batch-size", batch_size, "Batch size B");
  app.add_option("--noise-multiplier", noise,
                 "Noise multiplier sigma >= 0 (noise std / clipping norm)");
  app.add_option("--target-epsilon", target,
                 "Solve for the smallest sigma that spends at most this epsilon");
  app.add_option("--epsilon-tolerance", q.epsilon_tolerance,
                 "Solver: stop once epsilon is within this much below the target")
      ->capture_default_str();
  app.add_option("--steps", steps, "Optimizer steps");
  app.add_option("--epochs", epochs, "Epochs (steps = ceil(E * N / B) or ceil(E / q))");
  app.add_option("--delta", delta, "delta of the (epsilon, delta) guarantee, in (0, 1)");
  app.add_option("--orders", q.orders,
                 "RDP orders to try (default Opacus': 1.1, 1.2, ..., 10.9, 12, ..., 63)")
      ->expected(1, -1);
  app.add_option("-f,--format", q.format, "Output: text or json (every number)")
      ->capture_default_str();
  app.set_version_flag("--version", [program] {
    return program + " (fmkit) " + fm::fmkit_version() + "\ncommit:   " + fm::git_commit() + "\n";
  });
  app.footer(fm::kExitCodesHelp);
  if (auto rc = fm::app::parse(app, program, argc, argv)) return *rc;

  return fm::guarded_main(program, [&] {
    const auto given = [&](const char* flag) { return app.count(flag) > 0; };
    if (given("--sample-rate")) q.sample_rate = sample_rate;
    if (given("--dataset-size")) q.dataset_size = dataset_size;
    if (given("--batch-size")) q.batch_size = batch_size;
    if (given("--noise-multiplier")) q.noise_multiplier = noise;
    if (given("--target-epsilon")) q.target_epsilon = target;
    if (given("--steps")) q.steps = steps;
    if (given("--epochs")) q.epochs = epochs;
    if (given("--delta")) q.delta = delta;
    const fm::privacy::DpSgdAnalysis analysis = fm::privacy::analyze_dp_sgd(q);
    if (q.format == "json") {
      std::cout << fm::privacy::to_json(analysis).dump(2) << std::endl;
    } else {
      std::cout << fm::privacy::format_text(analysis) << std::flush;
    }
    return 0;
  });
}

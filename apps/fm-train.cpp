// fm-train: train an LSTM text classifier from a JSON config and write a run directory.

#include <iostream>
#include <string>
#include <vector>

#include "app_common.h"
#include "fm/config/config.h"
#include "fm/jobs/train.h"
#include "fm/model/runtime.h"
#include "fm/runs/staging.h"

int main(int argc, char** argv) {
  const std::string program = "fm-train";
  CLI::App app{"Train an LSTM text classifier and write a run directory (weights, tokenizer.json,\n"
               "labels.json, config.json, metrics.jsonl, manifest.json).",
               program};
  fm::app::ConfigFlags config;
  std::string output;
  bool resume = false;
  fm::app::add_config_flags(app, config, "JSON config file (see configs/quickstart.json)");
  auto* output_flag = app.add_option("-o,--output", output, "Run directory (sets output.dir)");
  app.add_flag("--resume", resume,
               "Finish the run in the output directory from its last checkpoint (its config.json "
               "is the base config unless --config is given)");
  std::string log_level;
  fm::app::add_common_flags(app, [&] { return fm::version_text(program); }, log_level);
  if (auto rc = fm::app::parse(app, program, argc, argv)) return *rc;

  return fm::guarded_main(program, [&] {
    fm::app::init_logging(program, log_level);
    if (output_flag->count() > 0 && output.empty()) {
      throw fm::ConfigError("--output: must not be empty (a run directory)");
    }
    fm::ConfigSources sources;
    if (!config.path.empty()) {
      sources.load_file(config.path, "config");
    } else if (resume && !output.empty()) {
      // The run's own config.json: damage there is a run error (exit 4), not a usage error.
      const auto saved = fm::resumable_run_dir(output) + "/config.json";
      try {
        fm::load_run_config(saved);
      } catch (const fm::ConfigError& e) {
        throw fm::ModelError(e.what());
      }
      sources.load_file(saved, "config");
    } else if (!config.print) {
      throw fm::ConfigError("--config: required (or --resume --output RUN_DIR)");
    }
    if (!output.empty()) sources.set("output.dir", output, "--output");
    sources.assign_all(config.overrides);
    fm::TrainJob job;
    job.resume = resume;
    job.config_path = config.path;
    job.config = fm::resolve_run_config(sources, /*for_training=*/!config.print);
    if (config.print) {
      std::cout << fm::to_json(job.config).dump(2) << std::endl;
      return 0;
    }
    std::cout << fm::run_train(job).summary << std::flush;
    return 0;
  });
}

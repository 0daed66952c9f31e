// fm-train: train an LSTM text classifier from a JSON config and write a run directory.

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_common.h"
#include "fm/config/config.h"
#include "fm/runs/staging.h"
#include "fm/jobs/train.h"

int main(int argc, char** argv) {
  const std::string program = "fm-train";
  CLI::App app{"Train an LSTM text classifier and write a run directory (weights, tokenizer.json,\n"
               "labels.json, config.json, metrics.jsonl, manifest.json).",
               program};
  std::string config_path, output, log_level;
  std::vector<std::string> overrides;
  bool resume = false, print_config = false;
  app.add_option("-c,--config", config_path, "JSON config file (see configs/quickstart.json)");
  app.add_option("-s,--set", overrides, "Override one config value: key.path=value (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-o,--output", output, "Run directory (overrides output.dir)");
  app.add_flag("--resume", resume,
               "Continue the run in the output directory from its last checkpoint (its config.json "
               "is the base config unless --config is given)");
  app.add_flag("--print-config", print_config, "Print the resolved config as JSON and exit");
  fm::app::add_common_flags(app, program, log_level);
  if (auto rc = fm::app::parse(app, program, argc, argv)) return *rc;

  return fm::guarded_main(program, [&] {
    fm::app::init_logging(program, log_level);
    fm::TrainJob job;
    job.resume = resume;
    job.config_path = config_path;
    if (!config_path.empty()) {
      job.config = fm::load_run_config(config_path);
    } else if (resume && !output.empty()) {
      job.config = fm::load_run_config(
          (std::filesystem::path(fm::resumable_run_dir(output)) / "config.json").string());
    } else if (!print_config) {
      throw fm::ConfigError("--config: required (or --resume --output RUN_DIR)");
    }
    fm::apply_overrides(job.config, overrides);
    if (!output.empty()) job.config.output.dir = output;
    if (print_config) {
      std::cout << fm::to_json(job.config).dump(2) << std::endl;
      return 0;
    }
    const auto result = fm::run_train(job);
    std::cout << result.summary << std::flush;
    return 0;
  });
}

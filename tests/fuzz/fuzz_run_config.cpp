// libFuzzer target: the run configuration (fm-train's --config, a run's config.json) from text to
// a validated fm::RunConfig: parse_json_unique_keys, run_config_from_json, validate, the --set
// overrides (apply_overrides, ConfigSources, resolve_run_config) and to_json. Input layout and
// checks: fuzz_config.h.

#include <cstddef>
#include <cstdint>

#include "fm/config/config.h"
#include "fuzz_config.h"

namespace {

fm::RunConfig from_json(const nlohmann::json& j) { return fm::run_config_from_json(j); }
nlohmann::json to_json(const fm::RunConfig& c) { return fm::to_json(c); }
bool valid_for_tools(const fm::RunConfig& c) {
  return fm_fuzz::accepted([&] { fm::validate(c, /*for_training=*/false); });
}
bool valid_for_training(const fm::RunConfig& c) {
  return fm_fuzz::accepted([&] { fm::validate(c, /*for_training=*/true); });
}

void check_config(const fm::RunConfig& config, const char* what) {
  const bool training = valid_for_training(config);
  FUZZ_CHECK(!training || valid_for_tools(config),
             std::string(what) + ": valid for training but not for tools");
  fm_fuzz::check_round_trip(config, from_json, to_json, valid_for_training, what);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fm_fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const fm_fuzz::ConfigInput in = fm_fuzz::config_input(data, size);
  const std::optional<nlohmann::json> document = fm_fuzz::parse_document(in.text);
  if (!document) return 0;

  std::optional<fm::RunConfig> config;
  try {
    config = fm::run_config_from_json(*document);
  } catch (const fm::Error&) {
  }
  if (config) check_config(*config, "file");
  if (in.assignments.empty()) return 0;

  const std::optional<fm::RunConfig> overridden = fm_fuzz::check_overrides(
      config.value_or(fm::default_run_config()), in.assignments,
                           [](fm::RunConfig& c, const std::vector<std::string>& a) {
                             fm::apply_overrides(c, a);
                           },
                           to_json);
  if (overridden) check_config(*overridden, "overridden");
  fm::ConfigSources sources;
  try {
    sources.load_document(*document, "fuzz.json");  // refuses a non-object document
    sources.assign_all(in.assignments);
  } catch (const fm::Error&) {
    return 0;
  }
  for (bool for_training : {false, true}) {
    std::optional<fm::RunConfig> resolved;
    try {
      resolved = fm::resolve_run_config(sources, for_training);
    } catch (const fm::Error&) {
    }
    if (resolved) check_config(*resolved, "resolved");
  }
  return 0;
}

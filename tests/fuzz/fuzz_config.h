#pragma once
// What the run-config and audit-policy targets share: the input layout and the checks of the
// path from text to a validated config (json_reader.h, sources.h), for any config type that has
// from_json / to_json / validate / apply_overrides / resolve like RunConfig and AuditPolicy.
//
// Input layout: the config file's text, then optionally NUL bytes each followed by one
// `--set key.path=value` assignment.
//
// Checks, beyond "only fm::Error escapes":
//   - a parsed config survives --print-config: to_json, dumped (nlohmann's dump throws on invalid
//     UTF-8), parsed again with parse_json_unique_keys and read again gives the same JSON, and is
//     as valid as before;
//   - validate(for training) accepting implies validate(for tools) accepts (run configs);
//   - apply_overrides leaves the config unchanged when it throws (documented);
//   - the ConfigSources path (file document < --set, resolve_*) agrees with the same checks.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fm/config/json_reader.h"
#include "fm/config/sources.h"
#include "fm/error.h"
#include "fm/io/json_text.h"
#include "fuzz_common.h"

namespace fm_fuzz {

struct ConfigInput {
  std::string text;
  std::vector<std::string> assignments;
};

inline ConfigInput config_input(const uint8_t* data, std::size_t size) {
  std::vector<std::string> pieces =
      split(std::string_view(reinterpret_cast<const char*>(data), size), '\0');
  ConfigInput in;
  in.text = std::move(pieces[0]);
  in.assignments.assign(pieces.begin() + 1, pieces.end());
  return in;
}

/// parse_json_unique_keys, or nullopt for text that is not JSON or nests too deep (its documented
/// fm::JsonTextError) or has a repeated key (its documented fm::ConfigError).
inline std::optional<nlohmann::json> parse_document(const std::string& text) {
  try {
    return fm::parse_json_unique_keys(text);
  } catch (const fm::JsonTextError&) {
    return std::nullopt;
  } catch (const fm::Error&) {
    return std::nullopt;
  }
}

/// Whether `validate` accepts `config` (fm::ConfigError = no; anything else escapes).
template <typename Validate>
bool accepted(Validate&& validate) {
  try {
    validate();
    return true;
  } catch (const fm::Error&) {
    return false;
  }
}

/// --print-config and back. `from_json(json)` reads a config, `to_json(config)` writes one,
/// `valid(config)` validates it.
template <typename Config, typename FromJson, typename ToJson, typename Valid>
void check_round_trip(const Config& config, FromJson&& from_json, ToJson&& to_json, Valid&& valid,
                      const std::string& what) {
  const nlohmann::json written = to_json(config);
  const std::string text = written.dump(2);  // throws type_error 316 on invalid UTF-8
  Config again;
  try {
    again = from_json(fm::parse_json_unique_keys(text));
  } catch (const fm::Error& e) {
    fail_check("from_json(to_json())", what + ": its own JSON is refused: " + e.what(), __FILE__,
               __LINE__);
  }
  FUZZ_CHECK(to_json(again) == written, what + ": from_json(to_json()) changes the config: " +
                                            text + " became " + to_json(again).dump());
  FUZZ_CHECK(valid(config) == valid(again), what + ": the round trip changes validity");
}

/// apply_overrides leaves `config` as it was when it throws; returns the result when it does not.
template <typename Config, typename Apply, typename ToJson>
std::optional<Config> check_overrides(Config config, const std::vector<std::string>& assignments,
                                      Apply&& apply, ToJson&& to_json) {
  const nlohmann::json before = to_json(config);
  try {
    apply(config, assignments);
  } catch (const fm::Error&) {
    FUZZ_CHECK(to_json(config) == before, "apply_overrides changed the config and then threw");
    return std::nullopt;
  }
  return config;
}

}  // namespace fm_fuzz

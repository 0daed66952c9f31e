// libFuzzer target: the audit policy (fm-audit's --config) from text to a validated
// fm::AuditPolicy: parse_json_unique_keys, audit_policy_from_json, validate, the --set overrides
// (apply_overrides, ConfigSources, resolve_audit_policy), to_json and to_audit_options. Input
// layout and checks: fuzz_config.h.

#include <cstddef>
#include <cstdint>

#include "fm/config/audit_policy.h"
#include "fuzz_config.h"

namespace {

fm::AuditPolicy from_json(const nlohmann::json& j) { return fm::audit_policy_from_json(j); }
nlohmann::json to_json(const fm::AuditPolicy& p) { return fm::to_json(p); }
bool valid(const fm::AuditPolicy& p) {
  return fm_fuzz::accepted([&] { fm::validate(p); });
}

void check_policy(const fm::AuditPolicy& policy, const char* what) {
  fm_fuzz::check_round_trip(policy, from_json, to_json, valid, what);
  if (valid(policy)) {
    const fm::AuditOptions options = fm::to_audit_options(policy);
    FUZZ_CHECK(options.thresholds == policy.thresholds, std::string(what) + ": thresholds lost");
  }
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

  std::optional<fm::AuditPolicy> policy;
  try {
    policy = fm::audit_policy_from_json(*document);
  } catch (const fm::Error&) {
  }
  if (policy) check_policy(*policy, "file");
  if (in.assignments.empty()) return 0;

  const std::optional<fm::AuditPolicy> overridden = fm_fuzz::check_overrides(
      policy.value_or(fm::AuditPolicy{}), in.assignments,
                           [](fm::AuditPolicy& p, const std::vector<std::string>& a) {
                             fm::apply_overrides(p, a);
                           },
                           to_json);
  if (overridden) check_policy(*overridden, "overridden");
  fm::ConfigSources sources;
  std::optional<fm::AuditPolicy> resolved;
  try {
    sources.load_document(*document, "fuzz.json");  // refuses a non-object document
    sources.assign_all(in.assignments);
    resolved = fm::resolve_audit_policy(sources);
  } catch (const fm::Error&) {
  }
  if (resolved) check_policy(*resolved, "resolved");
  return 0;
}

#include "fm/validation.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "fm/error.h"

namespace fm::validation {

using json = nlohmann::json;

[[noreturn]] void invalid(const std::string& path, const std::string& rule,
                          const std::string& got) {
  throw ConfigError(path + " must be " + rule + " (got " + got + ")");
}

std::string show(const std::string& s) { return json(s).dump(); }

std::string show(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return json(v).dump();
}

void require_at_least(const std::string& path, int64_t value, int64_t min) {
  if (value < min) invalid(path, ">= " + std::to_string(min), std::to_string(value));
}

void require_in_range(const std::string& path, int64_t value, int64_t min, int64_t max) {
  if (value < min || value > max) {
    invalid(path, "in [" + std::to_string(min) + ", " + std::to_string(max) + "]",
            std::to_string(value));
  }
}

void require_non_empty(const std::string& path, const std::string& value) {
  if (value.empty()) invalid(path, "non-empty", show(value));
}

void require_positive(const std::string& path, double value) {
  if (!(value > 0) || !std::isfinite(value)) invalid(path, "a finite number > 0", show(value));
}

void require_non_negative(const std::string& path, double value) {
  if (!(value >= 0) || !std::isfinite(value)) invalid(path, "a finite number >= 0", show(value));
}

void require_unit_interval(const std::string& path, double value) {
  if (!(value >= 0 && value < 1)) invalid(path, "in [0, 1)", show(value));
}

void require_one_of(const std::string& path, const std::string& value,
                    const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  std::string rule = "one of ";
  for (std::size_t i = 0; i < allowed.size(); ++i) rule += (i > 0 ? ", " : "") + show(allowed[i]);
  invalid(path, rule, show(value));
}

}  // namespace fm::validation

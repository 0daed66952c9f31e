#pragma once
/// \file
/// Value rules shared by every config's validate(): each throws fm::ConfigError
/// "PATH must be RULE (got VALUE)", e.g. `training.batch_size must be >= 1 (got 0)`.

#include <cstdint>
#include <string>
#include <vector>

namespace fm::validation {

/// Throws ConfigError "`path` must be `rule` (got `got`)".
[[noreturn]] void invalid(const std::string& path, const std::string& rule, const std::string& got);
/// A value as it appears in messages: strings JSON-quoted, doubles shortest round-trip, nan/inf.
std::string show(const std::string& s);
std::string show(double v);

void require_at_least(const std::string& path, int64_t value, int64_t min);
/// Throws "PATH must be in [MIN, MAX] (got VALUE)" unless min <= value <= max.
void require_in_range(const std::string& path, int64_t value, int64_t min, int64_t max);
void require_non_empty(const std::string& path, const std::string& value);
/// Finite and > 0.
void require_positive(const std::string& path, double value);
/// Finite and >= 0.
void require_non_negative(const std::string& path, double value);
/// In [0, 1).
void require_unit_interval(const std::string& path, double value);
void require_one_of(const std::string& path, const std::string& value,
                    const std::vector<std::string>& allowed);

}  // namespace fm::validation

#pragma once
/// \file
/// Logging facade over spdlog (kept out of other public headers). Logs go to stderr with a
/// `[component]` prefix; level from `--log-level` or SPDLOG_LEVEL.

#include <string>
#include <string_view>

namespace fm::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

/// Parses "trace|debug|info|warn|error|off"; throws fm::ConfigError otherwise.
Level parse_level(std::string_view name);
/// Sets the level of the process-wide logger; SPDLOG_LEVEL (if set) is applied by init().
void set_level(Level level);
/// Creates the stderr logger for program `program` (e.g. "fm-train"), honouring SPDLOG_LEVEL.
void init(const std::string& program);

void info(std::string_view component, const std::string& message);
void warn(std::string_view component, const std::string& message);
void debug(std::string_view component, const std::string& message);
void error(std::string_view component, const std::string& message);

}  // namespace fm::log

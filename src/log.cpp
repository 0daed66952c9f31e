#include "fm/log.h"

#include <cstdlib>

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "fm/error.h"

namespace fm::log {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  auto l = spdlog::get("fm");
  if (!l) {
    l = spdlog::stderr_color_mt("fm");
    l->set_pattern("%^%l%$ %v");
  }
  return l;
}

void emit(spdlog::level::level_enum level, std::string_view component, const std::string& message) {
  logger()->log(level, "[{}] {}", component, message);
}

}  // namespace

Level parse_level(std::string_view name) {
  if (name == "trace") return Level::kTrace;
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error") return Level::kError;
  if (name == "off") return Level::kOff;
  throw ConfigError("--log-level: expected one of trace, debug, info, warn, error, off (got \"" +
                    std::string(name) + "\")");
}

void set_level(Level level) {
  static constexpr spdlog::level::level_enum kMap[] = {
      spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
      spdlog::level::warn,  spdlog::level::err,   spdlog::level::off};
  logger()->set_level(kMap[static_cast<int>(level)]);
}

void init(const std::string& program) {
  auto l = logger();
  l->set_pattern(program + ": %^%l%$ %v");
  l->set_level(spdlog::level::info);
  spdlog::set_default_logger(l);
  spdlog::cfg::load_env_levels();
}

void info(std::string_view c, const std::string& m) { emit(spdlog::level::info, c, m); }
void warn(std::string_view c, const std::string& m) { emit(spdlog::level::warn, c, m); }
void debug(std::string_view c, const std::string& m) { emit(spdlog::level::debug, c, m); }
void error(std::string_view c, const std::string& m) { emit(spdlog::level::err, c, m); }

}  // namespace fm::log

#pragma once
// Flag parsing shared by the fm-* front-ends (CLI11 stays out of the library).

#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "fm/cli.h"
#include "fm/error.h"
#include "fm/log.h"

namespace fm::app {

/// Adds --version (printing version()), --log-level and the exit-code table to `app`.
inline void add_common_flags(CLI::App& app, std::function<std::string()> version,
                             std::string& log_level) {
  app.set_version_flag("--version", std::move(version));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (also SPDLOG_LEVEL)")
      ->capture_default_str();
  app.footer(kExitCodesHelp);
}


/// Checks that an integer flag's text is a whole number within int64 (CLI11 alone would clamp
/// 99999999999999999999 to 2^63 - 1 without a word).
inline const CLI::Validator kInt64{
    [](std::string& text) -> std::string {
      long long value = 0;
      const char* end = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), end, value);
      if (ec == std::errc::result_out_of_range) return "out of range (beyond 64-bit integers): " + text;
      if (ec != std::errc() || ptr != end) return "not a whole number: " + text;
      return "";
    },
    "INT"};

/// The flags of every command that reads a JSON config: --config, --set (repeatable) and
/// --print-config.
struct ConfigFlags {
  std::string path;
  std::vector<std::string> overrides;
  bool print = false;
};

/// Adds --config FILE, --set key.path=value (repeatable) and --print-config to `app`.
inline void add_config_flags(CLI::App& app, ConfigFlags& flags, const std::string& config_help) {
  app.add_option("-c,--config", flags.path, config_help);
  app.add_option("-s,--set", flags.overrides,
                 "Override one config value: key.path=value (repeatable; JSON values)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--print-config", flags.print,
               "Print the resolved, validated config as JSON and exit");
}

/// Parses argv; returns an exit code when the program should stop now (help, version, bad flags).
/// Usage errors are one line on stderr, exit 2.
inline std::optional<int> parse(CLI::App& app, const std::string& program, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": error: " << e.what() << " (see --help)" << std::endl;
    return static_cast<int>(ExitCode::kUsage);
  }
  return std::nullopt;
}

/// Replaces this process with the program `name` installed next to it (found through
/// /proc/self/exe, so PATH and symlinks do not matter), with `args`. Returns only by throwing
/// fm::Error "PATH: cannot execute (reason): `why`" when that program cannot be started.
[[noreturn]] inline void exec_sibling(const std::string& name, const std::vector<std::string>& args,
                                      const std::string& why) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("/proc/self/exe: " + ec.message() + " (needed to find " + name + ")");
  const auto sibling = (self.parent_path() / name).string();
  std::vector<const char*> argv = {name.c_str()};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  ::execv(sibling.c_str(), const_cast<char* const*>(argv.data()));
  throw Error(sibling + ": cannot execute (" + std::strerror(errno) + "): " + why);
}

/// Sets up logging for `program` at `level`.
inline void init_logging(const std::string& program, const std::string& level) {
  log::init(program);
  if (!level.empty()) log::set_level(log::parse_level(level));
}

}  // namespace fm::app

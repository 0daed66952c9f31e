#pragma once
// Flag parsing shared by the fm-* front-ends (CLI11 stays out of the library).

#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "fm/cli.h"
#include "fm/error.h"
#include "fm/log.h"
#include "fm/model/runtime.h"

namespace fm::app {

/// Adds --version (printing version()), --log-level and the exit-code table to `app`.
inline void add_common_flags(CLI::App& app, std::function<std::string()> version,
                             std::string& log_level) {
  app.set_version_flag("--version", std::move(version));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (also SPDLOG_LEVEL)")
      ->capture_default_str();
  app.footer(kExitCodesHelp);
}

/// The same with the LibTorch front-ends' version text (fm::version_text: LibTorch, BLAS, threads).
/// Torch-free programs pass their own text instead, so that nothing here links LibTorch.
inline void add_common_flags(CLI::App& app, const std::string& program, std::string& log_level) {
  add_common_flags(app, [program] { return version_text(program); }, log_level);
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

/// Sets up logging for `program` at `level`.
inline void init_logging(const std::string& program, const std::string& level) {
  log::init(program);
  if (!level.empty()) log::set_level(log::parse_level(level));
}

}  // namespace fm::app

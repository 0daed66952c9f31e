#pragma once
/// \file
/// fmkit's exception hierarchy and the exit codes every front-end maps them to.

#include <stdexcept>
#include <string>

namespace fm {

/// Process exit codes shared by every fm-* front-end (documented in README and --help).
enum class ExitCode : int {
  kOk = 0,            ///< success
  kGateFailed = 1,    ///< an audit gate failed
  kUsage = 2,         ///< usage or config error
  kData = 3,          ///< unreadable or malformed input data
  kModel = 4,         ///< model or checkpoint error
  kRuntime = 5,       ///< any other runtime error (e.g. unwritable output)
  kInterrupted = 130  ///< interrupted by SIGINT
};

/// Base of every fmkit error. The message is one line: where (file:line or JSON path) and what was
/// expected.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  /// Exit code a front-end returns for this error.
  virtual ExitCode exit_code() const noexcept { return ExitCode::kRuntime; }
};

/// Bad command line or configuration (exit 2). Message names the JSON path or flag.
class ConfigError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const noexcept override { return ExitCode::kUsage; }
};

/// Unreadable or malformed input data (exit 3). Message names file and line.
class DataError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const noexcept override { return ExitCode::kData; }
};

/// Missing, corrupt or incompatible model/run directory (exit 4).
class ModelError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const noexcept override { return ExitCode::kModel; }
};

/// Failure writing outputs or other OS-level I/O (exit 5).
class IoError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const noexcept override { return ExitCode::kRuntime; }
};

/// Raised when SIGINT was received and the current job stopped cleanly (exit 130).
class Interrupted : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const noexcept override { return ExitCode::kInterrupted; }
};

}  // namespace fm

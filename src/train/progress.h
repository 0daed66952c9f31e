#pragma once
// Small helpers shared by the trainer and the train job (private to src/): elapsed time, paths
// inside a run directory, and optional numbers in log lines.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace fm::train_detail {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// `dir`/`name`.
inline std::string path_in(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

/// "0.1234", or "n/a" for an undefined value.
inline std::string fmt_opt(const std::optional<double>& v) {
  if (!v) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", *v);
  return buf;
}

}  // namespace fm::train_detail

#pragma once
/// \file
/// Build and runtime identification printed by `fm-* --version` and stored in manifest.json.

#include <string>

namespace fm {

/// fmkit's semantic version, e.g. "0.1.0".
std::string fmkit_version();
/// Short git commit of the source tree at configure time, or "unknown".
std::string git_commit();
/// Run-directory format version; a run with a different major version is refused.
constexpr int kRunFormatVersion = 1;

}  // namespace fm

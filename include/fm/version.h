#pragma once
/// \file
/// Build and runtime identification printed by `fm-* --version` and stored in manifest.json.

#include <string>

namespace fm {

/// fmkit's semantic version, e.g. "0.1.0".
std::string fmkit_version();
/// Short git commit of the source tree at configure time, or "unknown".
std::string git_commit();
/// `--version` text of a program that does not load LibTorch: program, fmkit version, commit, a
/// "libtorch:" line saying `libtorch_note`, and the core count.
std::string core_version_text(const std::string& program, const std::string& libtorch_note);
/// Run-directory format version; a run with a different major version is refused.
constexpr int kRunFormatVersion = 1;

}  // namespace fm

#pragma once
/// \file
/// Shared front-end plumbing: error → exit-code mapping and the exit-code table for --help.

#include <functional>
#include <string>

namespace fm {

/// Exit-code table appended to every front-end's --help.
extern const char* const kExitCodesHelp;

/// Runs `body` and maps exceptions to the documented exit codes, printing one line
/// "program: error: message" on stderr. `body` returns the exit code on success paths.
int guarded_main(const std::string& program, const std::function<int()>& body);

}  // namespace fm

#include "fm/version.h"

#include "fm_git_commit.h"  // FMKIT_GIT_SHA, generated at build time

#include <thread>

namespace fm {

std::string fmkit_version() { return FMKIT_VERSION; }
std::string git_commit() { return FMKIT_GIT_SHA; }

std::string core_version_text(const std::string& program, const std::string& libtorch_note) {
  return program + " (fmkit) " + fmkit_version() + "\ncommit:   " + git_commit() +
         "\nlibtorch: " + libtorch_note + "\nthreads:  " +
         std::to_string(std::thread::hardware_concurrency()) + " cores\n";
}

}  // namespace fm

#include "fm/version.h"

#include "fm_git_commit.h"  // FMKIT_GIT_SHA, generated at build time

namespace fm {

std::string fmkit_version() { return FMKIT_VERSION; }
std::string git_commit() { return FMKIT_GIT_SHA; }

}  // namespace fm
